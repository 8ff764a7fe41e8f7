select
    institution_code,
    period,
    max(country_iso2) as country_iso2,
    max(subregion_code) as subregion_code,
    bool_or(has_roster) as has_roster,
    bool_or(has_training) as has_training,
    -- final: the period is locked; approved: CIESS approved the return; else provisional
    case
        when bool_or(period_locked) then 'final'
        when bool_or(return_approved) then 'approved'
        else 'provisional'
    end as data_status,
    {{ capacity_measures() }}
from {{ ref('int_capacity__reviewed') }}
group by institution_code, period

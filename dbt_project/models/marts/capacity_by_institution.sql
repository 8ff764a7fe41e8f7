select
    institution_code,
    period,
    max(country_iso2) as country_iso2,
    max(subregion_code) as subregion_code,
    bool_or(has_roster) as has_roster,
    bool_or(has_training) as has_training,
    {{ capacity_measures() }}
from {{ ref('int_capacity__institution_period') }}
group by institution_code, period

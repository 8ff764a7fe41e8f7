-- Rollup: numerators and denominators are added, then divided (never a mean of ratios).
-- Coverage-type ratios only count institutions with a current roster (see int_capacity__institution_period).
select
    subregion_code,
    period,
    count(*) as institutions_expected,
    count(*) filter (where has_roster or has_training) as institutions_reporting,
    {{ capacity_measures() }}
from {{ ref('int_capacity__institution_period') }}
group by subregion_code, period

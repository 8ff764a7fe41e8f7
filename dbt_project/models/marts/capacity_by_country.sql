-- Rollup: numerators and denominators are added, then divided (never a mean of ratios).
-- Coverage-type ratios only count institutions with a current roster (see int_capacity__institution_period).
select
    country_iso2,
    period,
    count(*) as institutions_expected,
    count(*) filter (where has_roster or has_training) as institutions_reporting,
    {{ capacity_measures() }}
from {{ ref('int_capacity__institution_period') }}
group by country_iso2, period

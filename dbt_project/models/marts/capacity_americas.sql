-- The whole continent: the same rollup as the subregions, over every institution.
select
    period,
    count(*) as institutions_expected,
    count(*) filter (where has_roster or has_training) as institutions_reporting,
    {{ capacity_measures() }}
from {{ ref('int_capacity__institution_period') }}
group by period

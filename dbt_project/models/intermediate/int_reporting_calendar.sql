-- Every institution of the registry for every period with at least one accepted submission:
-- who was expected, where. (A rejected file alone does not open a period.)
with periods as (
    select distinct period from {{ ref('stg_lake__submissions') }}
    where status in ('ACCEPTED', 'ACCEPTED_WITH_WARNINGS')
)

select
    institutions.institution_code,
    institutions.country_iso2,
    countries.subregion_code,
    periods.period,
    {{ period_start('periods.period') }} as period_start,
    {{ period_end('periods.period') }} as period_end,
    {{ period_end('periods.period') }} + cast({{ var('deadline_days') }} as integer) as deadline
from {{ ref('stg_reference__institutions') }} as institutions
inner join {{ ref('stg_reference__countries') }} as countries
    on institutions.country_iso2 = countries.country_iso2
cross join periods

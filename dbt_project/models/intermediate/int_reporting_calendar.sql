-- Every institution of the registry for every period anyone reported: who was expected, where.
with periods as (
    select distinct period from {{ ref('stg_lake__submissions') }}
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

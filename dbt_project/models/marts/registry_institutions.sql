-- The registry as analysts and reports need it: names, country, subregion.
select
    institutions.institution_code,
    institutions.institution_name,
    institutions.institution_name_en,
    institutions.country_iso2,
    countries.subregion_code,
    countries.default_language,
    institutions.branch,
    institutions.approx_staff
from {{ ref('stg_reference__institutions') }} as institutions
inner join {{ ref('stg_reference__countries') }} as countries
    on institutions.country_iso2 = countries.country_iso2

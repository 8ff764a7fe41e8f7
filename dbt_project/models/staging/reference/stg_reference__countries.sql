select
    country_iso2,
    subregion_code,
    default_language,
    currency_iso
from {{ ref('countries') }}

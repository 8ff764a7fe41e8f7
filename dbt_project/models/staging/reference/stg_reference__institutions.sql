select
    institution_code,
    name as institution_name,
    name_en as institution_name_en,
    country_iso2,
    branch,
    approx_staff
from {{ ref('institutions') }}

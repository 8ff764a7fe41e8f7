select
    institution_code,
    name as institution_name,
    name_en as institution_name_en,
    country_iso2,
    branch,
    approx_staff,
    member_from,
    nullif(trim(member_to), '') as member_to
from {{ ref('institutions') }}

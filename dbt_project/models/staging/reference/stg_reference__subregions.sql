select
    subregion_code,
    name_en,
    name_es,
    name_pt,
    name_fr
from {{ ref('subregions') }}

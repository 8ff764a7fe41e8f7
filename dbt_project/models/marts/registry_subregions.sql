-- Subregions with their names in the four languages of the reports.
select
    subregion_code,
    name_en,
    name_es,
    name_pt,
    name_fr
from {{ ref('stg_reference__subregions') }}

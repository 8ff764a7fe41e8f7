-- The names of the codes the marts hold, in each of the four languages: the contracts' code lists
-- and kinds, rules, statuses and countries (their source is schemas/, through the lake) and the registry's
-- subregions. code_list is the column name the code stands in (thematic_area, kind, subregion_code).
select
    code_list,
    code,
    lang,
    label
from {{ ref('stg_lake__code_labels') }}
union all
select
    'subregion_code' as code_list,
    subregions.subregion_code as code,
    languages.lang,
    case languages.lang
        when 'en' then subregions.name_en
        when 'es' then subregions.name_es
        when 'pt' then subregions.name_pt
        when 'fr' then subregions.name_fr
    end as label
from {{ ref('stg_reference__subregions') }} as subregions
cross join (values ('en'), ('es'), ('pt'), ('fr')) as languages (lang)

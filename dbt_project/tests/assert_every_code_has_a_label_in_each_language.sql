-- Every code of code_labels is named, in each of the four languages, with a label that is not blank.
with codes as (
    select distinct
        code_list,
        code
    from {{ ref('code_labels') }}
)

select
    codes.code_list,
    codes.code,
    languages.lang
from codes
cross join (values ('en'), ('es'), ('pt'), ('fr')) as languages (lang)
left join {{ ref('code_labels') }} as labels
    on
        codes.code_list = labels.code_list
        and codes.code = labels.code
        and languages.lang = labels.lang
where labels.label is null or trim(labels.label) = ''

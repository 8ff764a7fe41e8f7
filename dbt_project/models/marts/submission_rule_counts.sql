-- Data quality: how many issues of each rule every submission had (rejected or accepted with
-- warnings), from the receipts' exact rule_counts. One row per submission x rule, with where the
-- registry puts the institution that sent it (country, subregion).
with counts as (
    select
        submissions.submission_id,
        submissions.institution_code,
        submissions.kind,
        submissions.period,
        submissions.status,
        submissions.received_at,
        unnest(json_keys(cast(submissions.rule_counts as json))) as rule
    from {{ ref('stg_lake__submissions') }} as submissions
    where submissions.status in ('REJECTED', 'ACCEPTED_WITH_WARNINGS')
)

select
    counts.submission_id,
    counts.institution_code,
    institutions.country_iso2,
    countries.subregion_code,
    counts.kind,
    counts.period,
    counts.status,
    counts.received_at,
    counts.rule,
    cast(json_extract(cast(submissions.rule_counts as json), '$.' || counts.rule) as bigint) as issues
from counts
inner join {{ ref('stg_lake__submissions') }} as submissions
    on counts.submission_id = submissions.submission_id
left join {{ ref('stg_reference__institutions') }} as institutions
    on counts.institution_code = institutions.institution_code
left join {{ ref('stg_reference__countries') }} as countries
    on institutions.country_iso2 = countries.country_iso2

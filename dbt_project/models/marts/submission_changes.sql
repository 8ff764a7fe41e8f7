-- What each accepted version changed against the version before it, by the kind's key (the
-- intake's resubmission diff): one row per accepted version, with where the registry puts the
-- institution that sent it. A first version, and a later one accepted before the diff existed, have
-- no comparison: their counts are NULL.
select
    submissions.submission_id,
    submissions.institution_code,
    institutions.country_iso2,
    countries.subregion_code,
    submissions.kind,
    submissions.period,
    submissions.version,
    submissions.received_at,
    diffs.previous_version,
    diffs.added,
    diffs.removed,
    diffs.changed,
    diffs.unchanged,
    diffs.changed_by_column
from {{ ref('stg_lake__submissions') }} as submissions
left join {{ ref('stg_lake__submission_diffs') }} as diffs
    on submissions.submission_id = diffs.submission_id
left join {{ ref('stg_reference__institutions') }} as institutions
    on submissions.institution_code = institutions.institution_code
left join {{ ref('stg_reference__countries') }} as countries
    on institutions.country_iso2 = countries.country_iso2
where submissions.status in ('ACCEPTED', 'ACCEPTED_WITH_WARNINGS')

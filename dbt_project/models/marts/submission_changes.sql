-- What each accepted version changed against the version before it, by the kind's key (the
-- intake's resubmission diff): one row per accepted version. A first version, and a later one
-- accepted before the diff existed, have no comparison: their counts are NULL.
select
    submissions.submission_id,
    submissions.institution_code,
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
where submissions.status in ('ACCEPTED', 'ACCEPTED_WITH_WARNINGS')

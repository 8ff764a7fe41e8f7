{{ config(meta={'dagster': {'asset_key': ['intermediate', 'int_training__current']}}) }}
-- Singular test: the warehouse holds exactly the current version of every institution x kind x
-- period (the ledger's newest accepted one), every row of it and nothing else: no superseded
-- version left behind by an incremental build, none missing, none counted twice.
with held as (
    select
        'staffing' as kind,
        submission_id,
        count(*) as held_rows
    from {{ ref('int_staffing__current') }}
    group by submission_id
    union all
    select
        'training' as kind,
        submission_id,
        count(*) as held_rows
    from {{ ref('int_training__current') }}
    group by submission_id
)

select
    coalesce(current_submission.kind, held.kind) as kind,
    coalesce(current_submission.submission_id, held.submission_id) as submission_id,
    current_submission.row_count,
    held.held_rows
from {{ ref('int_submissions__current') }} as current_submission
full outer join held
    on current_submission.kind = held.kind and current_submission.submission_id = held.submission_id
where held.held_rows is distinct from current_submission.row_count

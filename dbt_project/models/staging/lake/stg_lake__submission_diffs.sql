select
    submission_id,
    previous_version,
    added,
    removed,
    changed,
    unchanged,
    changed_by_column
from {{ source('lake', 'submission_diffs') }}

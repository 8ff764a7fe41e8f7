select
    submission_id,
    institution as institution_code,
    kind,
    period,
    status,
    cast(received_at as timestamp) as received_at,
    sha256,
    version,
    supersedes,
    late,
    rows as row_count,
    errors,
    warnings,
    rule_counts
from {{ source('lake', 'submissions') }}

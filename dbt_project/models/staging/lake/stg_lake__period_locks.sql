select
    period,
    locked,
    revision,
    cast(locked_at as timestamp) as locked_at,
    revisions
from {{ source('lake', 'period_locks') }}

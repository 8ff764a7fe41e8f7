-- "at" is quoted: a keyword of DuckDB (AT TIME ZONE).
select
    event_id,
    cast("at" as timestamp) as occurred_at,  -- noqa: RF06
    action,
    period,
    institution_code,
    kind,
    submission_id,
    status,
    version,
    rule,
    revision,
    actor,
    text
from {{ source('lake', 'cycle_events') }}

-- The reporting cycle's audit log as analysts read it (no staff identifier is ever in it).
select
    event_id,
    occurred_at,
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
from {{ ref('stg_lake__cycle_events') }}

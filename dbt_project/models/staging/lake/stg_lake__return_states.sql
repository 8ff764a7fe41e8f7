select
    institution_code,
    period,
    state,
    staffing_version,
    training_version,
    warnings_to_explain,
    explained,
    cast(last_event_at as timestamp) as last_event_at,
    cast(approved_at as timestamp) as approved_at,
    approved_by,
    returned_comment
from {{ source('lake', 'return_states') }}

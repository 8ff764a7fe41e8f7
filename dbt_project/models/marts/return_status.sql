-- The reporting cycle per return: every expected institution x period and its state, as
-- pipelines/cycle derives it from the ledger and the audit log (a return absent from the export
-- has nothing accepted yet: MISSING).
select
    calendar.institution_code,
    calendar.period,
    coalesce(returns.state, 'MISSING') as state,
    returns.staffing_version,
    returns.training_version,
    coalesce(returns.warnings_to_explain, 0) as warnings_to_explain,
    coalesce(returns.explained, 0) as explained,
    returns.last_event_at,
    returns.approved_at,
    returns.approved_by,
    returns.returned_comment
from {{ ref('int_reporting_calendar') }} as calendar
left join {{ ref('stg_lake__return_states') }} as returns
    on calendar.institution_code = returns.institution_code and calendar.period = returns.period

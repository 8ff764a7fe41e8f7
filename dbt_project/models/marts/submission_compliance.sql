-- Who sent what, when, and how it went: every expected institution x kind x period.
with kinds as (
    select unnest(['staffing', 'training']) as kind
),

expected as (
    select
        calendar.institution_code,
        kinds.kind,
        calendar.period,
        calendar.deadline
    from {{ ref('int_reporting_calendar') }} as calendar
    cross join kinds
),

received as (
    select * from {{ ref('stg_lake__submissions') }}
    where status != 'DUPLICATE'
),

per_slot as (
    select
        institution_code,
        kind,
        period,
        min(received_at) as first_received_at,
        max(version) as versions,
        arg_max(status, version) filter (where version is not null) as current_accepted_status,
        arg_max(status, received_at) as latest_status,
        arg_min(status, received_at) as first_status,
        min(received_at) filter (where version is not null) as first_accepted_at
    from received
    group by institution_code, kind, period
)

select
    expected.institution_code,
    expected.kind,
    expected.period,
    per_slot.institution_code is not null as submitted,
    per_slot.first_received_at,
    coalesce(cast(per_slot.first_accepted_at as date) <= expected.deadline, false) as on_time,
    coalesce(per_slot.versions, 0) as versions,
    coalesce(per_slot.current_accepted_status, per_slot.latest_status, 'NOT_SUBMITTED') as current_status,
    coalesce(per_slot.first_status in ('ACCEPTED', 'ACCEPTED_WITH_WARNINGS'), false) as first_pass_accepted
from expected
left join per_slot
    on
        expected.institution_code = per_slot.institution_code
        and expected.kind = per_slot.kind
        and expected.period = per_slot.period

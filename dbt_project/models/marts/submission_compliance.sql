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
    -- nothing received: on time is not known before the deadline, and false after it
    case
        when per_slot.institution_code is null and current_date <= expected.deadline then null
        else coalesce(cast(per_slot.first_accepted_at as date) <= expected.deadline, false)
    end as on_time,
    coalesce(per_slot.versions, 0) as versions,
    -- the current version's status, else REJECTED (files came, none accepted), else NULL (nothing came)
    case
        when per_slot.current_accepted_status is not null then per_slot.current_accepted_status
        when per_slot.institution_code is not null then 'REJECTED'
    end as current_status,
    per_slot.first_status in ('ACCEPTED', 'ACCEPTED_WITH_WARNINGS') as first_pass_accepted
from expected
left join per_slot
    on
        expected.institution_code = per_slot.institution_code
        and expected.kind = per_slot.kind
        and expected.period = per_slot.period

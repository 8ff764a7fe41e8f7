-- Each expected institution x period with its peer group (spec feedback.md: the size band by the
-- period's headcount; an institution without a current roster is placed by the registry's
-- approximate staff) and the facts of its return that a feedback report sets against its peers.
with reported as (
    select * from {{ ref('int_capacity__as_reported') }}
),

accepted as (
    select
        institution_code,
        period,
        kind,
        max(version) as versions,
        min(received_at) as first_accepted_at
    from {{ ref('stg_lake__submissions') }}
    where status in ('ACCEPTED', 'ACCEPTED_WITH_WARNINGS')
    group by institution_code, period, kind
),

returns as (
    select
        calendar.institution_code,
        calendar.period,
        calendar.deadline,
        coalesce(sum(accepted.versions), 0) as versions,
        count(accepted.kind) as kinds_accepted,
        max(accepted.first_accepted_at) as complete_at
    from {{ ref('int_reporting_calendar') }} as calendar
    left join accepted
        on calendar.institution_code = accepted.institution_code and calendar.period = accepted.period
    group by calendar.institution_code, calendar.period, calendar.deadline
),

sized as (
    select
        reported.institution_code,
        reported.period,
        reported.country_iso2,
        reported.subregion_code,
        coalesce(reported.headcount, registry.approx_staff) as size_headcount,
        case when reported.headcount is null then 'registry' else 'roster' end as size_basis
    from reported
    inner join {{ ref('stg_reference__institutions') }} as registry
        on reported.institution_code = registry.institution_code
)

select
    sized.institution_code,
    sized.period,
    sized.country_iso2,
    sized.subregion_code,
    case
        when sized.size_headcount < 1000 then 'UNDER_1000'
        when sized.size_headcount < 10000 then 'FROM_1000_TO_9999'
        else 'FROM_10000'
    end as size_band,
    sized.size_basis,
    cast(sized.size_headcount as bigint) as size_headcount,
    cast(returns.versions as bigint) as versions,
    -- days after the deadline the return was complete (both kinds accepted): 0 on time; null while a kind is missing
    case
        when returns.kinds_accepted = 2
            then cast(greatest(date_diff('day', returns.deadline, cast(returns.complete_at as date)), 0) as bigint)
    end as days_late
from sized
inner join returns
    on sized.institution_code = returns.institution_code and sized.period = returns.period

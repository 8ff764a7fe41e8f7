-- Numerators and denominators of every capacity measure, per institution x period, from the
-- current versions only. Rollups add these up; the ratios are taken in capacity_measures().
with roster as (
    select
        institution_code,
        period,
        count(*) as headcount,
        sum(fte) as fte,
        count(*) filter (where sex = 'F') as headcount_female,
        count(*) filter (where sex = 'M') as headcount_male
    from {{ ref('int_staffing__current') }}
    group by institution_code, period
),

training as (
    select
        training.*,
        training.status = 'COMPLETED'
        and training.end_date between calendar.period_start and calendar.period_end as completed_in_period
    from {{ ref('int_training__current') }} as training
    inner join {{ ref('int_reporting_calendar') }} as calendar
        on training.institution_code = calendar.institution_code and training.period = calendar.period
),

activity as (
    select
        institution_code,
        period,
        count(distinct staff_key) as participants,
        coalesce(sum(hours) filter (where completed_in_period), 0) as completed_hours,
        coalesce(sum(hours) filter (where completed_in_period and provider = 'CIESS'), 0) as ciess_completed_hours,
        count(*) filter (where status in ('COMPLETED', 'WITHDRAWN', 'FAILED')) as closed_enrolments,
        count(*) filter (where status = 'COMPLETED') as completions,
        count(*) filter (where status = 'COMPLETED' and certified) as certifications,
        sum(post_score - pre_score) filter (
            where status = 'COMPLETED' and pre_score is not null and post_score is not null
        ) as score_gain_sum,
        count(*) filter (
            where status = 'COMPLETED' and pre_score is not null and post_score is not null
        ) as score_gain_n
    from training
    group by institution_code, period
),

trained as (
    select
        training.institution_code,
        training.period,
        count(distinct training.staff_key) as staff_trained,
        count(distinct training.staff_key) filter (where roster.sex = 'F') as staff_trained_female,
        count(distinct training.staff_key) filter (where roster.sex = 'M') as staff_trained_male
    from training
    inner join {{ ref('int_staffing__current') }} as roster
        on
            training.institution_code = roster.institution_code
            and training.period = roster.period
            and training.staff_key = roster.staff_key
    where training.completed_in_period
    group by training.institution_code, training.period
)

select
    calendar.institution_code,
    calendar.country_iso2,
    calendar.subregion_code,
    calendar.period,
    roster.institution_code is not null as has_roster,
    activity.institution_code is not null as has_training,
    roster.headcount,
    roster.fte,
    roster.headcount_female,
    roster.headcount_male,
    activity.participants,
    case when roster.institution_code is not null then coalesce(trained.staff_trained, 0) end as staff_trained,
    case when roster.institution_code is not null then coalesce(trained.staff_trained_female, 0) end
        as staff_trained_female,
    case when roster.institution_code is not null then coalesce(trained.staff_trained_male, 0) end
        as staff_trained_male,
    activity.completed_hours,
    -- an institution with a roster and no training file trained no one for no hours: 0, as for staff_trained
    case when roster.institution_code is not null then coalesce(activity.completed_hours, 0) end
        as completed_hours_rostered,
    activity.ciess_completed_hours,
    activity.closed_enrolments,
    activity.completions,
    activity.certifications,
    activity.score_gain_sum,
    activity.score_gain_n
from {{ ref('int_reporting_calendar') }} as calendar
left join roster
    on calendar.institution_code = roster.institution_code and calendar.period = roster.period
left join activity
    on calendar.institution_code = activity.institution_code and calendar.period = activity.period
left join trained
    on calendar.institution_code = trained.institution_code and calendar.period = trained.period

{%- set both = 'roster.institution_code is not null and activity.institution_code is not null' -%}
{%- set sources = ['institution_code', 'period', 'country_iso2', 'subregion_code',
                   'staffing_submission_id', 'training_submission_id'] -%}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_rows_not_current('select * from ' ~ ref('int_reporting_calendar'), "
            ~ sources ~ ") }}",
    )
}}
-- Numerators and denominators of every capacity measure, per institution x period, from the
-- current versions only. Rollups add these up; the ratios are taken in capacity_measures().
-- Incremental (macros/incremental_slots.sql): each row records the roster and training file it was
-- computed from; only the slots whose current files (or registry entry) changed are computed again.
with slots as (
    select calendar.* from {{ ref('int_reporting_calendar') }} as calendar
    where {{ not_held('calendar', sources) }}
),

roster_rows as (
    select staffing.*
    from {{ ref('int_staffing__current') }} as staffing
    inner join slots
        on staffing.institution_code = slots.institution_code and staffing.period = slots.period
),

roster as (
    select
        institution_code,
        period,
        any_value(submission_id) as staffing_submission_id,
        count(*) as headcount,
        sum(fte) as fte,
        count(*) filter (where sex = 'F') as headcount_female,
        count(*) filter (where sex = 'M') as headcount_male
    from roster_rows
    group by institution_code, period
),

training as (
    select
        training.*,
        training.status = 'COMPLETED'
        and training.end_date between slots.period_start and slots.period_end as completed_in_period
    from {{ ref('int_training__current') }} as training
    inner join slots
        on training.institution_code = slots.institution_code and training.period = slots.period
),

activity as (
    select
        institution_code,
        period,
        any_value(submission_id) as training_submission_id,
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
        count(distinct training.staff_key) filter (where roster_rows.sex = 'F') as staff_trained_female,
        count(distinct training.staff_key) filter (where roster_rows.sex = 'M') as staff_trained_male
    from training
    inner join roster_rows
        on
            training.institution_code = roster_rows.institution_code
            and training.period = roster_rows.period
            and training.staff_key = roster_rows.staff_key
    where training.completed_in_period
    group by training.institution_code, training.period
)

select
    slots.institution_code,
    slots.country_iso2,
    slots.subregion_code,
    slots.period,
    roster.institution_code is not null as has_roster,
    activity.institution_code is not null as has_training,
    roster.headcount,
    roster.fte,
    roster.headcount_female,
    roster.headcount_male,
    activity.participants,
    -- a missing file is not zero activity (spec): the training measures are NULL without a training file
    case when {{ both }} then coalesce(trained.staff_trained, 0) end as staff_trained,
    case when {{ both }} then coalesce(trained.staff_trained_female, 0) end as staff_trained_female,
    case when {{ both }} then coalesce(trained.staff_trained_male, 0) end as staff_trained_male,
    activity.completed_hours,
    case when {{ both }} then activity.completed_hours end as completed_hours_rostered,
    activity.ciess_completed_hours,
    activity.closed_enrolments,
    activity.completions,
    activity.certifications,
    activity.score_gain_sum,
    activity.score_gain_n,
    roster.staffing_submission_id,
    activity.training_submission_id,
    '{{ invocation_id }}' as dbt_invocation_id
from slots
left join roster
    on slots.institution_code = roster.institution_code and slots.period = roster.period
left join activity
    on slots.institution_code = activity.institution_code and slots.period = activity.period
left join trained
    on slots.institution_code = trained.institution_code and slots.period = trained.period

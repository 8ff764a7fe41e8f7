{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_rows_not_current(current_submissions_sql('training'), ['submission_id']) }}",
    )
}}
-- What the training was: participations, completions and hours by thematic area, provider and
-- modality, per institution x period (current versions only), and the training file they come from.
-- Incremental (macros/incremental_slots.sql): only the training files not summarised yet are read.
with wanted as (
    select current_submission.submission_id
    from {{ ref('int_submissions__current') }} as current_submission
    where current_submission.kind = 'training' and {{ not_held('current_submission', ['submission_id']) }}
)

select
    training.institution_code,
    training.period,
    training.thematic_area,
    training.provider,
    training.modality,
    count(*) as participations,
    count(distinct training.staff_key) as participants,
    count(*) filter (where training.status = 'COMPLETED') as completions,
    count(*) filter (where training.status in ('COMPLETED', 'WITHDRAWN', 'FAILED')) as closed_enrolments,
    count(*) filter (where training.status = 'COMPLETED' and training.certified) as certifications,
    coalesce(sum(training.hours) filter (where training.status = 'COMPLETED'), 0) as completed_hours,
    sum(training.cost_local) as cost_local,
    training.submission_id
from {{ ref('int_training__current') }} as training
inner join wanted on training.submission_id = wanted.submission_id
group by
    training.institution_code, training.period, training.thematic_area, training.provider, training.modality,
    training.submission_id

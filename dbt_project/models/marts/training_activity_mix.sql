{%- set sources = ['submission_id', 'country_iso2', 'subregion_code'] -%}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_rows_not_current('select training_submission_id as submission_id, country_iso2, "
            ~ "subregion_code from ' ~ ref('int_reporting_calendar') ~ ' where training_submission_id is not null', "
            ~ sources ~ ") }}",
    )
}}
-- What the training was: participations, completions and hours by thematic area, provider and
-- modality, per institution x period (current versions only), where the registry puts the
-- institution (country, subregion), and the training file they come from.
-- Incremental (macros/incremental_slots.sql): each row records its training file and the
-- institution's country and subregion; only the training files not summarised yet, or whose
-- institution the registry moved, are read.
with training_files as (
    select
        calendar.training_submission_id as submission_id,
        calendar.country_iso2,
        calendar.subregion_code
    from {{ ref('int_reporting_calendar') }} as calendar
    where calendar.training_submission_id is not null
),

wanted as (
    select training_files.*
    from training_files
    where {{ not_held('training_files', sources) }}
)

select
    training.institution_code,
    wanted.country_iso2,
    wanted.subregion_code,
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
    training.institution_code, wanted.country_iso2, wanted.subregion_code, training.period,
    training.thematic_area, training.provider, training.modality, training.submission_id

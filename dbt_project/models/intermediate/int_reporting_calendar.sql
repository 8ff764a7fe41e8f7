-- Every institution expected in every period with at least one accepted submission (a member then:
-- member_from <= period <= member_to): where it is, and which roster and training file are current
-- (null: none yet). YYYY-Qn periods compare as text in the order of the quarters.
-- (A rejected file alone does not open a period.)
with periods as (
    select distinct period from {{ ref('stg_lake__submissions') }}
    where status in ('ACCEPTED', 'ACCEPTED_WITH_WARNINGS')
),

current_submissions as (
    select * from {{ ref('int_submissions__current') }}
)

select
    institutions.institution_code,
    institutions.country_iso2,
    countries.subregion_code,
    periods.period,
    {{ period_start('periods.period') }} as period_start,
    {{ period_end('periods.period') }} as period_end,
    {{ period_end('periods.period') }} + cast({{ var('deadline_days') }} as integer) as deadline,
    staffing.submission_id as staffing_submission_id,
    training.submission_id as training_submission_id
from {{ ref('stg_reference__institutions') }} as institutions
inner join {{ ref('stg_reference__countries') }} as countries
    on institutions.country_iso2 = countries.country_iso2
cross join periods
left join current_submissions as staffing
    on
        institutions.institution_code = staffing.institution_code
        and periods.period = staffing.period
        and staffing.kind = 'staffing'
left join current_submissions as training
    on
        institutions.institution_code = training.institution_code
        and periods.period = training.period
        and training.kind = 'training'
where
    institutions.member_from <= periods.period
    and (institutions.member_to is null or periods.period <= institutions.member_to)

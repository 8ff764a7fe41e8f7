-- What the training was: participations, completions and hours by thematic area, provider and
-- modality, per institution x period (current versions only).
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
    sum(training.cost_local) as cost_local
from {{ ref('int_training__current') }} as training
group by
    training.institution_code, training.period, training.thematic_area, training.provider, training.modality

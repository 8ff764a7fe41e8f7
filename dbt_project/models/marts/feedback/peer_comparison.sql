-- The quartiles of the institutions' own values per period x comparison group x measure: the
-- institutions of a size band across the Americas, and all institutions of the Americas (spec
-- feedback.md). Quantiles are continuous (linear between the ordered values); an institution
-- without a value for a measure does not count for it. No institution is named.
{%- set measures = ['headcount', 'fte', 'participants', 'staff_trained', 'training_coverage',
    'completed_hours', 'hours_per_employee', 'closed_enrolments', 'completions', 'completion_rate',
    'certifications', 'certification_rate', 'mean_score_gain', 'female_coverage', 'male_coverage',
    'gender_parity_index', 'ciess_hours_share'] %}
with values_wide as (
    select
        groups.period,
        groups.size_band,
        {% for measure in measures %}cast(reported.{{ measure }} as double) as {{ measure }},
        {% endfor %}cast(groups.versions as double) as versions,
        cast(groups.days_late as double) as days_late
    from {{ ref('institution_peer_groups') }} as groups
    inner join {{ ref('int_capacity__as_reported') }} as reported
        on groups.institution_code = reported.institution_code and groups.period = reported.period
),

values_long as (
    unpivot values_wide
    on columns(* exclude (period, size_band))
    into name measure value measure_value
),

grouped as (
    select
        period,
        'size_band' as comparison,
        size_band as group_code,
        measure,
        measure_value
    from values_long
    union all
    select
        period,
        'americas' as comparison,
        'AMERICAS' as group_code,
        measure,
        measure_value
    from values_long
)

select
    period,
    comparison,
    group_code,
    measure,
    count(*) as institutions,
    quantile_cont(measure_value, 0.25) as q1,
    quantile_cont(measure_value, 0.5) as median,
    quantile_cont(measure_value, 0.75) as q3
from grouped
group by period, comparison, group_code, measure

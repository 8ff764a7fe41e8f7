{{ config(meta={'dagster': {'asset_key': ['marts', 'capacity_americas']}}) }}
-- Singular test: the Americas rollup adds up exactly what the institutions hold, for every
-- additive measure and every period (no institution counted twice, none lost).
with institutions as (
    select
        period,
        sum(headcount) as headcount,
        sum(staff_trained) as staff_trained,
        sum(completions) as completions,
        sum(completed_hours) as completed_hours
    from {{ ref('capacity_by_institution') }}
    group by period
)

select americas.period
from {{ ref('capacity_americas') }} as americas
inner join institutions on americas.period = institutions.period
where
    americas.headcount is distinct from institutions.headcount
    or americas.staff_trained is distinct from institutions.staff_trained
    or americas.completions is distinct from institutions.completions
    or abs(coalesce(americas.completed_hours, 0) - coalesce(institutions.completed_hours, 0)) > 1e-6

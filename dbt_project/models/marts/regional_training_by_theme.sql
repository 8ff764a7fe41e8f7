-- Completed hours and completions by thematic area, per subregion and for the whole Americas, per
-- period: the "hours by thematic area" of the regional summaries. geography_level says which a row
-- is; subregion_code is null on the rows of the whole Americas (no subregion code means "all").
with by_subregion as (
    select
        subregion_code,
        period,
        thematic_area,
        sum(completed_hours) as completed_hours,
        cast(sum(completions) as bigint) as completions
    from {{ ref('training_activity_mix') }}
    group by subregion_code, period, thematic_area
)

select
    'subregion' as geography_level,
    subregion_code,
    period,
    thematic_area,
    completed_hours,
    completions
from by_subregion
union all
select
    'americas' as geography_level,
    cast(null as varchar) as subregion_code,
    period,
    thematic_area,
    sum(completed_hours) as completed_hours,
    cast(sum(completions) as bigint) as completions
from by_subregion
group by period, thematic_area

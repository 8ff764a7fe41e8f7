-- Completed hours and completions by thematic area, per region (a subregion, or AMERICAS for the
-- whole continent) and period: the "hours by thematic area" of the regional summaries.
with by_subregion as (
    select
        institutions.subregion_code as region_code,
        mix.period,
        mix.thematic_area,
        sum(mix.completed_hours) as completed_hours,
        cast(sum(mix.completions) as bigint) as completions
    from {{ ref('training_activity_mix') }} as mix
    inner join {{ ref('registry_institutions') }} as institutions
        on mix.institution_code = institutions.institution_code
    group by institutions.subregion_code, mix.period, mix.thematic_area
)

select
    region_code,
    period,
    thematic_area,
    completed_hours,
    completions
from by_subregion
union all
select
    'AMERICAS' as region_code,
    period,
    thematic_area,
    sum(completed_hours) as completed_hours,
    cast(sum(completions) as bigint) as completions
from by_subregion
group by period, thematic_area

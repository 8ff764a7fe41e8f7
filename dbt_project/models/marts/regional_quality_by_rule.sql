-- Data quality per subregion and for the whole Americas, per period: submissions rejected or
-- accepted with warnings, and their issues, by rule. geography_level says which a row is;
-- subregion_code is null on the rows of the whole Americas (no subregion code means "all").
with issues as (
    select
        subregion_code,
        period,
        rule,
        status,
        submission_id,
        issues
    from {{ ref('submission_rule_counts') }}
    where subregion_code is not null  -- institutions of the registry only, as in every regional figure
)

select
    'subregion' as geography_level,
    subregion_code,
    period,
    rule,
    status,
    count(distinct submission_id) as submissions,
    cast(sum(issues) as bigint) as issues
from issues
group by subregion_code, period, rule, status
union all
select
    'americas' as geography_level,
    cast(null as varchar) as subregion_code,
    period,
    rule,
    status,
    count(distinct submission_id) as submissions,
    cast(sum(issues) as bigint) as issues
from issues
group by period, rule, status

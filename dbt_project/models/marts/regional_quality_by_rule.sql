-- Data quality per region (a subregion, or AMERICAS) and period: submissions rejected or accepted
-- with warnings, and their issues, by rule.
with issues as (
    select
        institutions.subregion_code,
        rules.period,
        rules.rule,
        rules.status,
        rules.submission_id,
        rules.issues
    from {{ ref('submission_rule_counts') }} as rules
    inner join {{ ref('registry_institutions') }} as institutions
        on rules.institution_code = institutions.institution_code
)

select
    subregion_code as region_code,
    period,
    rule,
    status,
    count(distinct submission_id) as submissions,
    cast(sum(issues) as bigint) as issues
from issues
group by subregion_code, period, rule, status
union all
select
    'AMERICAS' as region_code,
    period,
    rule,
    status,
    count(distinct submission_id) as submissions,
    cast(sum(issues) as bigint) as issues
from issues
group by period, rule, status

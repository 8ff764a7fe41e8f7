-- The figures a report gives for each institution x period: a locked period's newest final
-- revision (never rewritten, whatever is built later), every other period's current figures.
with live as (
    select * from {{ ref('capacity_by_institution') }}
),

kept as (
    select * from {{ ref('final_capacity_by_institution') }}
),

newest as (
    select
        period,
        max(revision) as revision
    from kept
    group by period
),

locked as (
    select distinct period from live
    where data_status = 'final'
)

select kept.* exclude (revision, locked_at)  -- noqa: RF02
from kept
inner join newest on kept.period = newest.period and kept.revision = newest.revision
where kept.period in (select locked.period from locked)
union all by name
select live.* from live
where live.period not in (select locked.period from locked)

{{ config(meta={'dagster': {'asset_key': ['intermediate', 'int_training__current']}}) }}
-- Singular test: the warehouse reads exactly one version of each institution x kind x period.
select
    institution_code,
    period,
    count(distinct version) as versions
from {{ ref('int_staffing__current') }}
group by institution_code, period
having count(distinct version) > 1
union all
select
    institution_code,
    period,
    count(distinct version) as versions
from {{ ref('int_training__current') }}
group by institution_code, period
having count(distinct version) > 1

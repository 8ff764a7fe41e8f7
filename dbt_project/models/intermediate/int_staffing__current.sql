-- The current roster of each institution x period: the newest accepted version in the lake.
select *
from {{ ref('stg_lake__staffing') }}
qualify version = max(version) over (partition by institution_code, period)

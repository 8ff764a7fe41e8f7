-- The current training file of each institution x period: the newest accepted version in the lake.
select *
from {{ ref('stg_lake__training') }}
qualify version = max(version) over (partition by institution_code, period)

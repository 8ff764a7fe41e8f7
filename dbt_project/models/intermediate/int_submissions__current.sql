-- The current version of every institution x kind x period: its newest accepted submission in the
-- ledger. What the warehouse reads from the lake, and what the incremental models compare with.
select
    institution_code,
    kind,
    period,
    submission_id,
    version,
    row_count
from {{ ref('stg_lake__submissions') }}
where status in ('ACCEPTED', 'ACCEPTED_WITH_WARNINGS')
qualify version = max(version) over (partition by institution_code, kind, period)

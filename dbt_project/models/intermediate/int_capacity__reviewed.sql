-- The capacity slots (institution x period) with where the cycle stands: the return approved, the
-- period locked. Kept apart from the incremental model, whose rows depend on the files only: an
-- approval or a lock changes these flags, never the figures.
select
    capacity.*,
    coalesce(returns.state = 'APPROVED', false) as return_approved,
    coalesce(locks.locked, false) as period_locked
from {{ ref('int_capacity__institution_period') }} as capacity
left join {{ ref('stg_lake__return_states') }} as returns
    on capacity.institution_code = returns.institution_code and capacity.period = returns.period
left join {{ ref('stg_lake__period_locks') }} as locks
    on capacity.period = locks.period

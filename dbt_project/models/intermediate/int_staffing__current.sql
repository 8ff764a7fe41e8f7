{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_rows_not_current(current_submissions_sql('staffing'), ['submission_id']) }}",
    )
}}
-- The current roster of each institution x period: the rows of its newest accepted version (the
-- ledger says which). Incremental (macros/incremental_slots.sql): only the lake files of current
-- submissions not held yet are read; the rows of superseded submissions are deleted.
-- depends_on: {{ ref('int_submissions__current') }}
select
    *,
    '{{ invocation_id }}' as dbt_invocation_id
from {{ ref('stg_lake__staffing') }}
where {{ lake_versions_to_read('staffing') }}

-- Incremental models over institution x period slots: a build costs what changed, not what is held.
--
-- Every row of such a model records the sources it was computed from: the submission_id of the
-- lake rows it holds, or, for one row per slot, the submission_ids of the slot's roster and
-- training file and where the registry puts the institution. The current sources come from the
-- ledger (int_submissions__current, int_reporting_calendar). A build then
--   1. deletes, in the model's pre-hook, the rows whose sources are no longer current (a new
--      version superseded the file, the ledger no longer holds it, the registry moved the
--      institution): `delete_rows_not_current`;
--   2. selects only the current sources that the model does not hold yet (`not_held`) and appends
--      their rows (incremental_strategy 'append').
-- An untouched slot is neither read from the lake nor rewritten, and what the model holds is what
-- `--full-refresh` (or a first build) gives: the rows of the current sources, each once.

{% macro delete_rows_not_current(current, columns) -%}
    {%- if is_incremental() -%}
        {%- do _require_recorded_sources(columns) -%}
        delete from {{ this }} as held
        where not exists (
            select 1 from ({{ current }}) as current_source
            where {{ _same_source('current_source', 'held', columns) }}
        )
    {%- endif -%}
{%- endmacro %}

{% macro not_held(alias, columns) -%}
    {%- if is_incremental() -%}
        not exists (
            select 1 from (select distinct {{ columns | join(', ') }} from {{ this }}) as held
            where {{ _same_source(alias, 'held', columns) }}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro _require_recorded_sources(columns) -%}
    {#- A table built before this model recorded its sources cannot say which rows are current. -#}
    {%- set held = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- set missing = columns | reject('in', held) | list -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            this ~ ' was built before it recorded ' ~ missing | join(', ') ~
            ': rebuild it once with `ciess build --full-refresh` (or dbt build --full-refresh)'
        ) }}
    {%- endif -%}
{%- endmacro %}

{% macro _same_source(left, right, columns) -%}
    {%- for column in columns -%}
        {{ left }}.{{ column }} is not distinct from {{ right }}.{{ column }}{{ ' and ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{% macro current_submissions_sql(kind) -%}
    select submission_id from {{ ref('int_submissions__current') }} where kind = '{{ kind }}'
{%- endmacro %}

{% macro lake_versions_to_read(kind) -%}
    {#- The lake files a current-version model reads: the current submissions of `kind` it does not
        hold yet, as a predicate on the lake's partition columns with the values written out, so
        that DuckDB opens those files only (a join prunes files only when one slot changed). -#}
    {%- set current = ref('int_submissions__current') -%}
    {%- if not execute or load_relation(current) is none -%}
        {{ return('false') }}
    {%- endif -%}
    {%- set found = run_query(
        'select institution_code, period, version from ' ~ current ~ ' as current_submission '
        ~ "where kind = '" ~ kind ~ "' and " ~ not_held('current_submission', ['submission_id'])
        ~ ' order by all'
    ) -%}
    {%- set slots = [] -%}
    {%- for row in found.rows -%}
        {%- do slots.append('(' ~ _literal(row[0]) ~ ', ' ~ _literal(row[1]) ~ ', ' ~ row[2] | int ~ ')') -%}
    {%- endfor -%}
    {{ return('(institution_code, period, version) in (' ~ slots | join(', ') ~ ')' if slots else 'false') }}
{%- endmacro %}

{% macro _literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

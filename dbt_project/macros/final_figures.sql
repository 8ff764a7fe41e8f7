-- The kept final figures of a capacity mart (pipelines/warehouse/final_figures.py writes them when
-- a period is locked, once per revision, never rewritten): every revision of every locked period.
-- Before the first lock there is no file to read, and the mart is empty with the mart's columns.
{% macro final_figures(mart) -%}
    {%- set pattern = var('ciess_home', env_var('CIESS_HOME', '../data')) ~ '/final/' ~ mart ~ '/*/*/rows.parquet' -%}
    {%- set kept = 0 -%}
    {%- if execute -%}
        {%- set found = run_query("select count(*) from glob('" ~ pattern | replace("'", "''") ~ "')") -%}
        {%- set kept = found.columns[0].values()[0] -%}
    {%- endif -%}
    {%- if kept > 0 -%}
        select * from read_parquet('{{ pattern | replace("'", "''") }}', union_by_name = true)
    {%- else -%}
        select
            *,
            cast(null as bigint) as revision,
            cast(null as timestamp) as locked_at
        from {{ ref(mart) }}
        where false
    {%- endif -%}
{%- endmacro %}

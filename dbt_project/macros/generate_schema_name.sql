-- Schemas are named as configured (staging, intermediate, marts, reference), without the
-- target's prefix, so analysts query marts.capacity_by_institution.
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}

{% test written_as_a_period(model, column_name) %}
-- A quarter written YYYY-Qn (the spec's period), or empty.
select *
from {{ model }}
where {{ column_name }} is not null and not regexp_full_match({{ column_name }}, '[12][0-9]{3}-Q[1-4]')
{% endtest %}

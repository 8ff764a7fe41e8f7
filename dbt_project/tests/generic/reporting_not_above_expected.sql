{% test reporting_not_above_expected(model) %}
-- A rollup never counts more institutions reporting than it expects.
select *
from {{ model }}
where institutions_reporting > institutions_expected
{% endtest %}

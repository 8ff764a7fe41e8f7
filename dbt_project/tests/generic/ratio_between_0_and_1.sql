{% test ratio_between_0_and_1(model, column_name) %}
-- Shares and coverages: NULL (zero denominator) or within 0..1.
select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}

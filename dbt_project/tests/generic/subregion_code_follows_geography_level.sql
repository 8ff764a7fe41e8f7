{% test subregion_code_follows_geography_level(model) %}
-- A regional mart's row is one subregion (its subregion_code) or the whole Americas (subregion_code
-- null): never a subregion row without its code, never a code on a row of the whole Americas.
select geography_level, subregion_code
from {{ model }}
where
    (geography_level = 'subregion' and subregion_code is null)
    or (geography_level = 'americas' and subregion_code is not null)
{% endtest %}

-- The whole continent: the same rollup as the countries and subregions, over every institution.
{{ capacity_rollup(['period']) }}

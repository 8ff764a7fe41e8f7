{{ capacity_rollup(['country_iso2', 'period']) }}

{{ capacity_rollup(['subregion_code', 'period']) }}

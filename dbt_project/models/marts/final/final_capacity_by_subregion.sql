-- The final figures of every locked period, every revision (macros/final_figures.sql).
{{ final_figures('capacity_by_subregion') }}

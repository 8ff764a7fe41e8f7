-- The KPI formulas of the spec, written once. Every mart (institution, country, subregion,
-- Americas) selects capacity_measures() over its group: ratios are ratios of sums, never means of
-- ratios, and a zero or missing denominator gives NULL.

{% macro safe_ratio(numerator, denominator) -%}
    case when coalesce({{ denominator }}, 0) = 0 then null
         else cast({{ numerator }} as double) / {{ denominator }} end
{%- endmacro %}

{% macro period_start(period) -%}
    make_date(cast(left({{ period }}, 4) as integer), 3 * cast(right({{ period }}, 1) as integer) - 2, 1)
{%- endmacro %}

{% macro period_end(period) -%}
    cast({{ period_start(period) }} + interval 3 month - interval 1 day as date)
{%- endmacro %}

{% macro capacity_measures() -%}
    {#- Coverage-type ratios and hours_per_employee: only institutions with both a current roster and a
        current training file, numerator and denominator alike (spec: a missing file is not zero activity). -#}
    {%- set both = ' filter (where has_roster and has_training)' -%}
    cast(sum(headcount) as bigint) as headcount,
    cast(sum(fte) as double) as fte,
    cast(sum(participants) as bigint) as participants,
    cast(sum(staff_trained) as bigint) as staff_trained,
    {{ safe_ratio('sum(staff_trained)', 'sum(headcount)' ~ both) }} as training_coverage,
    cast(sum(completed_hours) as double) as completed_hours,
    {{ safe_ratio('sum(completed_hours_rostered)', 'sum(headcount)' ~ both) }} as hours_per_employee,
    cast(sum(closed_enrolments) as bigint) as closed_enrolments,
    cast(sum(completions) as bigint) as completions,
    {{ safe_ratio('sum(completions)', 'sum(closed_enrolments)') }} as completion_rate,
    cast(sum(certifications) as bigint) as certifications,
    {{ safe_ratio('sum(certifications)', 'sum(completions)') }} as certification_rate,
    {{ safe_ratio('sum(score_gain_sum)', 'sum(score_gain_n)') }} as mean_score_gain,
    {{ safe_ratio('sum(staff_trained_female)', 'sum(headcount_female)' ~ both) }} as female_coverage,
    {{ safe_ratio('sum(staff_trained_male)', 'sum(headcount_male)' ~ both) }} as male_coverage,
    {{ safe_ratio(
        safe_ratio('sum(staff_trained_female)', 'sum(headcount_female)' ~ both),
        safe_ratio('sum(staff_trained_male)', 'sum(headcount_male)' ~ both)
    ) }} as gender_parity_index,
    {{ safe_ratio('sum(ciess_completed_hours)', 'sum(completed_hours)') }} as ciess_hours_share
{%- endmacro %}

{% macro capacity_rollup(group_by) -%}
    -- Rollup: numerators and denominators are added, then divided (never a mean of ratios).
    -- Coverage-type ratios only count institutions with both files current (capacity_measures).
    select
        {% for column in group_by %}{{ column }},
        {% endfor %}count(*) as institutions_expected,
        count(*) filter (where has_roster or has_training) as institutions_reporting,
        count(*) filter (where return_approved) as institutions_approved,
        case when bool_or(period_locked) then 'final' else 'provisional' end as data_status,
        {{ capacity_measures() }}
    from {{ ref('int_capacity__reviewed') }}
    group by {{ group_by | join(', ') }}
{%- endmacro %}

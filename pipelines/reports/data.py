"""What one regional summary shows, read from the published marts only (never the lake)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from pipelines.common.periods import Period

AMERICAS = "AMERICAS"  # the all-Americas report, beside the subregions
HEADLINE_MEASURES = (
    "headcount",
    "staff_trained",
    "training_coverage",
    "hours_per_employee",
    "completion_rate",
    "certification_rate",
    "mean_score_gain",
    "gender_parity_index",
    "ciess_hours_share",
)
TREND_QUARTERS = 6


@dataclass
class ReportData:
    geo: str  # a subregion code or AMERICAS
    period: Period
    headline: dict[str, dict[str, Any]]  # "current" / "previous" / "year_before" -> measures
    institutions: list[dict[str, Any]] = field(default_factory=list)
    trend: list[dict[str, Any]] = field(default_factory=list)
    hours_by_theme: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    late: list[dict[str, Any]] = field(default_factory=list)
    quality: list[dict[str, Any]] = field(default_factory=list)  # rule, status, submissions, issues
    # FINAL (the period is locked: its figures are its newest final revision) or PROVISIONAL
    status: dict[str, Any] = field(default_factory=dict)  # final, revision, locked_at, approved, expected


# The capacity marts a report reads, each as a view that gives a locked period's newest final revision
# (marts.final_<mart>) and every other period's current figures (spec cycle.md: regional summaries).
CAPACITY_MARTS = ("capacity_americas", "capacity_by_subregion", "capacity_by_institution")


def prepare_figures(connection: duckdb.DuckDBPyConnection) -> None:
    """The report's views `figures.<mart>` (temporary: the published database is read-only)."""
    for mart in CAPACITY_MARTS:
        connection.execute(
            f"""create or replace temp view figures_{mart} as
                with locked as (select period from marts.capacity_americas where data_status = 'final'),
                newest as (select period, max(revision) as revision from marts.final_{mart} group by period)
                select * exclude (revision, locked_at) from marts.final_{mart}
                where period in (select period from locked)
                  and (period, revision) in (select (period, revision) from newest)
                union all by name
                select * from marts.{mart} where period not in (select period from locked)"""
        )


def figures_status(connection: duckdb.DuckDBPyConnection, geo: str, period: Period) -> dict[str, Any]:
    """FINAL with its revision and date when the period is locked, else PROVISIONAL with how many of the
    expected returns CIESS approved."""
    final = _records(
        connection,
        "select revision, locked_at from marts.final_capacity_americas where period = ? order by revision desc limit 1",
        [str(period)],
    )
    if geo == AMERICAS:
        rollup = _records(connection, "select * from marts.capacity_americas where period = ?", [str(period)])
    else:
        rollup = _records(
            connection,
            "select * from marts.capacity_by_subregion where period = ? and subregion_code = ?",
            [str(period), geo],
        )
    row = rollup[0] if rollup else {}
    locked = row.get("data_status") == "final" and bool(final)
    return {
        "final": locked,
        "revision": final[0]["revision"] if locked else None,
        "locked_at": final[0]["locked_at"] if locked else None,
        "approved": row.get("institutions_approved") or 0,
        "expected": row.get("institutions_expected") or 0,
    }


def _records(connection: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, params or [])
    columns = [item[0] for item in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def geos(connection: duckdb.DuckDBPyConnection) -> list[str]:
    return [AMERICAS] + [
        row["subregion_code"]
        for row in _records(connection, "select subregion_code from marts.registry_subregions order by 1")
    ]


def periods(connection: duckdb.DuckDBPyConnection) -> list[str]:
    return [row["period"] for row in _records(connection, "select period from marts.capacity_americas order by 1")]


def _scope(geo: str) -> tuple[str, list]:
    """SQL filter on marts.registry_institutions (alias i) for the geo."""
    return ("true", []) if geo == AMERICAS else ("i.subregion_code = ?", [geo])


def _regional_rows(geo: str) -> tuple[str, list]:
    """SQL filter on a regional mart (geography_level, subregion_code) for the geo."""
    if geo == AMERICAS:
        return "geography_level = 'americas'", []
    return "geography_level = 'subregion' and subregion_code = ?", [geo]


def load_report_data(connection: duckdb.DuckDBPyConnection, geo: str, period: Period) -> ReportData:
    prepare_figures(connection)
    where, params = _scope(geo)
    if geo == AMERICAS:
        rollup = "select * from figures_capacity_americas where period = ?"
        rollup_params: list = []
    else:
        rollup = "select * from figures_capacity_by_subregion where subregion_code = ? and period = ?"
        rollup_params = [geo]
    headline = {}
    for label, when in (
        ("current", period),
        ("previous", period.previous()),
        ("year_before", Period(period.year - 1, period.quarter)),
    ):
        found = _records(connection, rollup, [*rollup_params, str(when)])
        headline[label] = found[0] if found else {}
    data = ReportData(geo=geo, period=period, headline=headline)
    data.status = figures_status(connection, geo, period)
    data.institutions = _records(
        connection,
        f"""select i.institution_code, i.institution_name, i.country_iso2, c.*,
                   coalesce(s.current_status, 'NOT_SUBMITTED') as staffing_status,
                   coalesce(t.current_status, 'NOT_SUBMITTED') as training_status,
                   s.on_time as staffing_on_time, t.on_time as training_on_time
            from marts.registry_institutions i
            join figures_capacity_by_institution c on c.institution_code = i.institution_code and c.period = ?
            join marts.submission_compliance s
              on s.institution_code = i.institution_code and s.period = c.period and s.kind = 'staffing'
            join marts.submission_compliance t
              on t.institution_code = i.institution_code and t.period = c.period and t.kind = 'training'
            where {where}
            order by i.country_iso2, i.institution_code""",
        [str(period), *params],
    )
    data.missing = [row for row in data.institutions if not row["has_roster"] or not row["has_training"]]
    data.late = _records(
        connection,
        f"""select i.institution_code, i.institution_name, i.country_iso2, s.kind, s.first_received_at, s.current_status
            from marts.submission_compliance s
            join marts.registry_institutions i on i.institution_code = s.institution_code
            where s.period = ? and s.submitted and not s.on_time and {where}
            order by i.institution_code, s.kind""",
        [str(period), *params],
    )
    recent = [str(p) for p in _last_quarters(period, TREND_QUARTERS)]
    trend_sql = rollup.replace("period = ?", f"period in ({', '.join('?' for _ in recent)})") + " order by period"
    data.trend = _records(connection, trend_sql, [*rollup_params, *recent])
    regional, regional_params = _regional_rows(geo)
    data.hours_by_theme = _records(
        connection,
        f"""select thematic_area, completed_hours, completions from marts.regional_training_by_theme
            where {regional} and period = ? order by completed_hours desc, thematic_area""",
        [*regional_params, str(period)],
    )
    data.quality = _records(
        connection,
        f"""select rule, status, submissions, issues from marts.regional_quality_by_rule
            where {regional} and period = ? order by status desc, issues desc, rule""",
        [*regional_params, str(period)],
    )
    return data


def _last_quarters(period: Period, count: int) -> list[Period]:
    quarters = [period]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous())
    return list(reversed(quarters))

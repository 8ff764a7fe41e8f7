"""What one institution's feedback report shows (spec feedback.md, "Institution feedback report"),
read from the published marts only: its figures as reported (a locked period's newest final
revision), its subregion's rollup, the quartiles of its peers (`marts.peer_comparison`), its return
and the state of its figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from pipelines.common.periods import Period
from pipelines.reports.data import TREND_QUARTERS, _last_quarters, _records, prepare_figures

# The 17 measures of capacity_by_institution, in the order the report lists them.
FEEDBACK_MEASURES = (
    "headcount",
    "fte",
    "participants",
    "staff_trained",
    "training_coverage",
    "completed_hours",
    "hours_per_employee",
    "closed_enrolments",
    "completions",
    "completion_rate",
    "certifications",
    "certification_rate",
    "mean_score_gain",
    "female_coverage",
    "male_coverage",
    "gender_parity_index",
    "ciess_hours_share",
)
TREND_MEASURES = ("training_coverage", "hours_per_employee", "completion_rate")
RETURN_MEASURES = ("versions", "days_late")
# Fewer institutions than this in a comparison group, and its quartiles are not shown: they would
# say little, and nearly name the others.
MIN_PEERS = 3


class NotExpected(ValueError):
    """The published marts hold no return of that institution for that period."""


@dataclass
class FeedbackData:
    institution: dict[str, Any]  # registry_institutions' row
    period: Period
    figures: dict[str, Any]  # the institution's measures, as reported
    subregion: dict[str, Any]  # its subregion's rollup, as reported
    group: dict[str, Any]  # institution_peer_groups' row: size band, versions, days late
    peers: dict[str, dict[str, Any]]  # measure -> quartiles of its size band (None when too few)
    americas: dict[str, dict[str, Any]]  # measure -> quartiles of all institutions
    trend: list[dict[str, Any]] = field(default_factory=list)  # per quarter: own values, peer quartiles
    files: list[dict[str, Any]] = field(default_factory=list)  # submission_compliance per kind
    return_status: dict[str, Any] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)  # rule, kind, issues, explanation
    reviews: list[dict[str, Any]] = field(default_factory=list)  # approve / return / reopen events
    status: dict[str, Any] = field(default_factory=dict)  # data_status, revision, locked_at

    @property
    def code(self) -> str:
        return self.institution["institution_code"]


def expected_institutions(connection: duckdb.DuckDBPyConnection, period: Period) -> list[str]:
    """Every institution the published marts expect in `period` (a member then)."""
    rows = _records(
        connection, "select institution_code from marts.return_status where period = ? order by 1", [str(period)]
    )
    return [row["institution_code"] for row in rows]


def _quartiles(connection, period: str, comparison: str, group_code: str) -> dict[str, dict[str, Any]]:
    rows = _records(
        connection,
        """select measure, institutions, q1, median, q3 from marts.peer_comparison
           where period = ? and comparison = ? and group_code = ?""",
        [period, comparison, group_code],
    )
    return {row["measure"]: row if row["institutions"] >= MIN_PEERS else None for row in rows}


def load_feedback_data(connection: duckdb.DuckDBPyConnection, institution: str, period: Period) -> FeedbackData:
    prepare_figures(connection)
    when = str(period)
    group = _records(
        connection,
        "select * from marts.institution_peer_groups where institution_code = ? and period = ?",
        [institution, when],
    )
    if not group:
        raise NotExpected(f"the published marts hold no return of {institution} for {period}")
    group_row = group[0]
    registry = _records(
        connection, "select * from marts.registry_institutions where institution_code = ?", [institution]
    )[0]
    figures = _records(
        connection,
        "select * from figures_capacity_by_institution where institution_code = ? and period = ?",
        [institution, when],
    )[0]
    subregion = _records(
        connection,
        "select * from figures_capacity_by_subregion where subregion_code = ? and period = ?",
        [group_row["subregion_code"], when],
    )
    data = FeedbackData(
        institution=registry,
        period=period,
        figures=figures,
        subregion=subregion[0] if subregion else {},
        group=group_row,
        peers=_quartiles(connection, when, "size_band", group_row["size_band"]),
        americas=_quartiles(connection, when, "americas", "AMERICAS"),
    )
    data.trend = _trend(connection, institution, period)
    data.files = _records(
        connection,
        """select kind, submitted, first_received_at, on_time, versions, current_status
           from marts.submission_compliance where institution_code = ? and period = ? order by kind""",
        [institution, when],
    )
    data.return_status = _records(
        connection, "select * from marts.return_status where institution_code = ? and period = ?", [institution, when]
    )[0]
    data.warnings = _records(
        connection,
        """with current_files as (
               select unnest([staffing_version, training_version]) as version,
                      unnest(['staffing', 'training']) as kind
               from marts.return_status where institution_code = ? and period = ?),
           current_ids as (
               select e.submission_id, e.kind from marts.cycle_events e
               join current_files f on e.kind = f.kind and e.version = f.version
               where e.action = 'submission' and e.institution_code = ? and e.period = ?),
           explained as (
               select submission_id, rule, arg_max(text, event_id) as explanation from marts.cycle_events
               where action = 'explanation' group by submission_id, rule)
           select c.kind, r.rule, r.issues, x.explanation
           from current_ids c
           join marts.submission_rule_counts r on r.submission_id = c.submission_id
           left join explained x on x.submission_id = c.submission_id and x.rule = r.rule
           order by c.kind, r.rule""",
        [institution, when, institution, when],
    )
    data.reviews = _records(
        connection,
        """select action, occurred_at, text from marts.cycle_events
           where institution_code = ? and period = ? and action in ('approve', 'return', 'reopen')
           order by event_id""",
        [institution, when],
    )
    data.status = _status(connection, figures["data_status"], when)
    return data


def _status(connection, data_status: str, period: str) -> dict[str, Any]:
    status = {"data_status": data_status, "revision": None, "locked_at": None}
    if data_status == "final":
        kept = _records(
            connection,
            """select revision, locked_at from marts.final_capacity_by_institution
               where period = ? order by revision desc limit 1""",
            [period],
        )
        if kept:
            status.update(kept[0])
    return status


def _trend(connection, institution: str, period: Period) -> list[dict[str, Any]]:
    """The last quarters (oldest first): the institution's trend measures and its size band's
    quartiles of each, in each quarter (the band of that quarter)."""
    quarters = [str(p) for p in _last_quarters(period, TREND_QUARTERS)]
    marks = ", ".join("?" for _ in quarters)
    measures = ", ".join(f"'{m}'" for m in TREND_MEASURES)
    own = {
        row["period"]: row
        for row in _records(
            connection,
            f"select period, {', '.join(TREND_MEASURES)} from figures_capacity_by_institution "
            f"where institution_code = ? and period in ({marks})",
            [institution, *quarters],
        )
    }
    peers: dict[tuple[str, str], dict[str, Any]] = {}
    for row in _records(
        connection,
        f"""select p.period, p.measure, p.institutions, p.q1, p.median, p.q3
            from marts.peer_comparison p
            join marts.institution_peer_groups g
              on g.period = p.period and p.comparison = 'size_band' and p.group_code = g.size_band
            where g.institution_code = ? and p.period in ({marks}) and p.measure in ({measures})""",
        [institution, *quarters],
    ):
        peers[(row["period"], row["measure"])] = row if row["institutions"] >= MIN_PEERS else None
    return [
        {
            "period": quarter,
            "own": own.get(quarter, {}),
            "peers": {measure: peers.get((quarter, measure)) for measure in TREND_MEASURES},
        }
        for quarter in quarters
    ]

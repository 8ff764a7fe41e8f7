"""Warnings that compare a submission with the current versions already accepted:
STAFF_NOT_IN_ROSTER (training vs the same period's roster) and HEADCOUNT_JUMP (roster vs the
previous period's roster)."""

from __future__ import annotations

import polars as pl

from pipelines.common.periods import Period
from pipelines.contract.issues import ROW_ISSUE_SCHEMA, Issue, compact
from pipelines.intake.storing.ledger import Ledger

HEADCOUNT_JUMP_LIMIT = 0.25


def staff_not_in_roster(typed: pl.DataFrame, rostered: pl.Series) -> pl.DataFrame:
    """STAFF_NOT_IN_ROSTER for each row of a training batch (typed rows) whose staff is not in the
    roster (`rostered`: row for row, null where the staff is missing). staff_id is text: its typed
    value is the cell as sent."""
    missing = typed.filter(rostered.not_().fill_null(False))
    return compact(
        missing.select(
            "row",
            pl.lit("STAFF_NOT_IN_ROSTER").alias("rule"),
            pl.lit("staff_id").alias("column"),
            pl.col("staff_id").alias("value"),
            pl.lit(None, pl.Int64).alias("first_row"),
        ).cast(ROW_ISSUE_SCHEMA)
    )


def headcount_jump(rows: int, ledger: Ledger, institution: str, period: Period) -> list[Issue]:
    previous_period = period.previous()
    previous = ledger.current(institution, "staffing", str(previous_period))
    if previous is None or previous.rows == 0:
        return []
    change = (rows - previous.rows) / previous.rows
    if abs(change) <= HEADCOUNT_JUMP_LIMIT:
        return []
    params = {
        "previous": previous.rows,
        "previous_period": str(previous_period),
        "current": rows,
        "change": f"{change:+.0%}",
    }
    return [Issue("HEADCOUNT_JUMP", column="staff_id", value=str(rows), params=params)]

"""Warnings that compare a submission with the current versions already accepted:
STAFF_NOT_IN_ROSTER (training vs the same period's roster) and HEADCOUNT_JUMP (roster vs the
previous period's roster)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polars as pl

from pipelines.conversion import TypedBatch
from pipelines.issues import ROW_ISSUE_SCHEMA, Issue, compact
from pipelines.lake import read_keys
from pipelines.ledger import Ledger
from pipelines.periods import Period

HEADCOUNT_JUMP_LIMIT = 0.25


def mark_rostered(roster_lake_file: Path, staff: pl.DataFrame) -> pl.DataFrame:
    """`staff` (hashed identifiers, column `hashed`) with `rostered`: in the roster's lake file.
    The roster is read on first use and kept (one column of hashes)."""
    known = _roster_keys(roster_lake_file)
    return staff.with_columns(rostered=pl.col("hashed").is_in(known.implode()))


@lru_cache(maxsize=2)  # lake files never change; a server keeps only the last rosters
def _roster_keys(path: Path) -> pl.Series:
    return read_keys(path).to_series()


def staff_not_in_roster(batch: TypedBatch, rostered: pl.Series) -> pl.DataFrame:
    """STAFF_NOT_IN_ROSTER for each row of a training batch whose staff is not in the roster
    (`rostered`: row for row, null where the staff is missing)."""
    missing = batch.text.filter(rostered.not_().fill_null(False))
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

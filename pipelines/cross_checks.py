"""Warnings that compare a submission with the current versions already accepted:
STAFF_NOT_IN_ROSTER (training vs the same period's roster) and HEADCOUNT_JUMP (roster vs the
previous period's roster)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.issues import Issue
from pipelines.lake import read_keys
from pipelines.ledger import Ledger
from pipelines.periods import Period
from pipelines.pseudonym import pseudonymise

HEADCOUNT_JUMP_LIMIT = 0.25


def staff_not_in_roster(
    typed: pd.DataFrame, ledger: Ledger, home: Path, institution: str, period: Period, key: bytes
) -> list[Issue]:
    roster = ledger.current(institution, "staffing", str(period))
    if roster is None or roster.lake_path is None:
        return [Issue("STAFF_NOT_IN_ROSTER", variant="no_roster")]
    known = read_keys(home / roster.lake_path)
    staff = typed["staff_id"].astype(str)
    hashed = pd.Series(pseudonymise(key, staff.tolist()), index=staff.index)
    missing = ~hashed.isin(known)
    return [
        Issue("STAFF_NOT_IN_ROSTER", row=int(row), column="staff_id", value=staff[row]) for row in staff.index[missing]
    ]


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

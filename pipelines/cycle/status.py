"""What a period's cycle looks like, for `ciess period status`, the operator's grid and the API:
every expected institution's return, with its state, versions, lateness and warnings; and the
period's deadline and lock."""

from __future__ import annotations

from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from typing import Any

from pipelines.common.periods import Period
from pipelines.common.registry import institutions
from pipelines.common.settings import Settings
from pipelines.cycle.returns import PeriodState, Return, period_returns, period_state
from pipelines.cycle.states import STATES
from pipelines.intake.storing import cycle_log
from pipelines.intake.storing.ledger import Ledger


def return_row(item: Return) -> dict[str, Any]:
    """One return as the grid, the API and `--json` show it."""
    institution = institutions()[item.institution]
    status = item.status
    return {
        "institution": item.institution,
        "country_iso2": institution.country_iso2,
        "subregion_code": institution.subregion_code,
        "period": item.period,
        "state": item.state,
        "deadline": item.deadline.isoformat(),
        **{f"{kind}_version": item.version(kind) for kind in ("staffing", "training")},
        **{
            f"{kind}_submission_id": row.submission_id if (row := item.current.get(kind)) else None
            for kind in ("staffing", "training")
        },
        **{f"{kind}_late": item.late(kind) for kind in ("staffing", "training")},
        "warnings_to_explain": status.warnings_to_explain,
        "explained": status.explained,
        "last_event_at": status.last_event.at if status.last_event else None,
        "approved_by": cycle_log.who(status.approval.actor) if status.approval else None,
        "approved_at": status.approval.at if status.approval else None,
        "returned_comment": status.last_return.text if status.last_return else None,
    }


@dataclass(frozen=True)
class PeriodReport:
    period: str
    deadline: date
    lock: PeriodState
    returns: list[Return]

    def counts(self) -> dict[str, int]:
        found = Counter(item.state for item in self.returns)
        return {state: found.get(state, 0) for state in STATES}

    def as_json(self) -> dict[str, Any]:
        lock = self.lock.lock
        return {
            "period": self.period,
            "deadline": self.deadline.isoformat(),
            "locked": self.lock.locked,
            "revision": lock.revision if lock else None,
            "locked_at": lock.at if lock else None,
            "locked_by": cycle_log.who(lock.actor) if lock else None,
            "revisions": self.lock.revisions,
            "expected": len(self.returns),
            "states": self.counts(),
            "returns": [return_row(item) for item in self.returns],
        }


def period_report(settings: Settings, period: str) -> PeriodReport:
    ledger = Ledger.of(settings)
    with closing(ledger.connect()) as connection:
        lock = period_state(connection, period)
    returns = period_returns(ledger, period, settings.deadline_days)
    return PeriodReport(period, Period.parse(period).deadline(settings.deadline_days), lock, returns)

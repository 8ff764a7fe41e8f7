"""What an institution owes CIESS, quarter by quarter (spec cycle.md, "The return"), as its data
officer reads it on the portal and through the API: for each quarter still open, the deadline and
the days left, what was received and accepted of each kind, the return's state, the warnings still
to explain (with the previous version's text as a starting point), CIESS's comments, and the next
step; for locked quarters, the same in a compact history."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import date
from typing import Any

from pipelines.common.periods import Period, period_of
from pipelines.common.registry import institutions
from pipelines.common.settings import Settings
from pipelines.contract.model import KINDS
from pipelines.cycle.explanations import previous_text
from pipelines.cycle.returns import PeriodState, Return, institution_returns, period_state
from pipelines.cycle.states import ExplainableWarning
from pipelines.intake.storing import cycle_log
from pipelines.intake.storing.cycle_log import Event
from pipelines.intake.storing.ledger import Ledger, LedgerRow

# The next step of an open return, by its state (each has a text in the portal's words).
NEXT_STEPS = {
    "MISSING": "send_missing",
    "NEEDS_EXPLANATION": "explain_warnings",
    "READY": "wait_for_review",
    "RETURNED": "fix_returned",
    "APPROVED": "nothing_to_do",
}


@dataclass(frozen=True)
class KindProgress:
    kind: str
    received: LedgerRow | None  # the newest file of this kind, whatever its status
    accepted: LedgerRow | None  # the current accepted version
    late: bool | None  # the first accepted version came after the deadline (None: none yet)


@dataclass(frozen=True)
class WarningToExplain:
    warning: ExplainableWarning
    starting_text: str | None  # the explanation in force, else the one given for the previous version


@dataclass(frozen=True)
class Due:
    """One return of the institution, as its officer sees it."""

    item: Return
    lock: PeriodState
    days_left: int  # negative once the deadline has passed
    kinds: tuple[KindProgress, ...]
    warnings: tuple[WarningToExplain, ...]
    comments: tuple[Event, ...]  # CIESS's returns (comments) and reopenings (reasons), oldest first

    @property
    def next_step(self) -> str:
        return "locked" if self.lock.locked else NEXT_STEPS[self.item.state]

    @property
    def missing(self) -> list[str]:
        return [progress.kind for progress in self.kinds if progress.accepted is None]

    def as_json(self) -> dict[str, Any]:
        lock = self.lock.lock
        return {
            "institution": self.item.institution,
            "period": self.item.period,
            "deadline": self.item.deadline.isoformat(),
            "days_left": self.days_left,
            "state": self.item.state,
            "locked": self.lock.locked,
            "locked_at": lock.at if lock else None,
            "final_revision": lock.revision if lock else None,
            "next_step": self.next_step,
            "kinds": {
                progress.kind: {
                    "received_submission_id": progress.received.submission_id if progress.received else None,
                    "received_status": progress.received.status if progress.received else None,
                    "received_at": progress.received.received_at if progress.received else None,
                    "accepted_submission_id": progress.accepted.submission_id if progress.accepted else None,
                    "accepted_version": progress.accepted.version if progress.accepted else None,
                    "accepted_rows": progress.accepted.rows if progress.accepted else None,
                    "late": progress.late,
                }
                for progress in self.kinds
            },
            "warnings": [
                {
                    "kind": entry.warning.kind,
                    "submission_id": entry.warning.submission_id,
                    "rule": entry.warning.rule,
                    "count": entry.warning.count,
                    "explained": entry.warning.explanation is not None,
                    "explanation": entry.warning.explanation.text if entry.warning.explanation else None,
                    "starting_text": entry.starting_text,
                }
                for entry in self.warnings
            ],
            "comments": [
                {"action": event.action, "at": event.at, "by": cycle_log.who(event.actor), "text": event.text}
                for event in self.comments
            ],
        }


def make_due(ledger: Ledger, item: Return, lock: PeriodState, today: date) -> Due:
    files = ledger.of_return(item.institution, item.period)
    kinds = tuple(
        KindProgress(
            kind,
            received=next((row for row in reversed(files) if row.kind == kind), None),
            accepted=item.current.get(kind),
            late=item.late(kind),
        )
        for kind in KINDS
    )
    warnings = tuple(
        WarningToExplain(
            warning,
            warning.explanation.text
            if warning.explanation
            else previous_text(ledger, warning.submission_id, warning.rule),
        )
        for warning in item.status.warnings
    )
    comments = tuple(event for event in item.events if event.action in ("return", "reopen"))
    return Due(item, lock, (item.deadline - today).days, kinds, warnings, comments)


def periods_of(ledger: Ledger, institution: str, today: date) -> list[str]:
    """The quarters to show an institution, newest first: every one it sent a file for, and the
    quarter due now (the last closed one), within its membership."""
    member = institutions()[institution]
    with closing(ledger.connect()) as connection:
        sent = {row[0] for row in connection.execute(
            "select distinct period from submissions where institution = ?", (institution,))}  # fmt: skip
    due = str(period_of(today).previous())
    return sorted((period for period in sent | {due} if member.expected_in(period)), reverse=True)


def institution_dues(settings: Settings, institution: str, today: date) -> tuple[list[Due], list[Due]]:
    """The institution's open quarters and its locked ones (the compact history), newest first."""
    ledger = Ledger.of(settings)
    periods = periods_of(ledger, institution, today)
    returns = institution_returns(ledger, institution, periods, settings.deadline_days)
    with closing(ledger.connect()) as connection:
        locks = {period: period_state(connection, period) for period in periods}
    dues = [make_due(ledger, item, locks[item.period], today) for item in returns]
    dues.sort(key=lambda due: Period.parse(due.item.period), reverse=True)
    return [due for due in dues if not due.lock.locked], [due for due in dues if due.lock.locked]


def institution_due(settings: Settings, institution: str, period: str, today: date) -> Due:
    ledger = Ledger.of(settings)
    (item,) = institution_returns(ledger, institution, [period], settings.deadline_days)
    with closing(ledger.connect()) as connection:
        lock = period_state(connection, period)
    return make_due(ledger, item, lock, today)

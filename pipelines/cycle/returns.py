"""Returns as the ledger and the audit log make them: one institution x one period, with its current
versions, its events and its derived state; and the state of a period (open, or locked and at which
revision of its final figures)."""

from __future__ import annotations

from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass
from datetime import date

from pipelines.common.periods import Period
from pipelines.common.registry import expected_in
from pipelines.common.store import Connection
from pipelines.cycle.states import CurrentVersion, ReturnState, derive
from pipelines.intake.storing import cycle_log
from pipelines.intake.storing.cycle_log import Event
from pipelines.intake.storing.ledger import Ledger, LedgerRow


@dataclass(frozen=True)
class Return:
    institution: str
    period: str
    deadline: date
    current: dict[str, LedgerRow]  # kind -> current accepted version
    events: tuple[Event, ...]  # its own events and the period's lock/unlock, oldest first
    status: ReturnState

    @property
    def state(self) -> str:
        return self.status.state

    def version(self, kind: str) -> int | None:
        row = self.current.get(kind)
        return row.version if row else None

    def late(self, kind: str) -> bool | None:
        """Whether the kind's first accepted version came after the deadline (None: none yet)."""
        firsts = [e for e in self.events if e.action == "submission" and e.kind == kind and e.version == 1]
        if not firsts or kind not in self.current:
            return None
        return date.fromisoformat(firsts[0].at[:10]) > self.deadline


@dataclass(frozen=True)
class PeriodState:
    period: str
    lock: Event | None  # the lock in force, or None while open
    revisions: int  # how many times it was locked (final figures kept)

    @property
    def locked(self) -> bool:
        return self.lock is not None


def make_return(institution: str, period: str, current: list[LedgerRow], events: list[Event], deadline: date) -> Return:
    by_kind = {row.kind: row for row in current}
    versions = {
        kind: CurrentVersion(row.submission_id, row.version or 0, row.rule_counts) for kind, row in by_kind.items()
    }
    return Return(institution, period, deadline, by_kind, tuple(events), derive(versions, events))


def load_return(connection: Connection, institution: str, period: str, deadline_days: int) -> Return:
    """One return, read inside the caller's transaction (a review decides on what it read)."""
    current = [
        row
        for kind in ("staffing", "training")
        if (row := Ledger.current_in(connection, institution, kind, period)) is not None
    ]
    events = cycle_log.events(connection, period=period, institution=institution)
    return make_return(institution, period, current, events, Period.parse(period).deadline(deadline_days))


def period_state(connection: Connection, period: str) -> PeriodState:
    return PeriodState(period, cycle_log.period_lock(connection, period), cycle_log.lock_revisions(connection, period))


def period_returns(ledger: Ledger, period: str, deadline_days: int) -> list[Return]:
    """Every return the period expects: one per institution that is a member in it."""
    with closing(ledger.connect()) as connection:
        return _returns(connection, [period], deadline_days, None)


def institution_returns(ledger: Ledger, institution: str, periods: list[str], deadline_days: int) -> list[Return]:
    with closing(ledger.connect()) as connection:
        return _returns(connection, periods, deadline_days, institution)


def all_returns(ledger: Ledger, deadline_days: int) -> list[Return]:
    """Every expected return of every period the ledger has received a file for (the export for dbt)."""
    with closing(ledger.connect()) as connection:
        periods = [row[0] for row in connection.execute("select distinct period from submissions order by period")]
        return _returns(connection, periods, deadline_days, None)


def _returns(connection: Connection, periods: list[str], deadline_days: int, only: str | None) -> list[Return]:
    current: dict[tuple[str, str], list[LedgerRow]] = defaultdict(list)
    events: dict[tuple[str, str], list[Event]] = defaultdict(list)
    locks: dict[str, list[Event]] = defaultdict(list)
    for period in periods:
        for row in Ledger.current_versions_in(connection, period):
            current[(row.institution, period)].append(row)
        for event in cycle_log.events(connection, period=period, institution=only):
            if event.institution is None:
                locks[period].append(event)
            else:
                events[(event.institution, period)].append(event)
    made = []
    for period in periods:
        deadline = Period.parse(period).deadline(deadline_days)
        for institution in expected_in(period):
            if only is not None and institution.code != only:
                continue
            key = (institution.code, period)
            merged = sorted(events[key] + locks[period], key=lambda event: event.event_id)
            made.append(make_return(institution.code, period, current[key], merged, deadline))
    return made

"""Locking and unlocking a period (spec cycle.md). A lock first brings every accepted submission of
the period into the published marts (a build), keeps their rows as the next revision of the period's
final figures, records the lock, and builds once more so that the marts say `final`. A lock whose
build fails does not happen. The build is passed in (`ciess` and the portal give the Dagster job)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pipelines.common.periods import period_of
from pipelines.common.settings import Settings
from pipelines.cycle.review import Refused, now
from pipelines.intake.storing import cycle_log
from pipelines.intake.storing.ledger import Ledger
from pipelines.intake.submission import written_period
from pipelines.warehouse import final_figures

ATTEMPTS = 3  # builds before giving up when files keep arriving while the period is being locked


@dataclass(frozen=True)
class BuildOutcome:
    published: bool
    why: str = ""  # what failed, when nothing was published


Build = Callable[[], BuildOutcome]


@dataclass
class LockResult:
    period: str
    revision: int
    locked_at: str
    rows: dict[str, int] = field(default_factory=dict)
    republished: BuildOutcome | None = None


def closed_period(period: str, today: date | None = None) -> str:
    parsed = written_period(period)
    today = today or datetime.now(UTC).date()
    if parsed >= period_of(today):
        raise Refused(f"{parsed} has not ended yet (it ends on {parsed.end}): only a past quarter can be locked")
    return str(parsed)


def _reason(reason: str | None, action: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Refused(f"say why the period is {action} with --reason")
    return reason


def lock_period(settings: Settings, period: str, reason: str, actor: str, build: Build) -> LockResult:
    period = closed_period(period)
    reason = _reason(reason, "locked")
    ledger = Ledger.of(settings)
    _refuse_if_locked(ledger, period)
    for _ in range(ATTEMPTS):
        outcome = build()
        if not outcome.published:
            raise Refused(f"{period} was not locked: the build that brings its files in failed ({outcome.why})")
        with ledger.decision() as connection:
            lock = cycle_log.period_lock(connection, period)
            if lock is not None:
                raise Refused(f"{period} was locked meanwhile by {cycle_log.who(lock.actor)} at {lock.at}")
            current = {
                (row.institution, row.kind, row.version) for row in Ledger.current_versions_in(connection, period)
            }
            if current != final_figures.published_versions(settings, period):
                continue  # a file was accepted after the build began: build again
            revision = cycle_log.lock_revisions(connection, period) + 1
            locked_at = now()
            rows = final_figures.keep(settings, period, revision, locked_at)
            cycle_log.append(
                connection, action="lock", at=locked_at, period=period, institution=None, revision=revision,
                actor=actor, text=reason,
            )  # fmt: skip
        result = LockResult(period, revision, locked_at, rows)
        result.republished = build()
        return result
    raise Refused(f"{period} was not locked: files kept arriving during {ATTEMPTS} builds; try again")


def unlock_period(
    settings: Settings, period: str, reason: str, actor: str, build: Build | None = None
) -> BuildOutcome | None:
    period = str(written_period(period))
    reason = _reason(reason, "unlocked")
    ledger = Ledger.of(settings)
    with ledger.decision() as connection:
        if cycle_log.period_lock(connection, period) is None:
            raise Refused(f"{period} is not locked")
        cycle_log.append(
            connection, action="unlock", at=now(), period=period, institution=None, actor=actor, text=reason
        )
    return build() if build else None


def _refuse_if_locked(ledger: Ledger, period: str) -> None:
    with closing(ledger.connect()) as connection:
        lock = cycle_log.period_lock(connection, period)
        if lock is not None:
            raise Refused(
                f"{period} is already locked (revision {lock.revision}, by {cycle_log.who(lock.actor)} "
                f"on {lock.at[:10]}); unlock it first to lock a new revision"
            )

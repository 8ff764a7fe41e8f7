"""Reminders before a quarter's deadline and the notice of a deadline passed (spec feedback.md):
REMINDER 14 and 3 days before it, OVERDUE the day after, to the members whose return is still
MISSING a kind, as the cycle derives the returns (`period_returns`: members only).

`reminders_due(settings, today)` says what is due on `today`, whatever day that is: a check that
runs late catches up (the 14-day reminder is still sent up to the day the 3-day one is due, never
after; the overdue notice up to OVERDUE_CATCH_UP_DAYS after the deadline), and one that runs twice
adds nothing (the outbox keeps one row per key and address)."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import date

from pipelines.common.periods import Period, period_of
from pipelines.common.settings import Settings
from pipelines.common.timestamps import now
from pipelines.contract.model import KINDS
from pipelines.cycle.returns import period_returns, period_state
from pipelines.intake.storing import outbox
from pipelines.intake.storing.ledger import Ledger

REMINDER_DAYS = (14, 3)  # days before the deadline, first to last
OVERDUE_CATCH_UP_DAYS = 30  # a check that missed the day after the deadline still says it this long after
QUARTERS_LOOKED_BACK = 4


@dataclass(frozen=True)
class DueNotice:
    key: str
    notice: str  # REMINDER or OVERDUE
    institution: str
    period: str
    deadline: date
    days_left: int  # on the day of the check
    missing: tuple[str, ...]
    replaces: tuple[str, ...]  # keys of the same series it makes pointless if they have not gone out

    @property
    def params(self) -> dict:
        return {"deadline": self.deadline.isoformat(), "days_left": self.days_left, "missing": list(self.missing)}


def stage(today: date, deadline: date) -> str | None:
    """Which notice of the series is due on `today`: "14", "3", "OVERDUE", or None."""
    days_left = (deadline - today).days
    if days_left < -OVERDUE_CATCH_UP_DAYS or days_left > REMINDER_DAYS[0]:
        return None
    if days_left < 0:
        return "OVERDUE"
    return str(next(days for days in reversed(REMINDER_DAYS) if days_left <= days))


def series_key(notice_stage: str, period: str, institution: str) -> str:
    if notice_stage == "OVERDUE":
        return f"OVERDUE:{period}:{institution}"
    return f"REMINDER:{period}:{institution}:{notice_stage}"


def earlier_stages(notice_stage: str) -> list[str]:
    order = [str(days) for days in REMINDER_DAYS] + ["OVERDUE"]
    return order[: order.index(notice_stage)]


def periods_in_window(today: date, deadline_days: int) -> list[Period]:
    """The closed quarters whose deadline is near enough to `today` for a notice of the series."""
    found, period = [], period_of(today).previous()
    for _ in range(QUARTERS_LOOKED_BACK):
        if stage(today, period.deadline(deadline_days)) is not None:
            found.append(period)
        period = period.previous()
    return found


def reminders_due(settings: Settings, today: date) -> list[DueNotice]:
    """Every reminder and overdue notice due on `today` (whether or not already in the outbox)."""
    ledger = Ledger.of(settings)
    due = []
    for period in periods_in_window(today, settings.deadline_days):
        name = str(period)
        with closing(ledger.connect()) as connection:
            if period_state(connection, name).locked:
                continue  # a locked quarter takes no file: nothing to remind of
        deadline = period.deadline(settings.deadline_days)
        notice_stage = stage(today, deadline)
        for item in period_returns(ledger, name, settings.deadline_days):
            if item.state != "MISSING":
                continue
            due.append(DueNotice(
                key=series_key(notice_stage, name, item.institution),
                notice="OVERDUE" if notice_stage == "OVERDUE" else "REMINDER",
                institution=item.institution, period=name, deadline=deadline, days_left=(deadline - today).days,
                missing=tuple(kind for kind in KINDS if kind not in item.current),
                replaces=tuple(series_key(earlier, name, item.institution) for earlier in earlier_stages(notice_stage)),
            ))  # fmt: skip
    return due


@dataclass(frozen=True)
class ReminderSummary:
    due: int  # notices due today (institutions)
    enqueued: int  # rows added to the outbox (one per address)

    def __str__(self) -> str:
        return f"{self.due} reminder or overdue notices due, {self.enqueued} new messages in the outbox"


def enqueue_reminders(settings: Settings, today: date) -> ReminderSummary:
    """Put what is due on `today` in the outbox (what is already there stays as it is)."""
    due = reminders_due(settings, today)
    enqueued = 0
    with Ledger.of(settings).decision() as connection:
        for item in due:
            outbox.supersede(connection, list(item.replaces))
            enqueued += outbox.enqueue(
                connection, key=item.key, notice=item.notice, institution=item.institution, period=item.period,
                params=item.params, at=now(),
            )  # fmt: skip
    return ReminderSummary(len(due), enqueued)

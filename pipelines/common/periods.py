"""Reporting periods: calendar quarters written YYYY-Qn (or YYYY-Tn), their dates and deadlines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

# ASCII digits only, years 1000-2999; Q (quarter) or T (trimestre, in es, pt and fr), either case
_PERIOD = re.compile(r"^([12][0-9]{3})-[QqTt]([1-4])$")


class PeriodError(ValueError):
    """A period that is not written YYYY-Qn (or YYYY-Tn)."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    quarter: int

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text.strip()) if isinstance(text, str) else None
        if not match:
            raise PeriodError(f"period {text!r} is not a calendar quarter written YYYY-Qn or YYYY-Tn, e.g. 2026-Q2")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    def deadline(self, deadline_days: int) -> date:
        return self.end + timedelta(days=deadline_days)

    def next(self) -> Period:
        return Period(self.year + 1, 1) if self.quarter == 4 else Period(self.year, self.quarter + 1)

    def previous(self) -> Period:
        return Period(self.year - 1, 4) if self.quarter == 1 else Period(self.year, self.quarter - 1)


def period_of(day: date) -> Period:
    return Period(day.year, (day.month - 1) // 3 + 1)


def quarter_due(today: date, deadline_days: int) -> Period | None:
    """The quarter whose reports are due: the last closed one, once its deadline has passed."""
    closed = period_of(today).previous()
    return closed if today > closed.deadline(deadline_days) else None

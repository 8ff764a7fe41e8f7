"""Moments as the ledger writes them: UTC, to the second, `2026-07-31T14:05:09Z` (the receipt's
`received_at`, the cycle's log, the outbox), so that they compare as text in the order of time."""

from __future__ import annotations

from datetime import UTC, datetime


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def now() -> str:
    return stamp(datetime.now(UTC))

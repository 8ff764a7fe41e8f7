"""Sending the outbox (`ciess outbox flush`, the Dagster sensor) and seeing it (`ciess outbox`).

Each notice is claimed, and its attempt recorded with its Message-ID, in one transaction BEFORE the
message is handed to the server; the outcome is recorded after. A process that dies in between
leaves the notice `sending` with a claimant that is gone: it is then shown as uncertain (the server
may have taken it) and never sent again until a person decides (`ciess outbox resolve`). A refused
or unreachable server leaves it failed, with the server's answer, for a retry after a back-off."""

from __future__ import annotations

import os
import socket
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import make_msgid

from pipelines.common.settings import Settings
from pipelines.common.timestamps import stamp
from pipelines.intake.storing import outbox
from pipelines.intake.storing.ledger import Ledger
from pipelines.intake.storing.outbox import OutboxRow
from pipelines.intake.submission import UsageError
from pipelines.notices.sending import SendFailed, Transport, email_message, sender_domain, transport_for
from pipelines.notices.wording import word

# Seconds to wait after the n-th failed attempt (the last one repeats): nothing is ever given up.
BACKOFF_SECONDS = (60, 5 * 60, 15 * 60, 60 * 60, 4 * 60 * 60, 12 * 60 * 60, 24 * 60 * 60)
# An attempt older than this without an outcome is uncertain even if a process of its id still runs
# (a reused pid, another machine).
STALE_AFTER = timedelta(minutes=15)


def utc_now() -> datetime:
    return datetime.now(UTC)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claimant_gone(claimed_by: str | None, started_at: str, now: datetime) -> bool:
    """Whether the process that is sending a notice can no longer record its outcome."""
    if datetime.fromisoformat(started_at.replace("Z", "+00:00")) < now - STALE_AFTER:
        return True
    host, _, pid = (claimed_by or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: only its age tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def shown_state(row: OutboxRow, started_at: str | None, now: datetime) -> str:
    if row.state == "sending" and started_at is not None and claimant_gone(row.claimed_by, started_at, now):
        return "uncertain"
    return row.state


def _last_starts(connection) -> dict[int, str]:
    found = connection.execute("select outbox_id, max(started_at) from outbox_attempts group by outbox_id")
    return {row[0]: row[1] for row in found}


def orphan_answer(row: OutboxRow) -> str:
    return f"unknown: the sending process ({row.claimed_by}) stopped before the server's answer was recorded"


def settle_orphans(connection, now: datetime) -> int:
    """Notices whose sender died mid-attempt become uncertain (inside the caller's transaction)."""
    starts = _last_starts(connection)
    settled = 0
    for row in outbox.rows(connection, "where state = 'sending'"):
        if shown_state(row, starts.get(row.outbox_id), now) == "uncertain":
            connection.execute(
                "update outbox set state = 'uncertain', last_answer = ? where outbox_id = ? and state = 'sending'",
                (orphan_answer(row), row.outbox_id),
            )
            settled += 1
    return settled


def _claim(ledger: Ledger, now: datetime, domain: str) -> tuple[OutboxRow, int] | None:
    """The next notice due, marked as being sent by this process, with its attempt recorded."""
    with ledger.decision() as connection:
        settle_orphans(connection, now)
        due = outbox.rows(
            connection, "where state in ('pending', 'failed') and next_attempt_at <= ?", (stamp(now),), limit=1
        )
        if not due:
            return None
        row = due[0]
        message_id = row.message_id or make_msgid(idstring=f"n{row.outbox_id}", domain=domain)
        claimed = replace(row, state="sending", attempts=row.attempts + 1, message_id=message_id,
                          claimed_by=this_process())  # fmt: skip
        connection.execute(
            "update outbox set state = 'sending', attempts = ?, message_id = ?, claimed_by = ? where outbox_id = ?",
            (claimed.attempts, message_id, claimed.claimed_by, row.outbox_id),
        )
        (attempt_id,) = connection.execute(
            """insert into outbox_attempts (outbox_id, message_id, started_at, claimed_by) values (?, ?, ?, ?)
               returning attempt_id""",
            (row.outbox_id, message_id, stamp(now), claimed.claimed_by),
        ).fetchone()
        return claimed, attempt_id


def _record(ledger: Ledger, row: OutboxRow, attempt_id: int, answer: str, sent: bool, now: datetime) -> None:
    with ledger.decision() as connection:
        if sent:
            connection.execute(
                "update outbox set state = 'sent', sent_at = ?, last_answer = ? where outbox_id = ?",
                (stamp(now), answer, row.outbox_id),
            )
        else:
            connection.execute(
                "update outbox set state = 'failed', next_attempt_at = ?, last_answer = ? where outbox_id = ?",
                (stamp(now + backoff(row.attempts)), answer, row.outbox_id),
            )
        connection.execute(
            "update outbox_attempts set finished_at = ?, outcome = ?, answer = ? where attempt_id = ?",
            (stamp(utc_now()), "sent" if sent else "failed", answer, attempt_id),
        )


@dataclass
class FlushSummary:
    sent: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.failed} failed"


def flush(settings: Settings, now: datetime | None = None, transport: Transport | None = None,
          limit: int | None = None) -> FlushSummary:  # fmt: skip
    """Send every notice that is due (`now`: the time to act as, for the back-off), one at a time."""
    now = now or utc_now()
    ledger = Ledger.of(settings)
    transport = transport or transport_for(settings)
    domain = sender_domain(settings)
    summary = FlushSummary()
    while limit is None or summary.sent + summary.failed < limit:
        claimed = _claim(ledger, now, domain)
        if claimed is None:
            break
        row, attempt_id = claimed
        try:
            wording = word(row, settings)
            message = email_message(settings.smtp_from, row.address, wording.subject, wording.body,
                                    row.message_id, row.language, row.key, now)  # fmt: skip
            answer, sent = transport.send(message, f"{row.outbox_id:06d}-{row.key}"), True
        except SendFailed as error:
            answer, sent = error.answer, False
        except (KeyError, ValueError, OSError) as error:  # a notice that cannot be written stays visible
            answer, sent = f"not sent: {type(error).__name__}: {error}", False
        _record(ledger, row, attempt_id, answer, sent, now)
        if sent:
            summary.sent += 1
        else:
            summary.failed += 1
    return summary


@dataclass(frozen=True)
class Entry:
    """One notice of the outbox as `ciess outbox` shows it."""

    row: OutboxRow
    state: str  # as shown: `sending` whose sender died is uncertain

    @property
    def answer(self) -> str | None:
        return (
            orphan_answer(self.row)
            if self.state == "uncertain" and self.row.state == "sending"
            else self.row.last_answer
        )

    def as_json(self) -> dict:
        row = self.row
        return {
            "key": row.key, "to": row.address, "notice": row.notice, "institution": row.institution,
            "period": row.period, "language": row.language, "state": self.state, "attempts": row.attempts,
            "next_attempt_at": row.next_attempt_at if self.state in ("pending", "failed") else None,
            "message_id": row.message_id, "answer": self.answer, "enqueued_at": row.enqueued_at,
            "sent_at": row.sent_at,
        }  # fmt: skip


def entries(settings: Settings, failed_only: bool = False, now: datetime | None = None) -> list[Entry]:
    """The outbox, oldest first; `failed_only`: what needs a look (failed and uncertain)."""
    now = now or utc_now()
    with closing(Ledger.of(settings).connect()) as connection:
        starts = _last_starts(connection)
        shown = [Entry(row, shown_state(row, starts.get(row.outbox_id), now)) for row in outbox.rows(connection)]
    return [entry for entry in shown if not failed_only or entry.state in ("failed", "uncertain")]


def resolve(settings: Settings, key: str, sent: bool, address: str | None = None,
            now: datetime | None = None) -> list[OutboxRow]:  # fmt: skip
    """A person's decision on an uncertain notice: it was received (`sent`), or it is sent again (with
    the same Message-ID, so a mail program that already has it can tell). A failed one may be retried now."""
    now = now or utc_now()
    ledger = Ledger.of(settings)
    with ledger.decision() as connection:
        settle_orphans(connection, now)
        allowed = ("uncertain",) if sent else ("uncertain", "failed")
        found = [
            row for row in outbox.rows(connection, "where key = ?", (key,))
            if row.state in allowed and (address is None or row.address == address)
        ]  # fmt: skip
        if not found:
            states = ", ".join(sorted({row.state for row in outbox.rows(connection, "where key = ?", (key,))}))
            raise UsageError(
                f"no notice {key!r}{' to that address' if address else ''} waits for a decision "
                + (f"(its state: {states}); " if states else "(no such key); ")
                + "`ciess outbox --failed` lists the uncertain and failed ones"
            )
        for row in found:
            if sent:
                connection.execute(
                    "update outbox set state = 'sent', sent_at = ?, last_answer = ? where outbox_id = ?",
                    (stamp(now), f"marked as received by a person ({row.last_answer})", row.outbox_id),
                )
            else:
                connection.execute(
                    "update outbox set state = 'pending', next_attempt_at = ?, claimed_by = null where outbox_id = ?",
                    (stamp(now), row.outbox_id),
                )
        return found


def due_count(settings: Settings, now: datetime | None = None) -> tuple[int, str]:
    """How many notices are due now, and a mark that changes whenever that set does (a sensor's run key)."""
    with closing(Ledger.of(settings).connect()) as connection:
        found = connection.execute(
            """select outbox_id, attempts from outbox where state in ('pending', 'failed') and next_attempt_at <= ?
               order by outbox_id limit 1000""",
            (stamp(now or utc_now()),),
        ).fetchall()
    return len(found), ",".join(f"{row[0]}.{row[1]}" for row in found)

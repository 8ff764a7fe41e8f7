"""The notices' outbox and the institutions' contacts (spec feedback.md: "Notifications by e-mail"),
in the ledger's database, so that a notice is enqueued in the same transaction as the event that
causes it (a submission, a review): it exists if and only if its event does.

One row per notice key and recipient address: a key is sent at most once to each address, however
often the schedule runs or a process restarts (`on conflict do nothing`). A row holds the facts its notice
tells (`params`, JSON, no personal data but the address it goes to); its words are written when it
is sent (`pipelines.notices`), in the language the contact asked for.

States of a row: pending (waiting for its first attempt), sending (an attempt was recorded and the
message handed to the server), sent, failed (the server refused or could not be reached: retried
at `next_attempt_at`), uncertain (the process died while sending: a person decides), superseded (a
later notice of the same series replaced it before it went out).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pipelines.common.store import Connection

NOTICES = ("RECEIPT", "REMINDER", "OVERDUE", "EXPLANATION_NEEDED", "RETURNED", "APPROVED", "FEEDBACK_READY")
STATES = ("pending", "sending", "sent", "failed", "uncertain", "superseded")
TABLES = ("contacts", "outbox", "outbox_attempts")  # none of them feeds the warehouse

SCHEMA = """
create table if not exists contacts (
    institution text not null,
    address text not null,                   -- personal data: never in the marts, reports or logs
    language text not null,
    notices text not null,                   -- the notices it wants, comma-separated
    added_at text not null,
    primary key (institution, address)
);
create table if not exists outbox (
    outbox_id integer primary key,  -- rows are never deleted: the order they came in
    key text not null,                       -- e.g. REMINDER:2026-Q2:PE-ONP:14, RECEIPT:<submission_id>
    address text not null,
    notice text not null,
    institution text not null,
    period text,
    language text not null,
    params text not null,                    -- JSON: what the notice tells
    enqueued_at text not null,
    state text not null default 'pending',
    attempts integer not null default 0,
    next_attempt_at text not null,
    message_id text,                         -- chosen at the first attempt, the same for every retry
    last_answer text,                        -- the server's answer to the last attempt
    claimed_by text,                         -- host:pid of the process sending it
    sent_at text,
    unique (key, address)
);
create index if not exists outbox_due on outbox (state, next_attempt_at);
create table if not exists outbox_attempts (
    attempt_id integer primary key,
    outbox_id integer not null references outbox (outbox_id),
    message_id text not null,
    started_at text not null,                -- recorded before the message is handed to the server
    claimed_by text not null,
    finished_at text,
    outcome text,                            -- sent, failed; null while (or if never) known
    answer text
);
"""


@dataclass(frozen=True)
class Contact:
    institution: str
    address: str
    language: str
    notices: tuple[str, ...]
    added_at: str

    def wants(self, notice: str) -> bool:
        return notice in self.notices


@dataclass(frozen=True)
class OutboxRow:
    outbox_id: int
    key: str
    address: str
    notice: str
    institution: str
    period: str | None
    language: str
    params: dict[str, Any]
    enqueued_at: str
    state: str
    attempts: int
    next_attempt_at: str
    message_id: str | None
    last_answer: str | None
    claimed_by: str | None
    sent_at: str | None


def contacts_of(connection: Connection, institution: str | None = None) -> list[Contact]:
    where, values = ("where institution = ?", (institution,)) if institution else ("", ())
    rows = connection.execute(f"select * from contacts {where} order by institution, address", values).fetchall()
    return [_contact(row) for row in rows]


def put_contact(connection: Connection, contact: Contact) -> bool:
    """Add a contact, or replace the language and notices of one already there; True when new."""
    found = connection.execute(
        "select 1 from contacts where institution = ? and address = ?", (contact.institution, contact.address)
    ).fetchone()
    connection.execute(
        """insert into contacts (institution, address, language, notices, added_at) values (?, ?, ?, ?, ?)
           on conflict (institution, address) do update set language = excluded.language, notices = excluded.notices""",
        (contact.institution, contact.address, contact.language, ",".join(contact.notices), contact.added_at),
    )
    return found is None


def delete_contact(connection: Connection, institution: str, address: str) -> bool:
    """Remove a contact (its notices already in the outbox keep their address); True when it was there."""
    cursor = connection.execute("delete from contacts where institution = ? and address = ?", (institution, address))
    return cursor.rowcount > 0


def enqueue(
    connection: Connection,
    *,
    key: str,
    notice: str,
    institution: str,
    period: str | None,
    params: dict[str, Any],
    at: str,
) -> int:
    """Put the notice `key` in the outbox for every contact of the institution that wants it, inside
    the caller's transaction; a key already there for an address is left as it is. Returns how many
    rows were added."""
    if notice not in NOTICES:
        raise ValueError(f"unknown notice {notice!r}")
    added = 0
    text = json.dumps(params, ensure_ascii=False, sort_keys=True)
    for contact in contacts_of(connection, institution):
        if not contact.wants(notice):
            continue
        cursor = connection.execute(
            """insert into outbox (key, address, notice, institution, period, language, params,
                                             enqueued_at, next_attempt_at)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing""",
            (key, contact.address, notice, institution, period, contact.language, text, at, at),
        )
        added += cursor.rowcount
    return added


def supersede(connection: Connection, keys: list[str]) -> int:
    """Rows of these keys that never went out, waiting or failed (a server that refused them, or was
    down), are not to be sent any more: a later notice replaces them. An uncertain one stays for a
    person (the server may have accepted it)."""
    if not keys:
        return 0
    marks = ", ".join("?" for _ in keys)
    cursor = connection.execute(
        f"update outbox set state = 'superseded' where key in ({marks}) and state in ('pending', 'failed')", keys
    )
    return cursor.rowcount


def rows(connection: Connection, where: str = "", values: tuple = (), limit: int | None = None) -> list[OutboxRow]:
    last = f"limit {int(limit)}" if limit is not None else ""
    found = connection.execute(f"select * from outbox {where} order by outbox_id {last}", values).fetchall()
    return [_outbox_row(row) for row in found]


def _contact(row) -> Contact:
    values = dict(row)
    values["notices"] = tuple(name for name in values["notices"].split(",") if name)
    return Contact(**values)


def _outbox_row(row) -> OutboxRow:
    values = dict(row)
    values["params"] = json.loads(values["params"])
    return OutboxRow(**values)

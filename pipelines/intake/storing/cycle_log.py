"""The reporting cycle's audit log (spec cycle.md: "Audit"): every submission received, explanation
given, approval, return, reopening, lock and unlock, appended to one table in the ledger's database
and never updated or deleted (triggers refuse both).

It lives beside the ledger because a submission and its event are written in one transaction, and
because the intake reads two facts from it while it decides: is the period locked, is the return
approved. Everything else about the cycle (a return's state, the review rules) is derived from the
ledger and this log by `pipelines.cycle`.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from pipelines.common.store import Connection

ACTIONS = ("submission", "explanation", "approve", "return", "reopen", "lock", "unlock")
REVIEW_ACTIONS = ("approve", "return", "reopen")

SCHEMA = """
create table if not exists cycle_events (
    event_id integer primary key autoincrement,  -- the order of the events: the log's only clock
    at text not null,                            -- UTC, ISO 8601
    action text not null,
    period text not null,
    institution text,                            -- null for lock and unlock (a whole period)
    kind text,                                   -- submission: its kind
    submission_id text,                          -- submission, explanation
    status text,                                 -- submission: its status
    version integer,                             -- submission: its version (null unless accepted)
    rule text,                                   -- explanation: the rule explained
    revision integer,                            -- lock: the revision of the final figures it kept
    actor text not null,                         -- cli:<os user>, token:<id> (<label>), inbox, ledger
    text text                                    -- comment, reason or explanation
);
create index if not exists cycle_events_by_return on cycle_events (period, institution);
create trigger if not exists cycle_events_never_updated before update on cycle_events
begin select raise(abort, 'the audit log is append-only: events are never updated'); end;
create trigger if not exists cycle_events_never_deleted before delete on cycle_events
begin select raise(abort, 'the audit log is append-only: events are never deleted'); end;
"""

# A ledger made before the cycle existed: its submissions become the log's first events, in the
# ledger's own order, once (when the log is still empty).
BACKFILL = """
insert into cycle_events (at, action, period, institution, kind, submission_id, status, version, actor)
select received_at, 'submission', period, institution, kind, submission_id, status, version, 'ledger'
from submissions
where not exists (select 1 from cycle_events)
order by rowid
"""


@dataclass(frozen=True)
class Event:
    event_id: int
    at: str
    action: str
    period: str
    institution: str | None
    actor: str
    kind: str | None = None
    submission_id: str | None = None
    status: str | None = None
    version: int | None = None
    rule: str | None = None
    revision: int | None = None
    text: str | None = None


EVENT_FIELDS = tuple(Event.__dataclass_fields__)


def append(connection: Connection, **values) -> Event:
    """Append one event (inside the caller's transaction); returns it with its id."""
    if values["action"] not in ACTIONS:
        raise ValueError(f"unknown cycle action {values['action']!r}")
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    (event_id,) = connection.execute(
        f"insert into cycle_events ({names}) values ({marks}) returning event_id", values
    ).fetchone()
    return Event(event_id=event_id, **{name: values.get(name) for name in EVENT_FIELDS[1:]})


def events(connection: Connection, period: str | None = None, institution: str | None = None) -> list[Event]:
    """The events, oldest first; of one period and/or one institution (a period's lock and unlock
    events count for each of its institutions)."""
    where, values = [], []
    if period is not None:
        where.append("period = ?")
        values.append(period)
    if institution is not None:
        where.append("(institution = ? or institution is null)")
        values.append(institution)
    clause = f"where {' and '.join(where)}" if where else ""
    rows = connection.execute(f"select * from cycle_events {clause} order by event_id", values).fetchall()
    return [Event(**dict(row)) for row in rows]


def period_lock(connection: Connection, period: str) -> Event | None:
    """The lock event that holds `period` locked, or None when it is open."""
    found = connection.execute(
        """select * from cycle_events where period = ? and action in ('lock', 'unlock')
           order by event_id desc limit 1""",
        (period,),
    ).fetchone()
    return Event(**dict(found)) if found is not None and found["action"] == "lock" else None


def approval(connection: Connection, institution: str, period: str) -> Event | None:
    """The approve event that holds the return approved, or None when it is not (or was reopened)."""
    found = connection.execute(
        """select * from cycle_events where period = ? and institution = ? and action in ('approve', 'reopen')
           order by event_id desc limit 1""",
        (period, institution),
    ).fetchone()
    return Event(**dict(found)) if found is not None and found["action"] == "approve" else None


def lock_revisions(connection: Connection, period: str) -> int:
    """How many times the period was locked: the revision the next lock keeps is this plus one."""
    return connection.execute(
        "select count(*) from cycle_events where period = ? and action = 'lock'", (period,)
    ).fetchone()[0]


def cli_actor() -> str:
    """The actor of a command-line action: `cli:<os user>`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        user = f"uid{os.getuid()}"
    return f"cli:{user}"


def token_actor(token_id: str, label: str) -> str:
    """The actor of a portal or API action: the token's id and its label."""
    return f"token:{token_id} ({label})" if label else f"token:{token_id}"


def who(actor: str) -> str:
    """An actor as a person reads it: the token's label (else its id), or the OS user."""
    kind, _, rest = actor.partition(":")
    if kind == "token" and "(" in rest:
        return rest[rest.index("(") + 1 : rest.rindex(")")]
    return rest or actor

"""Access tokens of the upload portal: one secret per institution (or an operator's), stored
only as a SHA-256 hash in the home's `access` store (access.sqlite, or the shared PostgreSQL),
and the pages' sign-in sessions made with them. `ciess tokens ...` manages the tokens."""

from __future__ import annotations

import hashlib
import secrets
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pipelines.common.store import Store
from pipelines.intake.storing.cycle_log import token_actor

TOKEN_PREFIX = "ciess_"

_SCHEMA = """
create table if not exists tokens (
    token_id text primary key,
    token_hash text not null unique,
    institution text,           -- null for an operator token, which sees every institution
    label text not null,
    created_at text not null,
    revoked_at text
);
-- the pages' sign-in sessions (pipelines/portal/sessions.py signs their ids into the cookie)
create table if not exists sessions (
    session_id text primary key,
    token_id text not null references tokens (token_id),
    started_at text not null,
    ended_at text               -- signed out
);
"""
SESSIONS_KEPT = timedelta(days=2)  # longer than a session lasts: older rows are pruned at sign-in


@dataclass(frozen=True)
class Principal:
    token_id: str
    institution: str | None
    label: str = ""

    @property
    def is_operator(self) -> bool:
        return self.institution is None

    @property
    def actor(self) -> str:
        """Who acted, as the audit log records it: the token's id and label."""
        return token_actor(self.token_id, self.label)


@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    institution: str | None
    label: str
    created_at: str
    revoked_at: str | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    def __init__(self, store: Store):
        self.store = store
        store.initialise(_SCHEMA)

    @classmethod
    def of(cls, settings) -> TokenStore:
        """The tokens of a home (`pipelines.common.settings.Settings`)."""
        return cls(settings.store("access"))

    def _connect(self):
        return self.store.connect()

    def create(self, institution: str | None, label: str = "") -> tuple[str, TokenRecord]:
        """A new token; its clear value is returned once and never stored."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = TokenRecord(
            token_id=secrets.token_hex(6),
            institution=institution,
            label=label or (institution or "operator"),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            revoked_at=None,
        )
        with closing(self._connect()) as connection:
            connection.execute(
                "insert into tokens (token_id, token_hash, institution, label, created_at) values (?, ?, ?, ?, ?)",
                (record.token_id, _hash(token), institution, record.label, record.created_at),
            )
        return token, record

    def _holder(self, query: str, value: str) -> Principal | None:
        with closing(self._connect()) as connection:
            found = connection.execute(query, (value,)).fetchone()
        return Principal(found["token_id"], found["institution"], found["label"]) if found else None

    def authenticate(self, token: str | None) -> Principal | None:
        """The holder of the clear token `token`, or None when it is wrong or revoked."""
        query = "select token_id, institution, label from tokens where token_hash = ? and revoked_at is null"
        return self._holder(query, _hash(token)) if token else None

    def open_session(self, token_id: str) -> str:
        """A new sign-in session for the token `token_id`: its id, to be signed into the cookie."""
        session_id, now = secrets.token_urlsafe(18), datetime.now(UTC)
        with closing(self._connect()) as connection:
            connection.execute("delete from sessions where started_at < ?", ((now - SESSIONS_KEPT).isoformat(),))
            connection.execute(
                "insert into sessions (session_id, token_id, started_at) values (?, ?, ?)",
                (session_id, token_id, now.isoformat()),
            )
        return session_id

    def session_holder(self, session_id: str) -> Principal | None:
        """Who a session signs in, or None once signed out or its token revoked (its age is the cookie's)."""
        query = ("select token_id, institution, label from sessions join tokens using (token_id) "
                 "where session_id = ? and ended_at is null and revoked_at is null")  # fmt: skip
        return self._holder(query, session_id)

    def end_session(self, session_id: str) -> None:
        with closing(self._connect()) as connection:
            connection.execute("update sessions set ended_at = ? where session_id = ? and ended_at is null",
                               (datetime.now(UTC).isoformat(), session_id))  # fmt: skip

    def revoke(self, token_id: str) -> bool:
        with closing(self._connect()) as connection:
            changed = connection.execute(
                "update tokens set revoked_at = ? where token_id = ? and revoked_at is null",
                (datetime.now(UTC).isoformat(timespec="seconds"), token_id),
            ).rowcount
        return changed == 1

    def all(self) -> list[TokenRecord]:
        with closing(self._connect()) as connection:
            rows = connection.execute("select * from tokens order by created_at, token_id").fetchall()
        return [
            TokenRecord(r["token_id"], r["institution"], r["label"], r["created_at"], r["revoked_at"]) for r in rows
        ]

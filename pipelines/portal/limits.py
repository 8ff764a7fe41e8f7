"""What the portal refuses before the intake reads anything: too many requests for one token (429),
a body over the upload limit while it streams in (413) or that trickles in (408), a content type
that is not a spreadsheet (415)."""

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass

from fastapi import HTTPException
from fastapi.responses import JSONResponse

from pipelines.common.store import Store

ACCEPTED_CONTENT_TYPES = {
    "text/csv",
    "text/plain",
    "text/tab-separated-values",
    "application/csv",
    "application/vnd.ms-excel",  # what browsers on Windows send for .csv
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",  # what clients send when they do not know; the intake reads the content
}
MULTIPART_OVERHEAD = 64 * 1024  # allowed on top of the file's own limit for the multipart framing and form fields


def check_content_type(declared: str | None) -> None:
    """415 unless the upload's declared content type is one a CSV or XLSX file is sent with."""
    content_type = (declared or "application/octet-stream").split(";")[0].strip().lower()
    if content_type not in ACCEPTED_CONTENT_TYPES:
        raise HTTPException(415, f"content type {content_type} is not accepted: send a CSV or XLSX file")


class RateLimiter:
    """At most `limit` requests per key (a token, a visitor) in any `window` seconds, counted for
    every worker of the portal together: the requests are kept in the home's `limits` store (a
    SQLite file, or the shared PostgreSQL), checked and recorded in one write transaction per key.
    Without a store, in this process's memory (one worker, and the tests of the limit itself)."""

    def __init__(self, limit: int, window: float = 60.0, store: Store | None = None, name: str = "api"):
        self.limit, self.window, self.store, self.name = limit, window, store, name
        self.calls: dict[str, deque] = {}
        self.lock = threading.Lock()
        if store is not None:
            store.initialise(_SCHEMA)

    def allow(self, key: str) -> bool:
        if self.store is not None:
            return self._allow_shared(key, time.time())
        now = time.monotonic()
        with self.lock:
            calls = self.calls.setdefault(key, deque())
            while calls and now - calls[0] > self.window:
                calls.popleft()
            if len(calls) >= self.limit:
                return False
            calls.append(now)
            return True

    def _allow_shared(self, key: str, now: float) -> bool:
        with self.store.transaction(f"limits:{self.name}:{key}") as connection:
            connection.execute("delete from requests where name = ? and key = ? and at <= ?",
                               (self.name, key, now - self.window))  # fmt: skip
            (count,) = connection.execute(
                "select count(*) from requests where name = ? and key = ?", (self.name, key)
            ).fetchone()
            allowed = count < self.limit
            if allowed:
                connection.execute("insert into requests (name, key, at) values (?, ?, ?)", (self.name, key, now))
        return allowed


_SCHEMA = """
create table if not exists requests (name text not null, key text not null, at real not null);
create index if not exists requests_by_key on requests (name, key, at);
"""


@dataclass(frozen=True)
class UploadPace:
    """How slowly a body may come: nothing for `idle` seconds, or, after `grace` seconds, less than
    `min_rate` bytes a second on average, and the upload is refused (a client trickling bytes to
    hold a connection)."""

    idle: float = 30.0
    grace: float = 20.0
    min_rate: float = 1024.0


USUAL_PACE = UploadPace()

# The rest of a refused body is never read: the connection is closed with the answer, not kept alive.
CLOSE = {"Connection": "close"}


class BodyLimit:
    """Refuses a request body over the limit while it streams in (413), whatever it claims, and a body
    that comes slower than the pace (408)."""

    def __init__(self, app, limit: int, pace: UploadPace = USUAL_PACE):
        self.app, self.limit = app, limit
        self.idle, self.grace, self.min_rate = pace.idle, pace.grace, pace.min_rate

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.limit:
            response = JSONResponse({"detail": self._message()}, status_code=413, headers=CLOSE)
            return await response(scope, receive, send)
        received, started = 0, time.monotonic()

        async def counted():
            nonlocal received
            try:
                message = await asyncio.wait_for(receive(), timeout=self.idle)
            except TimeoutError:
                raise HTTPException(
                    408, f"nothing arrived for {self.idle:g} seconds; send the file again", headers=CLOSE
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413, self._message(), headers=CLOSE)
                elapsed = time.monotonic() - started
                if message.get("more_body") and elapsed > self.grace and received < self.min_rate * elapsed:
                    too_slow = f"the upload arrives too slowly (under {self.min_rate / 1024:g} KB a second); "
                    raise HTTPException(408, too_slow + "send the file again from a better connection", headers=CLOSE)
            return message

        return await self.app(scope, counted, send)

    def _message(self) -> str:
        return f"the upload is over the limit of {self.limit // (1024 * 1024)} MB; send a smaller file"

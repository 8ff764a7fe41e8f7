"""SQLite files the pipeline keeps (ledger, access tokens): WAL mode, so that concurrent writers
wait their turn instead of failing, and autocommit unless a transaction is opened explicitly."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 600


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    connection.row_factory = sqlite3.Row
    connection.execute(f"pragma busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    return connection


def initialise(path: Path, schema: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(connect(path)) as connection:
        connection.execute("pragma journal_mode=wal")
        connection.executescript(schema)

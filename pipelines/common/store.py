"""Where the pipeline keeps its tables (the ledger with the cycle's log and the outbox, the access
tokens, the rate-limit counters): one interface, two backends.

- SQLite (the default): one file per store under the home folder (`ledger.sqlite`, `access.sqlite`,
  `limits.sqlite`), WAL mode, so that concurrent writers wait their turn instead of failing.
- PostgreSQL, when the home is given a database (`CIESS_DATABASE_URL`, or the file `database.url`
  in the home folder): every store's tables in that one database, shared by every portal worker,
  the daemon and the command line on any machine.

Callers write SQLite's dialect with `?` or `:name` parameters; the PostgreSQL backend translates
the parameters, and the schemas (`postgres_schema`). Connections are in autocommit; a write that
must decide on a consistent view runs in `transaction(lock)`: SQLite's BEGIN IMMEDIATE (one writer
per file), PostgreSQL's transaction holding `pg_advisory_xact_lock` on the lock's name (one writer
per store). Rows answer both `row[0]` and `row["name"]`, on both backends.
"""

from __future__ import annotations

import atexit
import hashlib
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg_pool import ConnectionPool

BUSY_TIMEOUT_SECONDS = 600
POOL_SIZE = 16  # connections a process keeps to PostgreSQL (a portal worker's threads share them)
CONNECT_SECONDS = 10
WAIT_SECONDS = 60  # for a connection of the pool, all busy; then PoolTimeout, said as a database not reached
# What a broken store raises, whichever the backend (the home's problems say them in plain words).
STORE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, psycopg.Error)


class Store:
    """A store's connections and write transactions (see the module's docstring)."""

    backend: str

    def connect(self):
        raise NotImplementedError

    @contextmanager
    def transaction(self, lock: str, track: bool = False) -> Iterator:
        """A write transaction, one at a time per `lock`; `track`: remember when it committed (`last_change`)."""
        raise NotImplementedError
        yield

    def initialise(self, schema: str) -> None:
        raise NotImplementedError

    def has_table(self, table: str) -> bool:
        raise NotImplementedError

    def last_change(self, lock: str) -> float | None:
        """When a write transaction on `lock` last committed (seconds since the epoch), or None."""
        raise NotImplementedError

    def digest(self, tables: Sequence[str]) -> str:
        """A hash of every row of `tables` (those that exist), in their order of insertion."""
        raise NotImplementedError

    def describe(self) -> str:
        """Where the store is, as messages name it (no password)."""
        raise NotImplementedError


def open_store(database_url: str | None, path: Path) -> Store:
    """The PostgreSQL store at `database_url`, or else the SQLite file `path`."""
    return PostgresStore(database_url) if database_url else SqliteStore(path)


class SqliteStore(Store):
    backend = "sqlite"

    def __init__(self, path: Path):
        self.path = path

    def connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        connection.row_factory = sqlite3.Row
        connection.execute(f"pragma busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        return connection

    @contextmanager
    def transaction(self, lock: str, track: bool = False) -> Iterator[sqlite3.Connection]:
        connection = self.connect()
        try:
            connection.execute("begin immediate")
            yield connection
            connection.execute("commit")
        except BaseException:
            connection.execute("rollback")
            raise
        finally:
            connection.close()

    def initialise(self, schema: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self.connect()) as connection:
            connection.execute("pragma journal_mode=wal")
            connection.executescript(schema)

    def has_table(self, table: str) -> bool:
        if not self.path.exists():
            return False
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as connection:
            found = connection.execute("select 1 from sqlite_master where type = 'table' and name = ?", (table,))
            return found.fetchone() is not None

    def last_change(self, lock: str) -> float | None:
        # the file and its WAL: every commit writes one of them
        times = [path.stat().st_mtime for path in self.path.parent.glob(self.path.name + "*") if path.is_file()]
        return max(times) if times else None

    def digest(self, tables: Sequence[str]) -> str:
        digest = hashlib.sha256()
        if not self.path.exists():
            return ""
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as connection:
            present = {row[0] for row in connection.execute("select name from sqlite_master where type = 'table'")}
            for table in sorted(set(tables) & present):
                digest.update(table.encode())
                for row in connection.execute(f'select * from "{table}" order by rowid'):
                    digest.update(repr(tuple(row)).encode())
        return digest.hexdigest()

    def describe(self) -> str:
        return str(self.path)


class PostgresStore(Store):
    backend = "postgresql"
    _initialised: ClassVar[set[tuple[str, str]]] = set()  # (url, schema) already created by this process
    _pools: ClassVar[dict[str, ConnectionPool]] = {}  # one per database and process, opened on first use
    _guard: ClassVar[threading.Lock] = threading.Lock()  # of _initialised
    _pool_guard: ClassVar[threading.Lock] = threading.Lock()  # of _pools

    def __init__(self, url: str):
        self.url = url

    def connect(self) -> PostgresConnection:
        """A connection of this process's pool (a new one costs the server a process), given back by `close`."""
        pool = self._pools.get(self.url) or self._open_pool()
        return PostgresConnection(pool.getconn(timeout=WAIT_SECONDS), pool)

    def _open_pool(self) -> ConnectionPool:
        with self._pool_guard:
            if self.url not in self._pools:
                psycopg.connect(self.url, connect_timeout=CONNECT_SECONDS).close()  # a server that is down: said now
                pool = ConnectionPool(
                    self.url, min_size=1, max_size=POOL_SIZE, open=False, name="ciess",
                    kwargs={"autocommit": True, "row_factory": _row_factory},
                    check=ConnectionPool.check_connection,  # a server restarted since: a new connection, not an error
                )  # fmt: skip
                pool.open()
                atexit.register(pool.close)
                self._pools[self.url] = pool
            return self._pools[self.url]

    @contextmanager
    def transaction(self, lock: str, track: bool = False) -> Iterator[PostgresConnection]:
        connection = self.connect()
        try:
            with connection.raw.transaction():
                connection.execute("select pg_advisory_xact_lock(?)", (lock_key(lock),))
                yield connection
                if track:  # only when the transaction wrote: a look that found nothing to do changes nothing
                    connection.execute(
                        """insert into store_changes (lock, changed_at)
                           select ?, ? where pg_current_xact_id_if_assigned() is not null
                           on conflict (lock) do update set changed_at = excluded.changed_at""",
                        (lock, time.time()),
                    )
        finally:
            connection.close()

    def initialise(self, schema: str) -> None:
        key = (self.url, schema)
        with self._guard:
            if key in self._initialised:
                return
            with closing(self.connect()) as connection, connection.raw.transaction():
                # one process at a time creates tables: PostgreSQL's `if not exists` is not safe against a racing twin
                connection.execute("select pg_advisory_xact_lock(?)", (lock_key("schema"),))
                connection.raw.execute(postgres_schema(_STORE_CHANGES + schema))
            self._initialised.add(key)

    def has_table(self, table: str) -> bool:
        with closing(self.connect()) as connection:
            found = connection.execute("select to_regclass(?) is not null", (table,)).fetchone()
        return bool(found[0])

    def last_change(self, lock: str) -> float | None:
        if not self.has_table("store_changes"):
            return None
        with closing(self.connect()) as connection:
            found = connection.execute("select changed_at from store_changes where lock = ?", (lock,)).fetchone()
        return found[0] if found else None

    def digest(self, tables: Sequence[str]) -> str:
        digest = hashlib.sha256()
        with closing(self.connect()) as connection:
            for table in sorted(tables):
                if not connection.execute("select to_regclass(?) is not null", (table,)).fetchone()[0]:
                    continue
                digest.update(table.encode())
                with connection.raw.cursor(f"digest_{table}") as cursor, connection.raw.transaction():
                    cursor.execute(f'select * from "{table}" order by rowid')
                    for row in cursor:
                        digest.update(repr(tuple(row)).encode())
        return digest.hexdigest()

    def describe(self) -> str:
        return redacted(self.url)


class PostgresConnection:
    """A psycopg connection that takes SQLite's parameters, as the callers write them."""

    def __init__(self, raw: psycopg.Connection, pool: ConnectionPool | None = None):
        self.raw, self.pool = raw, pool

    def execute(self, sql: str, parameters: Sequence | dict = ()) -> psycopg.Cursor:
        return self.raw.execute(postgres_query(sql), parameters)

    def executemany(self, sql: str, parameters: Sequence) -> psycopg.Cursor:
        cursor = self.raw.cursor()
        cursor.executemany(postgres_query(sql), parameters)
        return cursor

    def close(self) -> None:
        if self.pool is None:
            self.raw.close()
        else:
            self.pool.putconn(self.raw)  # rolled back first if a transaction was left open


class Row:
    """A row as sqlite3.Row gives it: by position, by column name, `keys()`, `dict(row)`."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: dict[str, int], values: Sequence):
        self._names, self._values = names, values

    def keys(self) -> list[str]:
        return list(self._names)

    def __getitem__(self, key: int | str):
        return self._values[key] if isinstance(key, int) else self._values[self._names[key]]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return repr(tuple(self._values))


def _row_factory(cursor: psycopg.Cursor):
    if cursor.description is None:
        return lambda values: values
    names = [column.name for column in cursor.description]
    # PostgreSQL has no rowid: every table gets one (postgres_schema), hidden from `select *` as SQLite hides its own
    shown = [index for index, name in enumerate(names) if name != "rowid"]
    index = {names[position]: number for number, position in enumerate(shown)}
    if len(shown) == len(names):
        return lambda values: Row(index, values)
    return lambda values: Row(index, [values[position] for position in shown])


Connection = sqlite3.Connection | PostgresConnection  # what `connect` and `transaction` give


def lock_key(name: str) -> int:
    """A stable 63-bit key for `pg_advisory_xact_lock` from a lock's name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") >> 1


_STORE_CHANGES = """
create table if not exists store_changes (lock text primary key, changed_at real not null);
"""
_LITERAL_OR_PARAMETER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"])*\"|\?|(?<!:):([A-Za-z_]\w*)|%")


@lru_cache(maxsize=512)
def postgres_query(sql: str) -> str:
    """SQLite's `?` and `:name` parameters as psycopg's `%s` and `%(name)s` (quoted text left alone)."""

    def replace(match: re.Match) -> str:
        text = match.group(0)
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        if match.group(1):
            return f"%({match.group(1)})s"
        return text.replace("%", "%%")  # psycopg reads % inside quoted text too

    return _LITERAL_OR_PARAMETER.sub(replace, sql)


_TRIGGER = re.compile(
    r"create trigger if not exists (\w+) (before (?:update|delete)) on (\w+)\s+"
    r"begin select raise\(abort, '([^']*)'\); end;",
    re.IGNORECASE,
)
_TABLE = re.compile(r"create table if not exists (\w+)", re.IGNORECASE)


@lru_cache(maxsize=64)
def postgres_schema(schema: str) -> str:
    """A schema written for SQLite, in PostgreSQL's words: 64-bit integers and floats, identity
    columns for `autoincrement`, a hidden `rowid` in every table (the order of insertion, which
    callers sort by), and the refusing triggers as PL/pgSQL functions."""
    translated = re.sub(r"--[^\n]*", "", schema)  # comments may hold unbalanced parentheses
    translated = _with_rowids(translated)
    # SQLite numbers an `integer primary key` itself, with or without `autoincrement`
    identity = "bigint generated by default as identity primary key"
    translated = re.sub(r"\binteger primary key( autoincrement)?", identity, translated, flags=re.IGNORECASE)
    translated = re.sub(r"\binteger\b", "bigint", translated, flags=re.IGNORECASE)
    translated = re.sub(r"\breal\b", "double precision", translated, flags=re.IGNORECASE)
    return _TRIGGER.sub(
        lambda match: (
            f"create or replace function {match[1]}() returns trigger language plpgsql as "
            f"$$ begin raise exception '{match[4]}'; end $$; "
            f"create or replace trigger {match[1]} {match[2]} on {match[3]} "
            f"for each row execute function {match[1]}();"
        ),
        translated,
    )


def _with_rowids(schema: str) -> str:
    """Each `create table (...)` with a last column `rowid`, filled in the order rows are inserted."""
    parts, start = [], 0
    for match in _TABLE.finditer(schema):
        depth, position = 0, schema.index("(", match.end())
        while True:
            depth += {"(": 1, ")": -1}.get(schema[position], 0)
            if depth == 0:
                break
            position += 1
        parts += [schema[start:position], ", rowid bigint generated always as identity"]
        start = position
    return "".join(parts) + schema[start:]


def tables_of(schema: str) -> list[str]:
    """The tables a schema creates."""
    return _TABLE.findall(schema)


def redacted(url: str) -> str:
    """A database URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))

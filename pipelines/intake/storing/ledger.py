"""The ledger: one row per submission received (who, what, when, hash, status, version).

In a store (pipelines.common.store: SQLite under the home folder, or PostgreSQL), so that many
uploads may be recorded at once: the decision that needs a consistent view (duplicate? which
version?) runs inside one write transaction, and one at a time (SQLite's BEGIN IMMEDIATE, a
PostgreSQL advisory lock). One at a time for the whole ledger, not per slot: positions (`rowid`)
must be committed in their order for `accepted_since`'s readers, and a decision takes milliseconds
(the file is read, checked and written to the lake before it). A unique index holds the numbering
even against a writer that would bypass the lock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipelines.common.atomic import replace_with
from pipelines.common.home_problems import missing_ledger
from pipelines.common.store import Connection, Store, tables_of
from pipelines.intake.storing import cycle_log, outbox

ACCEPTED_STATUSES = ("ACCEPTED", "ACCEPTED_WITH_WARNINGS")

_SCHEMA = """
create table if not exists submissions (
    submission_id text primary key,
    institution text not null,
    kind text not null,
    period text not null,
    status text not null,
    received_at text not null,
    sha256 text not null,
    size_bytes integer not null,
    version integer,
    supersedes text,
    late integer not null,
    rows integer not null,
    errors integer not null,
    warnings integer not null,
    rule_counts text not null,
    original_name text,
    archive_path text not null,
    receipt_path text not null,
    issues_path text not null,
    lake_path text
);
create index if not exists submissions_by_slot on submissions (institution, kind, period);
create index if not exists submissions_by_hash on submissions (sha256);
-- one row per version of a slot: gap-free numbering is the decision's, uniqueness also the index's
create unique index if not exists submissions_version_once on submissions (institution, kind, period, version)
    where version is not null and status != 'DUPLICATE';
-- the resubmission diff of each accepted version after the first (pipelines.intake.checking.version_diff)
create table if not exists submission_diffs (
    submission_id text primary key references submissions (submission_id),
    previous_version integer not null,
    added integer not null,
    removed integer not null,
    changed integer not null,
    unchanged integer not null,
    changed_by_column text not null,
    diff_path text not null
);
"""
DIFF_COUNTS = ("previous_version", "added", "removed", "changed", "unchanged")
SCHEMA = _SCHEMA + cycle_log.SCHEMA + cycle_log.BACKFILL + ";" + outbox.SCHEMA
# What the warehouse reads of the ledger's database (its freshness fingerprint): all but the notices'
WAREHOUSE_TABLES = tuple(table for table in tables_of(SCHEMA) if table not in outbox.TABLES)
LOCK = "ledger"


@dataclass(frozen=True)
class LedgerRow:
    submission_id: str
    institution: str
    kind: str
    period: str
    status: str
    received_at: str
    sha256: str
    size_bytes: int
    version: int | None
    supersedes: str | None
    late: bool
    rows: int
    errors: int
    warnings: int
    rule_counts: dict
    original_name: str | None
    archive_path: str
    receipt_path: str
    issues_path: str
    lake_path: str | None


class Ledger:
    def __init__(self, store: Store, home: Path):
        """`home`: the home folder whose archive the ledger numbers (a ledger missing beside an
        archive full of receipts is refused)."""
        self.store = store
        if (problem := missing_ledger(store, home)) is not None:
            raise problem
        store.initialise(SCHEMA)

    @classmethod
    def of(cls, settings) -> Ledger:
        """The ledger of a home (`pipelines.common.settings.Settings`)."""
        return cls(settings.ledger, settings.home)

    def connect(self):
        """A connection for reads (the caller closes it); writes go through `decision`."""
        return self.store.connect()

    @contextmanager
    def decision(self) -> Iterator:
        """A write transaction: nobody else decides between its reads and its insert."""
        with self.store.transaction(LOCK, track=True) as connection:
            yield connection

    @staticmethod
    def insert(connection: Connection, row: LedgerRow) -> None:
        values = dict(row.__dict__)
        values["rule_counts"] = json.dumps(row.rule_counts, sort_keys=True)
        values["late"] = int(row.late)
        names = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        connection.execute(f"insert into submissions ({names}) values ({marks})", values)

    @staticmethod
    def insert_diff(connection: Connection, submission_id: str, diff: dict, diff_path: str) -> None:
        """`diff`: the receipt's `diff` (counts and changed_by_column)."""
        values = {name: diff[name] for name in DIFF_COUNTS}
        values.update(submission_id=submission_id, diff_path=diff_path,
                      changed_by_column=json.dumps(diff["changed_by_column"], sort_keys=True))  # fmt: skip
        names = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        connection.execute(f"insert into submission_diffs ({names}) values ({marks})", values)

    def diff_of(self, submission_id: str) -> dict | None:
        """The receipt's `diff` of a submission and `diff_path`, or None (no diff: a first version,
        a duplicate, a rejected file, or a version accepted before the diff existed)."""
        with closing(self.connect()) as connection:
            found = connection.execute(
                "select * from submission_diffs where submission_id = ?", (submission_id,)
            ).fetchone()
        return _diff(found) if found else None

    def export_diffs_parquet(self, path: Path) -> int:
        """Write every recorded diff (counts only, no paths) where dbt reads it; atomic replace."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        with closing(self.connect()) as connection:
            found = [_diff(row) for row in connection.execute("select * from submission_diffs order by rowid")]
        values = {name: [row[name] for row in found] for name in ("submission_id", *DIFF_COUNTS)}
        values["changed_by_column"] = [json.dumps(row["changed_by_column"], sort_keys=True) for row in found]
        schema = pa.schema([("submission_id", pa.string()), *((name, pa.int64()) for name in DIFF_COUNTS),
                            ("changed_by_column", pa.string())])  # fmt: skip
        table = pa.table(values, schema=schema)
        replace_with(path, lambda temporary: pq.write_table(table, temporary))
        return len(found)

    @staticmethod
    def accepted_with_hash(connection: Connection, institution: str, kind: str, period: str, sha256: str):
        placeholders = ", ".join("?" for _ in ACCEPTED_STATUSES)
        found = connection.execute(
            f"""select * from submissions where institution = ? and kind = ? and period = ? and sha256 = ?
                and status in ({placeholders}) order by version limit 1""",
            (institution, kind, period, sha256, *ACCEPTED_STATUSES),
        ).fetchone()
        return _row(found) if found else None

    @staticmethod
    def current_in(connection: Connection, institution: str, kind: str, period: str) -> LedgerRow | None:
        found = connection.execute(
            """select * from submissions where institution = ? and kind = ? and period = ? and version is not null
               and status != 'DUPLICATE' order by version desc limit 1""",
            (institution, kind, period),
        ).fetchone()
        return _row(found) if found else None

    def current(self, institution: str, kind: str, period: str) -> LedgerRow | None:
        with closing(self.connect()) as connection:
            return self.current_in(connection, institution, kind, period)

    def find_accepted_with_hash(self, institution: str, kind: str, period: str, sha256: str) -> LedgerRow | None:
        with closing(self.connect()) as connection:
            return self.accepted_with_hash(connection, institution, kind, period, sha256)

    def get(self, submission_id: str) -> LedgerRow | None:
        with closing(self.connect()) as connection:
            found = connection.execute("select * from submissions where submission_id = ?", (submission_id,)).fetchone()
        return _row(found) if found else None

    def current_versions(self, period: str | None = None) -> list[LedgerRow]:
        """The newest accepted version of every institution x kind x period (of one period)."""
        with closing(self.connect()) as connection:
            return self.current_versions_in(connection, period)

    @staticmethod
    def current_versions_in(connection: Connection, period: str | None = None) -> list[LedgerRow]:
        where = "where s.period = ?" if period else ""
        rows = connection.execute(
            f"""select s.* from submissions s
                   join (select institution, kind, period, max(version) as version from submissions
                         where version is not null group by institution, kind, period) c
                     on s.institution = c.institution and s.kind = c.kind and s.period = c.period
                    and s.version = c.version and s.status != 'DUPLICATE'
                   {where}
                   order by s.period, s.institution, s.kind""",
            (period,) if period else (),
        ).fetchall()
        return [_row(row) for row in rows]

    def export_parquet(self, path: Path) -> int:
        """Write the ledger (metadata only, no file paths) where dbt reads it; atomic replace."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = ("submission_id", "institution", "kind", "period", "status", "received_at", "sha256",
                   "version", "supersedes", "late", "rows", "errors", "warnings", "rule_counts")  # fmt: skip
        rows = self.all()
        values = {name: [getattr(row, name) for row in rows] for name in columns}
        values["rule_counts"] = [json.dumps(row.rule_counts, sort_keys=True) for row in rows]
        table = pa.table(
            values,
            schema=pa.schema([
                ("submission_id", pa.string()), ("institution", pa.string()), ("kind", pa.string()),
                ("period", pa.string()), ("status", pa.string()), ("received_at", pa.string()),
                ("sha256", pa.string()), ("version", pa.int64()), ("supersedes", pa.string()),
                ("late", pa.bool_()), ("rows", pa.int64()), ("errors", pa.int64()), ("warnings", pa.int64()),
                ("rule_counts", pa.string()),
            ]),
        )  # fmt: skip
        replace_with(path, lambda temporary: pq.write_table(table, temporary))
        return len(rows)

    def last_position(self) -> int:
        """The position of the newest row (0 when empty): see `accepted_since`."""
        with closing(self.connect()) as connection:
            return connection.execute("select coalesce(max(rowid), 0) from submissions").fetchone()[0]

    def accepted_since(self, position: int, limit: int) -> list[tuple[int, LedgerRow]]:
        """Accepted versions recorded after `position` in the ledger's own order of insertion (SQLite's
        rowid: rows are never deleted), oldest first, with their positions: a reader's cursor."""
        placeholders = ", ".join("?" for _ in ACCEPTED_STATUSES)
        with closing(self.connect()) as connection:
            found = connection.execute(
                f"""select rowid as ledger_position, * from submissions
                    where rowid > ? and status in ({placeholders}) order by rowid limit ?""",
                (position, *ACCEPTED_STATUSES, limit),
            ).fetchall()
        rows = []
        for item in found:
            values = dict(item)
            rows.append((values.pop("ledger_position"), _row(values)))
        return rows

    def periods(self) -> list[str]:
        """Every period the ledger has received a file for, oldest first."""
        with closing(self.connect()) as connection:
            return [row[0] for row in connection.execute("select distinct period from submissions order by period")]

    def of_return(self, institution: str, period: str) -> list[LedgerRow]:
        """Every submission of one institution x period, oldest first."""
        with closing(self.connect()) as connection:
            rows = connection.execute(
                "select * from submissions where institution = ? and period = ? order by rowid", (institution, period)
            ).fetchall()
        return [_row(row) for row in rows]

    def history(self, institution: str | None = None, limit: int | None = None) -> list[LedgerRow]:
        """The submissions of one institution (of all, with None), newest first, at most `limit`."""
        where = "where institution = ?" if institution else ""
        bound = "limit ?" if limit is not None else ""
        values = [value for value in (institution, limit) if value is not None]
        with closing(self.connect()) as connection:
            rows = connection.execute(
                f"select * from submissions {where} order by received_at desc, submission_id desc {bound}", values
            ).fetchall()
        return [_row(row) for row in rows]

    def all(self) -> list[LedgerRow]:
        with closing(self.connect()) as connection:
            rows = connection.execute("select * from submissions order by received_at, submission_id").fetchall()
        return [_row(row) for row in rows]


def _diff(found) -> dict:
    values = dict(found)
    values["changed_by_column"] = json.loads(values["changed_by_column"])
    return values


def _row(found) -> LedgerRow:
    values = dict(found)
    values["rule_counts"] = json.loads(values["rule_counts"])
    values["late"] = bool(values["late"])
    return LedgerRow(**values)

"""The resubmission diff: version n+1 of a slot compared with version n by the kind's key, while the
file is taken in, in bounded memory.

Both versions are compared in their lake form (staff identifiers pseudonymised, `staff_key`), as
row hashes: for each row, 32 bytes, a 128-bit hash of its key (two independent 64-bit hashes), its
row number and `r`, a 64-bit hash of the rest of the row. The new version's are made batch by batch
as the intake stages them (no second parse of the file) and kept beside its receipt once it is
accepted (`row_hashes_name`), for the version after it; the previous version's are read from there,
else made from its lake file (decoding the lake's pseudonyms costs more than the rest of the diff
together, measured: docs/performance.md).

- Up to ROWS_PER_BUCKET rows (one bucket), the previous version's hashes are held sorted in memory
  and each new batch is looked up in them as it comes, in threads of their own beside the checks;
  the new rows that differ are kept with their values.
- Above it, both versions' hashes go to files on disk chosen by the key's hash (buckets, as for
  KEY_DUPLICATE in pipelines.intake.checking.key_index), so that a key meets itself in the same
  bucket in both versions; at the end each bucket is joined on its own.

A key only in the new version is added, only in the previous one removed; in both with another
`r`, its values are compared column by column: only the rows that differ are read back from the lake
files, as text. Memory holds one bucket's hashes and the differing rows, never a whole version.

The hashes are those of polars (stable within one polars version, which both sides share: the file
name of kept hashes says which made them). Accepted files have complete and unique keys, so each key
is at most one row on either side.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.ipc

from pipelines.contract.model import Contract
from pipelines.intake.background import OneBehind
from pipelines.intake.storing.lake import lake_column

_SEEDS = (0, 0x9E3779B97F4A7C15)  # the key's two hash functions
_COLUMN_SEED = 0x2545F4914F6CDD1D
READING = 2  # buckets compared at once, at the end
# A bucket holds 32 bytes a row: with one per 1.5 million rows (of the larger version; the new file's
# rows guessed from its size and the previous file's bytes per row), a bucket and its join take some
# 100 MB at the end whatever the files' size, and a version of a million rows needs no sorting into
# buckets at all: the previous version's kept row hashes are its bucket as they are
ROWS_PER_BUCKET = 1_500_000
MAX_BUCKETS = 256  # a bucket's number is a UInt8
CHANGES = ("added", "removed", "changed")  # the kinds of difference, in the order diff.csv lists them
PAIR_SCHEMA = {"change": pl.String, "row": pl.Int64, "previous_row": pl.Int64}
LINE_FIELDS = ("change", "row", "previous_row", "column", "old_value", "new_value")  # and the key's columns


@dataclass(frozen=True)
class DiffCounts:
    """What the receipt, the ledger and the mart say of a resubmission."""

    previous_version: int
    added: int
    removed: int
    changed: int
    unchanged: int
    changed_by_column: dict[str, int] = field(default_factory=dict)  # contract column -> changed rows

    def as_receipt(self) -> dict[str, Any]:
        return {
            "previous_version": self.previous_version,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "changed_by_column": dict(self.changed_by_column),
        }

    @classmethod
    def from_receipt(cls, values: dict[str, Any]) -> DiffCounts:
        return cls(**{**values, "changed_by_column": dict(values["changed_by_column"])})


@dataclass(frozen=True)
class PreviousVersion:
    """The version a new one is compared with."""

    version: int
    rows: int
    size_bytes: int  # of its file as sent
    lake: Path  # its lake file
    row_hashes: Path  # where it kept its row hashes (absent for a version taken in before they were kept)


@dataclass(frozen=True)
class Differences:
    counts: DiffCounts
    # LINE_SCHEMA: an added row, a removed one, and each changed column of a changed row, in
    # new-file order, the removed rows last; the key in its lake form, the values as text
    lines: pl.DataFrame


def lake_key(contract: Contract) -> list[str]:
    """The kind's key as the lake names its columns (staff_id -> staff_key)."""
    return [lake_column(name) if contract.column(name).pseudonymise else name for name in contract.key]


def compared_columns(contract: Contract) -> list[str]:
    """The contract columns a diff compares: every one but the key's."""
    return [column.name for column in contract.columns if column.name not in contract.key]


def row_hashes_name(contract: Contract) -> str:
    """The file name of a version's row hashes: it says what they were made with (the polars version,
    whose hashes are stable only within a version, the key and the compared columns), so that hashes
    made otherwise are never compared; the lake file is read instead."""
    made_with = json.dumps([pl.__version__, _SEEDS, _COLUMN_SEED, lake_key(contract), compared_columns(contract)])
    return f"row_hashes-{hashlib.sha256(made_with.encode()).hexdigest()[:16]}.arrows"


_HASHES = {"k0": pl.UInt64, "k1": pl.UInt64, "row": pl.Int64, "r": pl.UInt64}


@dataclass
class _HeldHashes:
    """The previous version's row hashes in memory, sorted by `k0`, and which of them were matched."""

    frame: pl.DataFrame
    k0: np.ndarray
    k1: np.ndarray
    row: np.ndarray
    r: np.ndarray
    matched: np.ndarray
    has_collision: bool  # two keys share `k0` (about one chance in 10^7 for a million rows): compared at the end


def _text_schema(diff: VersionDiff) -> dict:
    return {"source_row": pl.Int64, **dict.fromkeys((*diff.shown_key, *diff.lake_columns), pl.String)}


class VersionDiff:
    """Start it before the new file's batches come (`add`, in lake form), then `finish` once they are
    staged, `row_hashes` to keep the new version's; `close` always. Without a previous version it
    only makes the row hashes."""

    def __init__(self, contract: Contract, previous: PreviousVersion | None, file_bytes: int,
                 scratch: Path | None = None):  # fmt: skip
        self.previous = previous
        self.key = lake_key(contract)
        self.shown_key = [name for name in self.key if name in contract.column_names]  # not pseudonymised
        self.columns = compared_columns(contract)
        lake_names = {column.name: lake_column(column.name) if column.pseudonymise else column.name
                      for column in contract.columns}  # fmt: skip
        self.lake_columns = [lake_names[name] for name in self.columns]
        rows = max(previous.rows, file_bytes * previous.rows // max(previous.size_bytes, 1)) if previous else 0
        self.buckets = max(1, min(MAX_BUCKETS, -(-rows // ROWS_PER_BUCKET)))
        if scratch is not None:
            scratch.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.scratch = scratch
        self.folder = Path(tempfile.mkdtemp(prefix="diff-", dir=scratch))
        self._writers: dict[str, tuple[pa.NativeFile, pa.ipc.RecordBatchStreamWriter]] = {}
        self._adding = OneBehind("diff")
        self._comparing = OneBehind("diff-compare")
        self._reading = ThreadPoolExecutor(max_workers=1, thread_name_prefix="diff-previous")
        # With one bucket, the new version's bucket file is its row hashes in file order, and the
        # comparison is made batch by batch as they come, against the previous version's hashes held
        # sorted in memory (one bucket's worth): the end then only reads the previous version's
        # differing rows; the new version's are kept as they pass.
        self._as_they_come = previous is not None and self.buckets == 1
        self._found: list[pl.DataFrame] = []  # PAIR_SCHEMA: the new rows that differ
        self._new_values: list[pl.DataFrame] = []  # their values (`_values`)
        self._same = 0  # rows of the same key and row hash in both versions
        self._previous: Future | None = None
        if previous is not None:
            work = self._load_previous if self._as_they_come else self._spill_previous
            self._previous = self._reading.submit(work, previous)

    def _hashed(self, rows: pl.LazyFrame) -> pl.LazyFrame:
        """`bucket`, the key's hashes, `row` and `r`: the exclusive or of a hash per compared column, each
        with a seed of its own (two values swapped between columns differ). Rows with the same `r`
        have every column the same, but for a chance of one in 2^64."""
        key = pl.struct(self.key)
        hashes = [key.hash(seed).alias(f"k{i}") for i, seed in enumerate(_SEEDS)]
        columns = [pl.col(name).hash(_COLUMN_SEED + i) for i, name in enumerate(self.lake_columns)]
        row_hash = functools.reduce(lambda left, right: left.xor(right), columns) if columns else None
        return rows.select(
            (hashes[0] % self.buckets).cast(pl.UInt8).alias("bucket"),
            *hashes,
            pl.col("source_row").alias("row"),
            (row_hash if row_hash is not None else pl.lit(0, pl.UInt64)).alias("r"),
        )

    def add(self, rows: pl.DataFrame) -> None:
        """One batch of the new version in its lake form (pipelines.intake.storing.lake.lake_rows),
        hashed and spilled by a thread of its own, one batch behind."""
        self._adding.submit(self._add_now, rows)

    def _add_now(self, rows: pl.DataFrame) -> None:
        hashed = self._hashed(rows.lazy()).collect()
        self._append("new", hashed)
        if self.buckets > 1:  # the new version's row hashes, in file order
            table = hashed.drop("bucket").to_arrow()
            self._writer("row-hashes", table.schema).write_table(table)
        if self._as_they_come and not (previous := self._previous.result()).has_collision:
            # in a thread of its own again: the hashing of the next batch need not wait for it
            self._comparing.submit(self._compare_as_they_come, rows, hashed, previous)

    def _compare_as_they_come(self, rows: pl.DataFrame, hashed: pl.DataFrame, previous: _HeldHashes) -> None:
        """One batch against the previous version's held hashes: its rows of the same key and row
        hash are counted, the others (added, or changed) kept with their values."""
        order = np.argsort(hashed.get_column("k0").to_numpy())  # a search for keys in order is 4 times faster
        k0, k1, r, row = (hashed.get_column(name).to_numpy()[order] for name in ("k0", "k1", "r", "row"))
        if previous.k0.size:
            at = np.minimum(np.searchsorted(previous.k0, k0), previous.k0.size - 1)
            found = (previous.k0[at] == k0) & (previous.k1[at] == k1)
            previous.matched[at[found]] = True
            same = found & (previous.r[at] == r)
            previous_row = np.where(found, previous.row[at], -1)
        else:
            found = same = np.zeros(k0.size, dtype=bool)
            previous_row = np.full(k0.size, -1)
        self._same += int(same.sum())
        differs = ~same
        if not differs.any():
            return
        differing = pl.DataFrame({"found": found[differs], "row": row[differs], "previous_row": previous_row[differs]})
        differing = differing.select(
            pl.when("found").then(pl.lit("changed")).otherwise(pl.lit("added")).alias("change"),
            "row",
            pl.when("found").then("previous_row").alias("previous_row"),
        ).cast(PAIR_SCHEMA)
        self._found.append(differing)
        wanted = differing.get_column("row").implode()
        self._new_values.append(self._text_of(rows.lazy().filter(pl.col("source_row").is_in(wanted))).collect())

    def _load_previous(self, previous: PreviousVersion) -> _HeldHashes:
        """The previous version's row hashes, sorted by the key's first hash, in memory."""
        held = pl.concat([pl.DataFrame(schema=_HASHES), *self._previous_hashes(previous)]).sort("k0")
        k0 = held.get_column("k0").to_numpy()
        return _HeldHashes(
            frame=held, k0=k0, k1=held.get_column("k1").to_numpy(), row=held.get_column("row").to_numpy(),
            r=held.get_column("r").to_numpy(), matched=np.zeros(k0.size, dtype=bool),
            has_collision=bool((np.diff(k0) == 0).any()),
        )  # fmt: skip

    def _spill_previous(self, previous: PreviousVersion) -> None:
        for batch in self._previous_hashes(previous):
            self._append("old", batch.select((pl.col("k0") % self.buckets).cast(pl.UInt8).alias("bucket"), pl.all()))

    def _previous_hashes(self, previous: PreviousVersion) -> Iterator[pl.DataFrame]:
        """The previous version's row hashes (_HASHES), batch by batch: those it kept, else made from its lake file."""
        if previous.row_hashes.exists():
            with pa.OSFile(str(previous.row_hashes)) as source:
                for batch in pa.ipc.open_stream(source):
                    yield pl.from_arrow(batch)
            return
        present = set(pl.scan_parquet(previous.lake).collect_schema())  # a column the contract gained since: empty
        wanted = pl.scan_parquet(previous.lake).select(
            "source_row", *self.key,
            *(pl.col(name) if name in present else pl.lit(None).alias(name) for name in self.lake_columns),
        )  # fmt: skip
        for batch in self._hashed(wanted).collect_batches():  # streamed: a batch in memory at a time
            yield batch.drop("bucket")

    def row_hashes(self) -> Path:
        """The new version's row hashes, moved out of the diff's folder (for the archive, once the
        version is accepted: pipelines.intake.submission)."""
        self._adding.finish()
        self._close_writers()
        made = self.folder / ("row-hashes.arrows" if self.buckets > 1 else "new-000.arrows")
        descriptor, name = tempfile.mkstemp(dir=self.scratch, prefix="row-hashes-", suffix=".arrows")
        os.close(descriptor)
        if made.exists():
            os.replace(made, name)
        else:  # a file of no rows cannot be accepted, but the caller owns a file either way
            pa.ipc.new_stream(pa.OSFile(name, "wb"), pa.schema([])).close()
        return Path(name)

    def _append(self, side: str, hashed: pl.DataFrame) -> None:
        if self.buckets == 1:
            table = hashed.drop("bucket").to_arrow()
            self._writer(f"{side}-000", table.schema).write_table(table)
            return
        ordered = hashed.sort("bucket", multithreaded=False)
        sizes = np.bincount(ordered.get_column("bucket").to_numpy(), minlength=self.buckets)
        table = ordered.drop("bucket").to_arrow()
        start = 0
        for bucket, size in enumerate(sizes.tolist()):
            if size:
                self._writer(f"{side}-{bucket:03d}", table.schema).write_table(table.slice(start, size))
            start += size

    def _writer(self, name: str, schema: pa.Schema) -> pa.ipc.RecordBatchStreamWriter:
        # two threads append (the previous version's and the new one's), each to its own side's files
        if name not in self._writers:
            sink = pa.OSFile(str(self.folder / f"{name}.arrows"), "wb")
            self._writers[name] = (sink, pa.ipc.new_stream(sink, schema))
        return self._writers[name][1]

    def finish(self, staged: Path) -> Differences:
        """The differences, once every batch of the new version was added and staged at `staged`."""
        self._adding.finish()
        self._comparing.finish()
        previous = self._previous.result()
        self._close_writers()
        if self._as_they_come and not previous.has_collision:
            removed = pl.DataFrame({"change": "removed", "row": None, "previous_row": previous.row[~previous.matched]})
            pairs = pl.concat([pl.DataFrame(schema=PAIR_SCHEMA), *self._found, removed.cast(PAIR_SCHEMA)])
            matched = self._same
            new = pl.concat([pl.DataFrame(schema=_text_schema(self)), *self._new_values]).rename({"source_row": "row"})
        else:
            with ThreadPoolExecutor(READING, thread_name_prefix="diff") as pool:  # polars releases the GIL
                compared = list(pool.map(self._compare_bucket, range(self.buckets)))
            pairs = pl.concat([pl.DataFrame(schema=PAIR_SCHEMA), *compared])
            matched = int(pairs.filter(pl.col("change") == "matched").get_column("row").sum())
            pairs = pairs.filter(pl.col("change") != "matched")
            new = self._values(staged, pairs.get_column("row")).rename({"source_row": "row"})
        old = self._values(self.previous.lake, pairs.get_column("previous_row")).rename({"source_row": "previous_row"})
        cells = self._changed_cells(pairs.filter(pl.col("change") == "changed"), new, old)
        changed_rows = cells.get_column("row").n_unique() if cells.height else 0
        by_column = dict(cells.group_by("column").len().iter_rows())
        counts = DiffCounts(
            self.previous.version,
            added=pairs.filter(pl.col("change") == "added").height,
            removed=pairs.filter(pl.col("change") == "removed").height,
            changed=changed_rows,
            unchanged=matched + pairs.filter(pl.col("change") == "changed").height - changed_rows,
            changed_by_column={name: by_column[name] for name in self.columns if name in by_column},
        )
        return Differences(counts, self._lines(pairs, cells, new, old))

    def _compare_bucket(self, bucket: int) -> pl.DataFrame:
        """PAIR_SCHEMA: every key of one bucket but those whose row hash is the same in both
        versions, which are counted (one row, `matched`, `row` their number)."""
        pairs = self._pairs(self._read(f"new-{bucket:03d}"), self._read(f"old-{bucket:03d}"))
        in_new, in_old = pl.col("row").is_not_null(), pl.col("row_old").is_not_null()
        same = (in_new & in_old & (pl.col("r") == pl.col("r_old"))).sum()
        change = (
            pl.when(~in_old).then(pl.lit("added")).when(~in_new).then(pl.lit("removed")).otherwise(pl.lit("changed"))
        )
        differing = pairs.filter(~(in_new & in_old) | (pl.col("r") != pl.col("r_old"))).select(
            change.alias("change"), "row", pl.col("row_old").alias("previous_row")
        )
        counted = pairs.select(pl.lit("matched").alias("change"), same.cast(pl.Int64).alias("row"),
                               pl.lit(None, pl.Int64).alias("previous_row"))  # fmt: skip
        return pl.concat([differing.cast(PAIR_SCHEMA), counted.cast(PAIR_SCHEMA)])

    @staticmethod
    def _pairs(new: pl.DataFrame, old: pl.DataFrame) -> pl.DataFrame:
        """Every key of a bucket with its row on each side (null where it has none). Joined on the
        first 64 bits of the key's hash (a join on one integer is the fast one), then checked on the
        other 64: should two keys share the first half (about one chance in 10^7 for files of a
        million rows), the bucket is joined again on all 128 bits."""
        pairs = new.join(old, on="k0", how="full", coalesce=True, suffix="_old")
        both = pl.col("row").is_not_null() & pl.col("row_old").is_not_null()
        if pairs.filter(both & (pl.col("k1") != pl.col("k1_old"))).height:
            pairs = new.join(old, on=["k0", "k1"], how="full", coalesce=True, suffix="_old")
        return pairs

    def _values(self, lake: Path, rows: pl.Series) -> pl.DataFrame:
        """`source_row`, the key and the compared columns of `rows` of one lake file, as text."""
        wanted = rows.drop_nulls().unique().implode()
        return self._text_of(pl.scan_parquet(lake).filter(pl.col("source_row").is_in(wanted))).collect()

    def _text_of(self, rows: pl.LazyFrame) -> pl.LazyFrame:
        return rows.select(
            "source_row", *(pl.col(name).cast(pl.String) for name in (*self.shown_key, *self.lake_columns))
        )

    def _changed_cells(self, changed: pl.DataFrame, new: pl.DataFrame, old: pl.DataFrame) -> pl.DataFrame:
        """One line per column whose value differs, of the rows in both versions whose row hash
        differs: `row`, `previous_row`, the key, `column`, `old_value`, `new_value`."""
        both = (
            changed.select("row", "previous_row")
            .join(new, on="row")
            .join(old.drop(self.shown_key), on="previous_row", suffix="_old")
        )
        key = dict.fromkeys(self.shown_key, pl.String)
        empty = pl.DataFrame(schema={"row": pl.Int64, "previous_row": pl.Int64, **key, "column": pl.String,
                                     "old_value": pl.String, "new_value": pl.String})  # fmt: skip
        cells = [
            both.filter(pl.col(lake).ne_missing(pl.col(f"{lake}_old"))).select(
                "row", "previous_row", *self.shown_key, pl.lit(name).alias("column"),
                pl.col(f"{lake}_old").alias("old_value"), pl.col(lake).alias("new_value"),
            )
            for name, lake in zip(self.columns, self.lake_columns, strict=True)
        ]  # fmt: skip
        return pl.concat([empty, *cells])

    def _lines(self, pairs: pl.DataFrame, cells: pl.DataFrame, new: pl.DataFrame, old: pl.DataFrame) -> pl.DataFrame:
        """LINE_FIELDS and the key: the added and the removed rows with their key, and the changed cells."""
        nothing = [pl.lit(None, pl.String).alias(name) for name in ("column", "old_value", "new_value")]
        added = pairs.filter(pl.col("change") == "added").join(new.select("row", *self.shown_key), on="row")
        removed = pairs.filter(pl.col("change") == "removed").join(
            old.select("previous_row", *self.shown_key), on="previous_row"
        )
        columns = [*LINE_FIELDS[:3], *self.shown_key, *LINE_FIELDS[3:]]
        lines = pl.concat([
            added.with_columns(nothing).select(columns),
            removed.with_columns(nothing).select(columns),
            cells.with_columns(pl.lit("changed").alias("change")).select(columns),
        ])  # fmt: skip
        order = pl.col("change").replace_strict({change: i for i, change in enumerate(CHANGES)}, return_dtype=pl.UInt8)
        column_order = pl.col("column").replace_strict(
            {name: i for i, name in enumerate(self.columns)}, default=None, return_dtype=pl.UInt32
        )
        return lines.sort(pl.col("row").is_null(), pl.coalesce("row", "previous_row"), order, column_order)

    def _read(self, name: str) -> pl.DataFrame:
        if name == "old-000" and self._as_they_come:  # held in memory; compared at the end after a collision
            return self._previous.result().frame
        path = self.folder / f"{name}.arrows"
        if not path.exists():
            return pl.DataFrame(schema={"k0": pl.UInt64, "k1": pl.UInt64, "row": pl.Int64, "r": pl.UInt64})
        with pa.OSFile(str(path)) as source:  # read, not memory-mapped: mapped pages count as resident
            return pl.from_arrow(pa.ipc.open_stream(source).read_all())

    def _close_writers(self) -> None:
        writers, self._writers = self._writers, {}
        for sink, writer in writers.values():
            try:
                writer.close()
            finally:
                sink.close()

    def close(self) -> None:
        try:
            self._adding.abandon()
            self._comparing.abandon()
            self._reading.shutdown(wait=True, cancel_futures=True)
            with contextlib.suppress(OSError):
                self._close_writers()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> VersionDiff:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

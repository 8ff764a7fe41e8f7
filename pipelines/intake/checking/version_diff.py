"""The resubmission diff: version n+1 of a slot compared with version n by the kind's key, while the
file is taken in, in bounded memory.

Both versions are compared in their lake form (staff identifiers pseudonymised, `staff_key`), as
hashes: for each row a 128-bit hash of its key (two independent 64-bit hashes) and a 64-bit hash
of each other column, appended to one of several files on disk chosen by the key's hash (buckets,
as for KEY_DUPLICATE in pipelines.intake.checking.key_index), so that a key meets itself in the
same bucket in both versions. The previous version's rows come from its lake file, streamed by
polars in a thread of their own from the start; the new version's come batch by batch as the
intake stages them. At the end each bucket is compared on its own: a key only in the new version
is added, only in the previous one removed; in both, a column whose hash differs is changed. The
outcome is the counts and the differences as row numbers and column names, no values (the values
of `diff.csv` are read afterwards for the differing rows only: pipelines.intake.storing.diff_file).

The hashes are those of polars (stable within one polars version, which both sides share: they are
computed in the same process). Accepted files have complete and unique keys, so each key is at
most one row on either side.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
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
from pipelines.intake.checking.key_index import bucket_count
from pipelines.intake.storing.lake import lake_column

_SEEDS = (0, 0x9E3779B97F4A7C15)  # the key's two hash functions
_COLUMN_SEED = 0x2545F4914F6CDD1D
READING = 2  # buckets compared at once, at the end
CHANGES = ("added", "removed", "changed")  # the kinds of difference, in the order diff.csv lists them
DIFFERENCE_SCHEMA = {"change": pl.String, "row": pl.Int64, "previous_row": pl.Int64, "column": pl.String}


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
class Differences:
    counts: DiffCounts
    # DIFFERENCE_SCHEMA: an added row (its row), a removed one (its previous row), and each changed
    # column of a changed row (both rows, the column); in new-file order, the removed rows last
    rows: pl.DataFrame


def lake_key(contract: Contract) -> list[str]:
    """The kind's key as the lake names its columns (staff_id -> staff_key)."""
    return [lake_column(name) if contract.column(name).pseudonymise else name for name in contract.key]


def compared_columns(contract: Contract) -> list[str]:
    """The contract columns a diff compares: every one but the key's."""
    return [column.name for column in contract.columns if column.name not in contract.key]


def _difference(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every column of DIFFERENCE_SCHEMA, those it lacks empty."""
    return frame.select(
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in DIFFERENCE_SCHEMA.items()
    )


class VersionDiff:
    """Start it before the new file's batches come (`add`, in lake form), then `finish`; `close` always."""

    def __init__(self, contract: Contract, previous: Path, previous_version: int, file_bytes: int,
                 scratch: Path | None = None):  # fmt: skip
        self.previous_version = previous_version
        self.key = lake_key(contract)
        self.columns = compared_columns(contract)
        lake_names = {column.name: lake_column(column.name) if column.pseudonymise else column.name
                      for column in contract.columns}  # fmt: skip
        self.lake_columns = [lake_names[name] for name in self.columns]
        self.buckets = bucket_count(max(file_bytes, previous.stat().st_size * 4))  # a lake file is ~1/4 of its CSV
        if scratch is not None:
            scratch.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix="diff-", dir=scratch))
        self._writers: dict[str, tuple[pa.NativeFile, pa.ipc.RecordBatchStreamWriter]] = {}
        self._adding = OneBehind("diff")
        self._reading = ThreadPoolExecutor(max_workers=1, thread_name_prefix="diff-previous")
        self._previous: Future = self._reading.submit(self._spill_previous, previous)

    def _hashed(self, rows: pl.LazyFrame) -> pl.LazyFrame:
        key = pl.struct(self.key)
        hashes = [key.hash(seed).alias(f"k{i}") for i, seed in enumerate(_SEEDS)]
        return rows.select(
            (hashes[0] % self.buckets).cast(pl.UInt8).alias("bucket"),
            *hashes,
            pl.col("source_row").alias("row"),
            *(pl.col(lake_name).hash(_COLUMN_SEED).alias(f"c{i}") for i, lake_name in enumerate(self.lake_columns)),
        )

    def add(self, rows: pl.DataFrame) -> None:
        """One batch of the new version in its lake form (pipelines.intake.storing.lake.lake_rows),
        hashed and spilled by a thread of its own, one batch behind."""
        self._adding.submit(lambda: self._append("new", self._hashed(rows.lazy()).collect()))

    def _spill_previous(self, previous: Path) -> None:
        wanted = pl.scan_parquet(previous).select("source_row", *self.key, *self.lake_columns)
        for batch in self._hashed(wanted).collect_batches():  # streamed: a batch in memory at a time
            self._append("old", batch)

    def _append(self, side: str, hashed: pl.DataFrame) -> None:
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

    def finish(self) -> Differences:
        self._adding.finish()
        self._previous.result()
        self._close_writers()
        with ThreadPoolExecutor(READING, thread_name_prefix="diff") as pool:  # polars releases the GIL
            compared = list(pool.map(self._compare_bucket, range(self.buckets)))
        added = sum(part["added"] for part in compared)
        removed = sum(part["removed"] for part in compared)
        changed = sum(part["changed"] for part in compared)
        unchanged = sum(part["unchanged"] for part in compared)
        by_column = {name: sum(part["by_column"][i] for part in compared) for i, name in enumerate(self.columns)}
        counts = DiffCounts(self.previous_version, added, removed, changed, unchanged,
                            {name: n for name, n in by_column.items() if n})  # fmt: skip
        rows = pl.concat([pl.DataFrame(schema=DIFFERENCE_SCHEMA), *(part["rows"] for part in compared)])
        order = pl.col("change").replace_strict({change: i for i, change in enumerate(CHANGES)}, return_dtype=pl.UInt8)
        rows = rows.sort(pl.col("row").is_null(), pl.coalesce("row", "previous_row"), order, "column")
        return Differences(counts, rows)

    def _compare_bucket(self, bucket: int) -> dict[str, Any]:
        new, old = self._read(f"new-{bucket:03d}"), self._read(f"old-{bucket:03d}")
        joined = new.join(old, on=["k0", "k1"], how="full", coalesce=True, suffix="_old")
        in_new, in_old = pl.col("row").is_not_null(), pl.col("row_old").is_not_null()
        names = [f"c{i}" for i in range(len(self.columns))]
        flags = joined.filter(in_new & in_old).select(
            "row", "row_old", *((pl.col(name) != pl.col(f"{name}_old")).alias(name) for name in names)
        )
        differs = pl.any_horizontal(names) if names else pl.lit(False)
        changed_rows = flags.filter(differs)
        cells = (
            changed_rows.unpivot(index=["row", "row_old"], on=names, variable_name="column", value_name="differs")
            .filter("differs")
            .select(
                pl.lit("changed").alias("change"),
                "row",
                pl.col("row_old").alias("previous_row"),
                pl.col("column").replace_strict(dict(zip(names, self.columns, strict=True)), return_dtype=pl.String),
            )
        )
        added = joined.filter(~in_old).select(pl.lit("added").alias("change"), "row")
        removed = joined.filter(~in_new).select(
            pl.lit("removed").alias("change"), pl.col("row_old").alias("previous_row")
        )
        by_column = flags.select(pl.col(name).sum() for name in names).row(0) if names else ()
        rows = pl.concat([_difference(added), _difference(removed), _difference(cells)])
        return {
            "added": added.height,
            "removed": removed.height,
            "changed": changed_rows.height,
            "unchanged": flags.height - changed_rows.height,
            "by_column": [int(n or 0) for n in by_column],
            "rows": rows,
        }

    def _read(self, name: str) -> pl.DataFrame:
        path = self.folder / f"{name}.arrows"
        if not path.exists():
            schema = {"k0": pl.UInt64, "k1": pl.UInt64, "row": pl.Int64}
            return pl.DataFrame(schema={**schema, **{f"c{i}": pl.UInt64 for i in range(len(self.columns))}})
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
            self._reading.shutdown(wait=True, cancel_futures=True)
            with contextlib.suppress(OSError):
                self._close_writers()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> VersionDiff:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

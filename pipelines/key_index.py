"""KEY_DUPLICATE across a whole file, in bounded memory.

For each batch, the rows with a complete key give their row number, a 128-bit hash of the typed
key (two independent 64-bit hashes, computed in the batch's own plan) and the key's cells as sent;
they are appended to one of BUCKETS files on disk chosen by the hash, so that equal keys meet in
the same file. At the end each file is read on its own (a sixteenth of the keys in memory at a
time) and rows whose key already appeared on an earlier row are reported with that row. Two
different keys would have to agree on all 128 bits to be taken for one (about one chance in
10^24 for a file of 20 million rows). Rows with an empty key part are not compared
(VALUE_REQUIRED reports them).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.ipc

from pipelines.contracts import Contract
from pipelines.issues import ROW_ISSUE_SCHEMA, compact, no_row_issues

BUCKETS = 16
_SEEDS = (0, 0x9E3779B97F4A7C15)  # two independent hash functions


class KeyIndex:
    def __init__(self, contract: Contract):
        self.key = list(contract.key)
        self.folder = Path(tempfile.mkdtemp(prefix="ciess-keys-"))
        self._writers: dict[int, tuple[pa.NativeFile, pa.ipc.RecordBatchStreamWriter]] = {}

    def spilled(self, derived: pl.LazyFrame, text: dict[str, pl.Expr]) -> pl.LazyFrame:
        """What `add` takes from a batch: `derived` holds the typed key columns, `text` gives
        each column's cells as sent."""
        key = pl.struct(self.key)
        complete = pl.all_horizontal(pl.col(name).is_not_null() for name in self.key)
        hashes = [key.hash(seed).alias(f"h{i}") for i, seed in enumerate(_SEEDS)]
        return (
            derived.filter(complete)
            .select(
                (hashes[0] % BUCKETS).cast(pl.UInt8).alias("bucket"),
                "row",
                *hashes,
                pl.concat_str([text[name] for name in self.key], separator=" / ").alias("value"),
            )
            .sort("bucket")
        )

    def add(self, spilled: pl.DataFrame) -> None:
        """One batch's `spilled` rows (sorted by bucket), appended to the bucket files."""
        sizes = spilled.get_column("bucket").value_counts(sort=False).sort("bucket").rows()
        table = spilled.drop("bucket").to_arrow(compat_level=pl.CompatLevel.oldest())  # text copied out
        start = 0
        for bucket, size in sizes:
            self._writer(bucket, table.schema).write_table(table.slice(start, size))
            start += size

    def _writer(self, bucket: int, schema: pa.Schema) -> pa.ipc.RecordBatchStreamWriter:
        if bucket not in self._writers:
            sink = pa.OSFile(str(self.folder / f"{bucket:02d}.arrows"), "wb")
            self._writers[bucket] = (sink, pa.ipc.new_stream(sink, schema))
        return self._writers[bucket][1]

    def duplicates(self) -> pl.DataFrame:
        """KEY_DUPLICATE issues (ROW_ISSUE_SCHEMA): every row after the first with the same key."""
        self._close_writers()
        found = []
        key = pl.struct(f"h{i}" for i in range(len(_SEEDS)))
        for path in sorted(self.folder.glob("*.arrows")):
            with pa.OSFile(str(path)) as source:  # read, not memory-mapped: mapped pages count as resident
                table = pa.ipc.open_stream(source).read_all()
            hashes = pl.from_arrow(table.select(["h0", "h1"]))  # numbers: no copy
            suspects = hashes.with_row_index().filter(pl.col("h0").is_duplicated())
            repeated = suspects.filter(key.is_duplicated()).get_column("index")
            if repeated.len():
                rows = pl.from_arrow(table.take(repeated.to_arrow()))
                first = rows.with_columns(pl.col("row").min().over(key).alias("first_row"))
                found.append(compact(first.filter(pl.col("row") != pl.col("first_row"))))
        if not found:
            return no_row_issues()
        return (
            pl.concat(found)
            .select(
                "row",
                pl.lit("KEY_DUPLICATE").alias("rule"),
                pl.lit(self.key[0]).alias("column"),
                "value",
                "first_row",
            )
            .cast(ROW_ISSUE_SCHEMA)
        )

    def _close_writers(self) -> None:
        for sink, writer in self._writers.values():
            writer.close()
            sink.close()
        self._writers.clear()

    def close(self) -> None:
        self._close_writers()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> KeyIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

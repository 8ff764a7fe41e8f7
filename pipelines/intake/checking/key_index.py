"""KEY_DUPLICATE across a whole file, in bounded memory.

For each batch, the rows with a complete key give their row number and a 128-bit hash of the
typed key (two independent 64-bit hashes, computed in the batch's own plan), appended to one of
several files on disk (buckets, one per FILE_BYTES_PER_BUCKET of the file) chosen by the hash, so
that equal keys meet in the same file; the key's cells as sent go, with the row number, to one
more file in file order. At the end each bucket file is read on its own (a bucket's share of the
hashes in memory at a time, the same whatever the file's size); rows whose key already
appeared on an earlier row are reported with that row, and their cells are picked from the
other file. Two different keys would have to agree on all 128 bits to be taken for one (about
one chance in 10^24 for a file of 20 million rows). Rows with an empty key part are not
compared (VALUE_REQUIRED reports them).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc

from pipelines.contract.issues import ROW_ISSUE_SCHEMA, no_row_issues
from pipelines.contract.model import Contract
from pipelines.intake.background import OneBehind

# About 300,000 rows and 8 MB of hashes a bucket: fewer buckets cost less (each has fixed costs),
# more keep the comparison at the end small in memory (docs/performance.md, "Figures behind the code").
FILE_BYTES_PER_BUCKET = 40 << 20
MAX_BUCKETS = 256  # a bucket's number is a UInt8
READING = 2  # buckets read and compared at once, at the end
_SEEDS = (0, 0x9E3779B97F4A7C15)  # two independent hash functions
_VALUES = "values"


def bucket_count(file_bytes: int) -> int:
    """How many buckets a file of `file_bytes` gets: one per FILE_BYTES_PER_BUCKET, at least one."""
    return max(1, min(MAX_BUCKETS, -(-file_bytes // FILE_BYTES_PER_BUCKET)))


def _read(path: Path) -> pl.DataFrame | None:
    if not path.exists():
        return None
    with pa.OSFile(str(path)) as source:  # read, not memory-mapped: mapped pages count as resident
        return pl.from_arrow(pa.ipc.open_stream(source).read_all())


class KeyIndex:
    def __init__(self, contract: Contract, file_bytes: int, scratch: Path | None = None):
        self.key = list(contract.key)
        self.buckets = bucket_count(file_bytes)
        if scratch is not None:
            scratch.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix="keys-", dir=scratch))  # raw staff ids: inside the home
        self._writers: dict[str, tuple[pa.NativeFile, pa.ipc.RecordBatchStreamWriter]] = {}
        self._adding = OneBehind("keys")

    def spilled(self, derived: pl.LazyFrame, text: dict[str, pl.Expr]) -> pl.LazyFrame:
        """What `add` takes from a batch: `derived` holds the typed key columns, `text` gives
        each column's cells as sent."""
        key = pl.struct(self.key)
        complete = pl.all_horizontal(pl.col(name).is_not_null() for name in self.key)
        hashes = [key.hash(seed).alias(f"h{i}") for i, seed in enumerate(_SEEDS)]
        return derived.filter(complete).select(
            (hashes[0] % self.buckets).cast(pl.UInt8).alias("bucket"),
            "row",
            *hashes,
            pl.concat_str([text[name] for name in self.key], separator=" / ").alias("value"),
        )

    def add(self, spilled: pl.DataFrame) -> None:
        """One batch's `spilled` rows, appended to the files by a thread of its own, one batch
        behind: its many small writes each give up the GIL, and waiting to take it back had held
        the caller's loop (and the batches it hands out) for seconds on a 5M-row file."""
        self._adding.submit(self._append, spilled)

    def _append(self, spilled: pl.DataFrame) -> None:
        values = spilled.select("row", "value").to_arrow(compat_level=pl.CompatLevel.oldest())  # text copied out
        self._writer(_VALUES, values.schema).write_table(values)
        # one thread sorts a batch's few bytes faster than the thread pool (measured with the counts)
        hashes = spilled.select("bucket", "row", *(f"h{i}" for i in range(len(_SEEDS)))).sort(
            "bucket", multithreaded=False
        )
        sizes = np.bincount(hashes.get_column("bucket").to_numpy(), minlength=self.buckets)
        table = hashes.drop("bucket").to_arrow()
        start = 0
        for bucket, size in enumerate(sizes.tolist()):
            if size:
                self._writer(f"{bucket:02d}", table.schema).write_table(table.slice(start, size))
            start += size

    def _writer(self, name: str, schema: pa.Schema) -> pa.ipc.RecordBatchStreamWriter:
        if name not in self._writers:
            sink = pa.OSFile(str(self.folder / f"{name}.arrows"), "wb")
            self._writers[name] = (sink, pa.ipc.new_stream(sink, schema))
        return self._writers[name][1]

    def duplicates(self) -> pl.DataFrame:
        """KEY_DUPLICATE issues (ROW_ISSUE_SCHEMA): every row after the first with the same key."""
        self._adding.finish()
        self._close_writers()
        with ThreadPoolExecutor(READING, thread_name_prefix="keys") as pool:  # polars releases the GIL
            found = [later for later in pool.map(self._repeated_in, range(self.buckets)) if later is not None]
        if not found:
            return no_row_issues()
        later = pl.concat(found)
        values = self._values_of(later.get_column("row"))
        return (
            later.join(values, on="row", how="left")
            .select(
                "row",
                pl.lit("KEY_DUPLICATE").alias("rule"),
                pl.lit(self.key[0]).alias("column"),
                "value",
                "first_row",
            )
            .cast(ROW_ISSUE_SCHEMA)
        )

    def _repeated_in(self, bucket: int) -> pl.DataFrame | None:
        """`row` and `first_row` of the rows of one bucket whose key appeared on an earlier row."""
        hashes = _read(self.folder / f"{bucket:02d}.arrows")
        if hashes is None:
            return None
        key = pl.struct(f"h{i}" for i in range(len(_SEEDS)))
        repeated = hashes.filter(pl.col("h0").is_duplicated()).filter(key.is_duplicated())
        if repeated.is_empty():
            return None
        first = repeated.with_columns(pl.col("row").min().over(key).alias("first_row"))
        return first.filter(pl.col("row") != pl.col("first_row")).select("row", "first_row")

    def _values_of(self, rows: pl.Series) -> pl.DataFrame:
        """The key's cells as sent of `rows`, read batch by batch from the file in file order."""
        wanted = rows.to_arrow()
        picked = []
        with pa.OSFile(str(self.folder / f"{_VALUES}.arrows")) as source:
            for batch in pa.ipc.open_stream(source):  # picked in Arrow: only those rows reach polars
                part = batch.filter(pc.is_in(batch.column("row"), value_set=wanted))
                if part.num_rows:
                    picked.append(pl.from_arrow(part))
        return pl.concat(picked)

    def _close_writers(self) -> None:
        writers, self._writers = self._writers, {}
        for sink, writer in writers.values():
            try:
                writer.close()
            finally:
                sink.close()  # even when the last flush fails: an open file keeps its space

    def close(self) -> None:
        try:
            self._adding.abandon()
            with contextlib.suppress(OSError):  # a full disk fails the last flush: the folder goes anyway
                self._close_writers()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> KeyIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

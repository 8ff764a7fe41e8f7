"""KEY_DUPLICATE across a whole file, in bounded memory.

Each batch writes to disk, for its rows with a complete key, a 64-bit hash of the typed key, the
row number, the typed key as one string and the key's cells as sent. At the end the hashes are
read back at most ROWS_PER_BUCKET at a time (by hash value) to find those seen more than once; only those
rows are read in full, and duplicates are decided on the typed key itself, so a hash collision
cannot produce a false finding. Rows with an empty key part are not compared (VALUE_REQUIRED
reports them).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polars as pl

from pipelines.contracts import Contract
from pipelines.issues import ROW_ISSUE_SCHEMA, compact, no_row_issues

ROWS_PER_BUCKET = 2_000_000  # hashes held in memory at once at the end (16 MB)
_SEPARATOR = "\x1f"  # between the parts of a key compared as one string (no cell holds it: trimmed)


class KeyIndex:
    def __init__(self, contract: Contract):
        self.contract = contract
        self.key = list(contract.key)
        self.folder = Path(tempfile.mkdtemp(prefix="ciess-keys-"))
        self.files: list[Path] = []
        self.rows = 0

    def add(self, typed: pl.DataFrame, text: pl.DataFrame) -> None:
        """`typed` and `text`: one batch, row for row (see pipelines.conversion.TypedBatch)."""
        keys = typed.select(self.key)
        complete = keys.select(pl.all_horizontal(pl.all().is_not_null())).to_series()
        spilled = pl.DataFrame(
            {
                "row": typed.get_column("row"),
                "hash": keys.hash_rows(),
                "key": keys.select(pl.concat_str(pl.all().cast(pl.String), separator=_SEPARATOR)).to_series(),
                "value": text.select(pl.concat_str(self.key, separator=" / ")).to_series(),
            }
        ).filter(complete)
        if spilled.is_empty():
            return
        self.rows += spilled.height
        path = self.folder / f"{len(self.files):06d}.arrow"
        spilled.write_ipc(path, compression="uncompressed")
        self.files.append(path)

    def duplicates(self) -> pl.DataFrame:
        """KEY_DUPLICATE issues (ROW_ISSUE_SCHEMA): every row after the first with the same key.
        The spilled files are read one at a time and copied, not memory-mapped (mapped pages would
        stay counted as the process's memory)."""
        if not self.files:
            return no_row_issues()
        buckets = -(-self.rows // ROWS_PER_BUCKET)
        repeated = []
        for bucket in range(buckets):
            hashes = pl.concat(
                [self._read(path, ["hash"]).filter(pl.col("hash") % buckets == bucket) for path in self.files]
            ).get_column("hash")
            repeated.append(hashes.filter(hashes.is_duplicated()).unique())
        candidates = pl.concat(repeated).implode()
        rows = pl.concat([compact(self._read(path).filter(pl.col("hash").is_in(candidates))) for path in self.files])
        if rows.is_empty():
            return no_row_issues()
        first = rows.with_columns(pl.col("row").min().over("key").alias("first_row"))
        return (
            first.filter(pl.col("row") != pl.col("first_row"))
            .select(
                "row",
                pl.lit("KEY_DUPLICATE").alias("rule"),
                pl.lit(self.key[0]).alias("column"),
                "value",
                "first_row",
            )
            .cast(ROW_ISSUE_SCHEMA)
        )

    @staticmethod
    def _read(path: Path, columns: list[str] | None = None) -> pl.DataFrame:
        return pl.read_ipc(path.read_bytes(), columns=columns)  # bytes: polars would map a path

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> KeyIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

"""The clear staff identifiers of an accepted version, by row: `staff_ids.parquet` beside its
receipt in the archive, private like the original file (which holds the same values).

The lake holds staff only as pseudonyms, so the next version's diff.csv, which names its rows by the
institution's own identifiers, reads a removed row's identifier here (by the row it had in this
version). Written at intake from the typed batches, in file order, to the scratch folder, and moved
into the archive only when the version is accepted."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.contract.model import Contract
from pipelines.intake.background import OneBehind

STAFF_IDS_FILE = "staff_ids.parquet"


def identifier_columns(contract: Contract) -> list[str]:
    """The key's columns that the lake pseudonymises (staff_id)."""
    return [name for name in contract.key if contract.column(name).pseudonymise]


class StaffIdsWriter:
    def __init__(self, contract: Contract, scratch: Path):
        scratch.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=scratch, prefix="staff-ids-", suffix=".parquet")
        os.close(descriptor)
        self.path = Path(name)
        self.columns = identifier_columns(contract)
        schema = pa.schema([pa.field("row", pa.int64()), *(pa.field(c, pa.string_view()) for c in self.columns)])
        self._schema = schema
        self._writer = pq.ParquetWriter(self.path, schema, compression="zstd", use_dictionary=False,
                                        write_statistics=["row"], store_schema=False)  # fmt: skip
        self._writing = OneBehind("staff-ids")

    def write(self, typed: pl.DataFrame) -> None:
        """One typed batch (`row` and the contract's columns)."""
        table = typed.select("row", *self.columns).to_arrow(compat_level=pl.CompatLevel.newest()).cast(self._schema)
        self._writing.submit(lambda: self._writer.write_table(table))

    def close(self) -> Path:
        try:
            self._writing.finish()
        finally:
            self._writer.close()
        return self.path

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
        self.path.unlink(missing_ok=True)


def staff_ids_of(path: Path, rows: pl.Series) -> pl.DataFrame | None:
    """`row` and the clear identifiers of `rows` (None when the version kept no such file: it was
    accepted before the diff existed)."""
    if not path.exists():
        return None
    return pl.scan_parquet(path).filter(pl.col("row").is_in(rows.implode())).collect()

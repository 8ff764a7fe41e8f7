"""The lake: accepted rows, typed and pseudonymised, one Parquet file per
institution x kind x period x version (hive-style folders that dbt reads as sources).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.common.home_problems import DOCTOR, HomeProblem
from pipelines.contract.model import Contract
from pipelines.intake.background import OneBehind

PSEUDONYM_SUFFIX = "_key"  # staff_id -> staff_key


def lake_file(lake_dir: Path, kind: str, period: str, institution: str, version: int) -> Path:
    return lake_dir / kind / f"period={period}" / f"institution={institution}" / f"version={version}" / "rows.parquet"


def write_empty_table(lake_dir: Path, contract: Contract) -> Path:
    """A file of no rows with the kind's lake columns, in a partition no submission can have
    (version 0): dbt's glob over the kind then always matches, and a home that holds only training
    files builds, with an empty roster. Not a `rows.parquet`, so nothing takes it for a submission."""
    path = lake_dir / contract.kind / "period=none" / "institution=none" / "version=0" / "empty.parquet"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        schema = lake_schema(contract)
        staged = path.with_suffix(".partial")
        pq.write_table(schema.empty_table(), staged)
        os.replace(staged, path)
    return path


def lake_schema(contract: Contract) -> pa.Schema:
    """The columns the warehouse reads: identifiers hashed, the file's row number kept."""
    fields = [pa.field("submission_id", pa.string()), pa.field("source_row", pa.int64())]
    for column in contract.columns:
        if column.pseudonymise:
            fields.append(pa.field(lake_column(column.name), pa.string()))
        else:
            fields.append(pa.field(column.name, _ARROW_TYPES[column.type]))
    return pa.schema(fields)


_ARROW_TYPES = {
    "text": pa.string(),
    "code": pa.string(),
    "integer": pa.int64(),
    "decimal": pa.float64(),
    "date": pa.date32(),
    "boolean": pa.bool_(),
}


def dictionary_columns(contract: Contract) -> list[str]:
    """The lake columns worth dictionary-encoding: those with few distinct values. Numbers, row
    numbers and pseudonyms are nearly all distinct within a row group, so a dictionary would be
    built only to be dropped (that cost a fifth of the writing, measured)."""
    few = [c.name for c in contract.columns if not c.pseudonymise and c.type in ("text", "code", "date", "boolean")]
    return ["submission_id", *few]


def statistics_columns(contract: Contract) -> list[str]:
    """The lake columns given min/max statistics: not free text or pseudonyms, whose ranges prune
    nothing (the lake is read by its partitions) and whose comparisons cost a sixth of the writing."""
    return ["source_row", *(c.name for c in contract.columns if not c.pseudonymise and c.type != "text")]


def lake_column(name: str) -> str:
    """staff_id -> staff_key: the name a pseudonymised column takes."""
    return name.removesuffix("_id") + PSEUDONYM_SUFFIX


def lake_rows(typed: pl.DataFrame, pseudonyms: dict[str, pl.Series], contract: Contract,
              submission_id: str) -> pl.DataFrame:  # fmt: skip
    """A batch as the lake holds it. `typed`: `row` and the contract's columns; `pseudonyms`: the
    hashed form of each pseudonymised column, row for row."""
    columns = [pl.lit(submission_id).alias("submission_id"), pl.col("row").alias("source_row")]
    for column in contract.columns:
        if column.pseudonymise:
            columns.append(pl.lit(pseudonyms[column.name]).alias(lake_column(column.name)))
        else:
            columns.append(pl.col(column.name))
    return typed.select(columns)


class StagedRows:
    """Accepted rows written batch by batch to a staging file in the lake; `publish_staged` moves
    it into place once the submission has its version. Each batch is encoded and written by a
    thread of its own while the next one is prepared; at most one batch waits."""

    def __init__(self, lake_dir: Path, contract: Contract, submission_id: str):
        staging = lake_dir / ".staging"
        staging.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=staging, suffix=".parquet")
        os.close(descriptor)
        self.path = Path(name)
        self.contract, self.submission_id = contract, submission_id
        # polars hands text over as string views without a copy: written as they are, without the
        # Arrow schema that would make readers take them as views (converting them to Arrow's
        # plain strings cost a fifth of the writing, measured)
        self.schema = pa.schema(
            [
                field.with_type(pa.string_view()) if field.type == pa.string() else field
                for field in lake_schema(contract)
            ]
        )
        self._writer = pq.ParquetWriter(
            self.path,
            self.schema,
            compression="zstd",
            use_dictionary=dictionary_columns(contract),
            write_statistics=statistics_columns(contract),
            store_schema=False,
        )
        self._writing = OneBehind("lake-writer")

    def write(self, rows: pl.DataFrame) -> None:
        """One batch in its lake form (`lake_rows`)."""
        arrow = rows.to_arrow(compat_level=pl.CompatLevel.newest()).cast(self.schema)
        self._writing.submit(lambda: self._writer.write_table(arrow))

    def close(self) -> Path:
        try:
            self._writing.finish()  # a failed write raises here
        finally:
            self._writer.close()
        return self.path

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
        self.path.unlink(missing_ok=True)


def publish_staged(staged: Path, final: Path) -> None:
    """Move the staged file to its place in the lake, which is never overwritten: a file already
    there (left by a crash, or a ledger put back from an older copy) stops the decision."""
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(staged, final)
    except FileExistsError:
        raise HomeProblem(
            f"the lake already holds {final}, which the ledger does not know; nothing was taken in; {DOCTOR}"
        ) from None
    os.unlink(staged)

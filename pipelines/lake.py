"""The lake: accepted rows, typed and pseudonymised, one Parquet file per
institution x kind x period x version (hive-style folders that dbt reads as sources).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.contracts import Contract
from pipelines.pseudonym import pseudonymise

PSEUDONYM_SUFFIX = "_key"  # staff_id -> staff_key


def lake_file(lake_dir: Path, kind: str, period: str, institution: str, version: int) -> Path:
    return lake_dir / kind / f"period={period}" / f"institution={institution}" / f"version={version}" / "rows.parquet"


def pseudonymised_frame(typed: pd.DataFrame, contract: Contract, key: bytes, submission_id: str) -> pd.DataFrame:
    """The rows as the warehouse keeps them: identifiers hashed, dates as dates, the row number kept."""
    frame = pd.DataFrame({"submission_id": submission_id, "source_row": typed.index.astype("int64")})
    for column in contract.columns:
        values = typed[column.name].reset_index(drop=True)
        if column.pseudonymise:
            name = column.name.removesuffix("_id") + PSEUDONYM_SUFFIX
            frame[name] = pseudonymise(key, values.astype(str).tolist())
        elif column.type == "date":
            frame[column.name] = values.dt.date
        else:
            frame[column.name] = values
    return frame


def write_staged(frame: pd.DataFrame, lake_dir: Path) -> Path:
    """Write to a staging file in the lake; `publish_staged` moves it into place once versioned."""
    staging = lake_dir / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=staging, suffix=".parquet")
    os.close(descriptor)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), name, compression="zstd")
    return Path(name)


def publish_staged(staged: Path, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, final)


def read_keys(path: Path, column: str = "staff_key") -> set[str]:
    return set(pq.read_table(path, columns=[column]).column(column).to_pylist())

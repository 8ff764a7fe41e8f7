"""The contracts' code labels in the lake, where dbt reads them (the source `lake.code_labels`,
staged and published as the mart `code_labels`): one Parquet file, replaced whole at every build."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.common.atomic import replace_with
from pipelines.common.settings import Settings
from pipelines.contract.labels import code_labels

CODE_LABELS_SCHEMA = pa.schema(
    [("code_list", pa.string()), ("code", pa.string()), ("lang", pa.string()), ("label", pa.string())]
)


def code_labels_export(settings: Settings) -> Path:
    return settings.lake_dir / "_labels" / "code_labels.parquet"


def export_code_labels(path: Path) -> int:
    """Write every code label of the contracts to `path` (atomic replace); the number of rows."""
    rows = code_labels()
    table = pa.table(
        {name: [getattr(row, name) for row in rows] for name in CODE_LABELS_SCHEMA.names}, schema=CODE_LABELS_SCHEMA
    )
    replace_with(path, lambda temporary: pq.write_table(table, temporary))
    return len(rows)

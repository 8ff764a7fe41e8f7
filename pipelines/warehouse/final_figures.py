"""The final figures of a locked period (spec cycle.md: "Locking a period and its final figures"):
the rows of each capacity mart for that period as published when it was locked, kept once per
revision under $CIESS_HOME/final/<mart>/period=<P>/revision=<N>/rows.parquet and never rewritten.
dbt publishes them as the `final_<mart>` marts (models/marts/final/), whatever is built later."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.common.atomic import write_once_with
from pipelines.common.settings import Settings
from pipelines.warehouse import databases

FINAL_MARTS = ("capacity_by_institution", "capacity_by_country", "capacity_by_subregion", "capacity_americas")


def final_dir(settings: Settings) -> Path:
    return settings.home / "final"


def revision_file(settings: Settings, mart: str, period: str, revision: int) -> Path:
    return final_dir(settings) / mart / f"period={period}" / f"revision={revision}" / "rows.parquet"


def published_versions(settings: Settings, period: str) -> set[tuple[str, str, int]]:
    """(institution, kind, version) of every current version the published marts hold for `period`."""
    with duckdb.connect(str(databases.published_database(settings)), read_only=True) as connection:
        rows = connection.execute(
            "select institution_code, staffing_version, training_version from marts.return_status where period = ?",
            [period],
        ).fetchall()
    held = set()
    for institution, staffing, training in rows:
        held |= {(institution, kind, version) for kind, version in (("staffing", staffing), ("training", training))
                 if version is not None}  # fmt: skip
    return held


def keep(settings: Settings, period: str, revision: int, locked_at: str) -> dict[str, int]:
    """Write revision `revision` of the period's final figures from the published marts; rows per mart.
    The rows say `data_status` final: that is what they are from now on."""
    kept = {}
    with duckdb.connect(str(databases.published_database(settings)), read_only=True) as connection:
        for mart in FINAL_MARTS:
            target = revision_file(settings, mart, period, revision)
            target.parent.mkdir(parents=True, exist_ok=True)
            select = (
                f"select * replace ('final' as data_status), cast(? as bigint) as revision, "
                f"cast(? as timestamp) as locked_at from marts.{mart} where period = ?"
            )
            relation = connection.execute(select, [revision, locked_at.rstrip("Z"), period])
            table = relation.to_arrow_table()
            kept[mart] = table.num_rows

            def write(temporary: Path, table=table) -> None:
                import pyarrow.parquet as pq

                pq.write_table(table, temporary)

            write_once_with(target, write)
    return kept

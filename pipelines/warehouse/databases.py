"""The build and the published databases: where they are, the publish step (write, audit, publish),
and read-only queries.

dbt builds into the build database, which only the pipeline opens. When every dbt test and every
Great Expectations check has passed, the build's marts are copied beside the published database
and switched in with one rename, so analysts (read-only) never see a half-built or failed build and
never block the pipeline. Which marts are published is the dbt project's meta `published`, read
from dbt's manifest (`catalog.published_marts()`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.common.atomic import replace_text
from pipelines.common.settings import Settings
from pipelines.warehouse import catalog


class NothingPublished(Exception):
    """No build has been published yet: there is nothing to query."""


def warehouse_dir(settings: Settings) -> Path:
    return settings.home / "warehouse"


def build_database(settings: Settings) -> Path:
    return warehouse_dir(settings) / "build.duckdb"


def published_database(settings: Settings) -> Path:
    return warehouse_dir(settings) / "published.duckdb"


def ledger_export(settings: Settings) -> Path:
    return settings.lake_dir / "_ledger" / "submissions.parquet"


def dbt_vars(settings: Settings) -> dict[str, str | int]:
    """What dbt needs of the settings, passed as `--vars` (profiles.yml and the lake sources read them)."""
    return {"ciess_home": str(settings.home), "deadline_days": settings.deadline_days}


def mart_counts(database: Path) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return {
            name: connection.execute(f"select count(*) from marts.{name}").fetchall()[0][0]
            for name in catalog.published_marts()
        }


def publish(settings: Settings) -> Path:
    """Copy the checked marts and switch them in atomically; the previous copy stays intact until then.

    Only the published marts are (meta `published` in the dbt project): the build database also
    holds the current rows of every submission (the incremental models), which analysts do not
    query and a copy would have to move at every build."""
    source = build_database(settings)
    target = published_database(settings)
    staging = target.with_name(f".{target.name}.{os.getpid()}.incoming")
    staging.unlink(missing_ok=True)
    with duckdb.connect(str(staging)) as connection:
        quoted = str(source).replace("'", "''")
        connection.execute(f"attach '{quoted}' as build (read_only)")
        connection.execute("create schema marts")
        for name in catalog.published_marts():
            connection.execute(f'create table marts."{name}" as select * from build.marts."{name}"')
        connection.execute("detach build")
        connection.execute("checkpoint")
    with duckdb.connect(str(staging), read_only=True) as connection:  # the copy opens and holds the marts
        connection.execute("select count(*) from marts.capacity_americas").fetchall()
    os.replace(staging, target)
    replace_text(
        warehouse_dir(settings) / "published.json",
        json.dumps({"published": str(target), "marts": mart_counts(target)}, indent=2) + "\n",
    )
    return target


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]


def query(settings: Settings, sql: str) -> QueryResult:
    """Run SQL read-only against the published marts (never the build database)."""
    database = published_database(settings)
    if not database.exists():
        raise NothingPublished(f"no published warehouse in {warehouse_dir(settings)}; run `ciess build` first")
    config = {"enable_external_access": False}  # analysts read the marts, not the file system
    with duckdb.connect(str(database), read_only=True, config=config) as connection:
        connection.execute("use marts")
        cursor = connection.execute(sql)
        columns = [item[0] for item in cursor.description] if cursor.description else []
        return QueryResult(columns=columns, rows=cursor.fetchall() if columns else [])

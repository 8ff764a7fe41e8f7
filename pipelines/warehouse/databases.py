"""The build and the published databases: where they are, and the publish step (write, audit,
publish). Queries on the published marts are `pipelines.warehouse.queries`.

dbt builds into the build database, which only the pipeline opens. When every dbt test and every
Great Expectations check has passed, the build's marts are copied beside the published database
and switched in with one rename, so analysts (read-only) never see a half-built or failed build and
never block the pipeline. Which marts are published is the dbt project's meta `published`, read
from dbt's manifest (`catalog.published_marts()`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from pipelines.common.atomic import replace_text
from pipelines.common.settings import Settings
from pipelines.warehouse import catalog


class NothingPublished(Exception):
    """No build has been published yet, or what was published cannot be read: nothing to query."""


def open_published(settings: Settings, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published marts; NothingPublished, saying what to do, when
    there are none or the file is damaged (a disk that failed, a hand that truncated it)."""
    database = published_database(settings)
    if not database.exists():
        raise NothingPublished(f"no published warehouse in {warehouse_dir(settings)}; run `ciess build` first")
    try:
        return duckdb.connect(str(database), read_only=True, config=config or {})
    except duckdb.Error as error:
        raise NothingPublished(
            f"the published warehouse {database} cannot be read ({str(error).splitlines()[0]}); run `ciess build` "
            "to publish it again from the lake (nothing else is lost)"
        ) from error


def warehouse_dir(settings: Settings) -> Path:
    return settings.home / "warehouse"


def build_database(settings: Settings) -> Path:
    return warehouse_dir(settings) / "build.duckdb"


def published_database(settings: Settings) -> Path:
    return warehouse_dir(settings) / "published.duckdb"


def ledger_export(settings: Settings) -> Path:
    return settings.lake_dir / "_ledger" / "submissions.parquet"


def diffs_export(settings: Settings) -> Path:
    """The ledger's resubmission diffs (counts only), where dbt reads them."""
    return settings.lake_dir / "_ledger" / "submission_diffs.parquet"


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
    """Copy the checked marts, with their descriptions (table and column comments), and switch them
    in atomically; the previous copy stays intact until then.

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
            _copy_comments(connection, name)
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


def _copy_comments(connection: duckdb.DuckDBPyConnection, name: str) -> None:
    """Give the copy of mart `name` the comments of the build's table and columns: the descriptions
    of the marts' yml, which dbt writes there (`persist_docs` in dbt_project.yml), and which
    `create table ... as select` does not carry over. Analysts read them in `duckdb_tables()` and
    `duckdb_columns()` of the published database."""
    where = "database_name = 'build' and schema_name = 'marts' and table_name = ?"
    table = connection.execute(f"select comment from duckdb_tables() where {where}", [name]).fetchall()
    columns = connection.execute(
        f"select column_name, comment from duckdb_columns() where {where} order by column_index", [name]
    ).fetchall()
    if table and table[0][0]:
        connection.execute(f"comment on table marts.{_identifier(name)} is {_literal(table[0][0])}")
    for column, comment in columns:
        if comment:
            target = f"marts.{_identifier(name)}.{_identifier(column)}"
            connection.execute(f"comment on column {target} is {_literal(comment)}")


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

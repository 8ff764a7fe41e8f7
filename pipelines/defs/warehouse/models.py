"""The dbt models, seeds and tests as assets and asset checks (`dbt build`, streamed)."""

import json

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.defs.resources import CiessHome, warehouse_dbt_project
from pipelines.defs.warehouse.translator import WarehouseTranslator
from pipelines.warehouse import databases


class DbtBuildConfig(dg.Config):
    """The incremental models (institution x period slots) take in only what changed since the last
    build; a full refresh rebuilds them from every current version in the lake (same result)."""

    full_refresh: bool = False


@dg.definitions
def dbt_models() -> dg.Definitions:
    project = warehouse_dbt_project()

    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=WarehouseTranslator())
    def warehouse_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, ciess: CiessHome, config: DbtBuildConfig
    ):
        settings = ciess.settings()
        databases.warehouse_dir(settings).mkdir(parents=True, exist_ok=True)
        # Unit tests check the KPI formulas, not the data: `make test` runs them, a build does not.
        args = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(databases.dbt_vars(settings))]
        args += ["--full-refresh"] if config.full_refresh else []
        # dbt's files (manifest, compiled SQL, partial parse) go to the home, one folder reused build
        # after build: the next build parses only what changed, and nothing piles up in the project.
        target = databases.warehouse_dir(settings) / "dbt"
        yield from dbt.cli(args, context=context, target_path=target).stream()

    return dg.Definitions(assets=[warehouse_models])

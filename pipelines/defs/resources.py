"""The resources every asset gets: the home folder (`ciess`) and dbt (`dbt`).

Both are made when Dagster loads the definitions, not at import: the home folder is read from
$CIESS_HOME (or the resource's config) when a run starts, and dbt is the virtualenv's own
executable (started through `ciess-dbt`, so it dies with the build), so nothing depends on PATH.
"""

import sys
from functools import cache
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject

from pipelines.common.paths import DBT_PROJECT_DIR
from pipelines.common.settings import Settings


class CiessHome(dg.ConfigurableResource):
    """The home folder; empty means $CIESS_HOME or ./data, read when a run starts, not at import."""

    home: str = ""

    def settings(self) -> Settings:
        return Settings.from_env(self.home or None)


@cache
def warehouse_dbt_project() -> DbtProject:
    """The dbt project, made once (it reads target/manifest.json, which `make install` writes)."""
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The virtualenv's dbt, whatever PATH says, through `ciess-dbt`, which ends it with the build."""
    return str(Path(sys.executable).with_name("ciess-dbt"))


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "ciess": CiessHome(),
            "dbt": DbtCliResource(
                project_dir=warehouse_dbt_project(), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
            ),
        }
    )

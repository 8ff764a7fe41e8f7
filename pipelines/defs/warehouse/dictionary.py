"""The data dictionary (`dbt docs generate --static`), checked after every publish and made again
when the dbt project changed."""

import tempfile
import time
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.defs.resources import CiessHome
from pipelines.warehouse import dictionary


@dg.asset(
    deps=[dg.AssetKey("published_warehouse")],
    group_name="marts",
    description="dbt's documentation of the warehouse as one offline HTML file (models, columns, lineage), "
    "for the operator (the portal links it) and analysts.",
)
def data_dictionary(dbt: DbtCliResource, ciess: CiessHome) -> dg.MaterializeResult:
    settings = ciess.settings()
    started = time.perf_counter()
    if dictionary.up_to_date(settings):
        path = dictionary.dictionary_path(settings)
        return dg.MaterializeResult(
            metadata={"path": dg.MetadataValue.path(str(path)), "remade": False, "bytes": path.stat().st_size}
        )
    # Not inside @dbt_assets: no context (dagster-dbt would look for the dbt assets' manifest in it).
    # dbt writes into a folder of its own, removed afterwards: the page is copied out of it.
    with tempfile.TemporaryDirectory(prefix="ciess-dbt-docs-") as target:
        invocation = dbt.cli(dictionary.docs_generate_args(settings), target_path=Path(target))
        invocation.wait()
        path = dictionary.install(invocation.target_path, settings)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "remade": True,
            "bytes": path.stat().st_size,
            "seconds": round(time.perf_counter() - started, 1),
        }
    )

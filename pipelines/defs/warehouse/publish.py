"""The publish step and the job that runs the whole build (`ciess build` runs the same job)."""

import dagster as dg

from pipelines.defs.resources import CiessHome
from pipelines.warehouse import catalog, databases


@dg.asset(
    deps=[dg.AssetKey(["marts", name]) for name in catalog.published_marts()],
    group_name="marts",
    description="The checked build, switched in atomically as the read-only database analysts query.",
)
def published_warehouse(ciess: CiessHome) -> dg.MaterializeResult:
    settings = ciess.settings()
    path = databases.publish(settings)
    counts = databases.mart_counts(path)
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(path)), **{f"rows_{k}": v for k, v in counts.items()}}
    )


warehouse_build = dg.define_asset_job(
    "warehouse_build",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("reports"),
    description="Bring every accepted submission into the warehouse, check the marts, publish them.",
)

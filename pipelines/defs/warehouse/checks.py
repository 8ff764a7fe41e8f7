"""The Great Expectations suites on the marts, as blocking asset checks (`pipelines.warehouse.plausibility`)."""

import dagster as dg

from pipelines.defs.resources import CiessHome
from pipelines.warehouse import catalog, databases, plausibility


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec("plausibility", asset=["marts", name], blocking=True, description="Great Expectations suite")
        for name in catalog.checked_marts()
    ],
)
def marts_plausibility(context: dg.AssetCheckExecutionContext, ciess: CiessHome):
    settings = ciess.settings()
    for check in plausibility.check_marts(settings, databases.build_database(settings), catalog.checked_marts()):
        yield dg.AssetCheckResult(
            asset_key=["marts", check.mart],
            check_name="plausibility",
            passed=check.success,
            metadata={
                "expectations": check.evaluated,
                "failures": "\n".join(check.failures) or "none",
                "data_docs": dg.MetadataValue.path(str(plausibility.data_docs_index(settings))),
            },
        )

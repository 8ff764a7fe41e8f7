"""The one entry point Dagster loads (workspace.yaml). Thin: assets call the pure modules."""

import dagster as dg

from pipelines.ledger import Ledger
from pipelines.settings import Settings


class CiessHome(dg.ConfigurableResource):
    """The home folder; empty means $CIESS_HOME or ./data, read when a run starts, not at import."""

    home: str = ""

    def settings(self) -> Settings:
        return Settings.from_env(self.home or None)


@dg.asset(
    group_name="intake", description="Current accepted submissions in the lake, one per institution x kind x period."
)
def current_submissions(context: dg.AssetExecutionContext, ciess: CiessHome) -> dg.MaterializeResult:
    settings = ciess.settings()
    settings.ensure()
    current = Ledger(settings.ledger_path).current_versions()
    by_kind = {kind: sum(1 for row in current if row.kind == kind) for kind in ("staffing", "training")}
    context.log.info(f"{len(current)} current submissions in {settings.lake_dir}")
    return dg.MaterializeResult(
        metadata={
            "current_submissions": len(current),
            "staffing_files": by_kind["staffing"],
            "training_files": by_kind["training"],
            "rows": sum(row.rows for row in current),
            "periods": ", ".join(sorted({row.period for row in current})),
            "lake": dg.MetadataValue.path(str(settings.lake_dir)),
        }
    )


defs = dg.Definitions(assets=[current_submissions], resources={"ciess": CiessHome()})

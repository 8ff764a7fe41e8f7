"""The lake as Dagster sees it: one asset per lake table, and each accepted submission recorded
as a materialisation of its kind's table, with its institution, period and version, whichever way
it came in (`ciess submit`, the portal, the inbox). Beside the submissions, the lake holds the
contracts' code labels (`lake/code_labels`), written again at every build."""

import dagster as dg

from pipelines.contract.model import KINDS, load_contract
from pipelines.cycle.export import export_cycle
from pipelines.defs.resources import CiessHome
from pipelines.intake.storing.code_labels import code_labels_export, export_code_labels
from pipelines.intake.storing.lake import write_empty_table
from pipelines.intake.storing.ledger import Ledger
from pipelines.warehouse import databases

LAKE_TABLES = {
    **{kind: f"Lake table `{kind}` as the intake wrote it." for kind in KINDS},
    "submissions": "Lake table `submissions`: the ledger, exported for dbt.",
    "submission_diffs": "Lake table `_ledger/submission_diffs`: what each later accepted version changed (counts).",
    "code_labels": "Lake table `code_labels`: the contracts' codes and kinds with their labels in en/es/pt/fr.",
    "cycle_events": "Lake table `_cycle/cycle_events`: the reporting cycle's audit log, exported for dbt.",
    "return_states": "Lake table `_cycle/return_states`: the state of every expected return (pipelines/cycle).",
    "period_locks": "Lake table `_cycle/period_locks`: every period, open or locked, and its final revisions.",
}
EVENTS_PER_TICK = 500  # a sensor tick reports at most this many submissions; the next tick goes on


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["lake", name], group_name="intake", description=description)
        for name, description in LAKE_TABLES.items()
    ],
    description="Accepted submissions in the lake (current versions), the ledger and the contracts' code labels "
    "exported for dbt.",
)
def lake(context: dg.AssetExecutionContext, ciess: CiessHome):
    settings = ciess.settings()
    settings.ensure()
    ledger = Ledger.of(settings)
    submissions = ledger.export_parquet(databases.ledger_export(settings))
    diffs = ledger.export_diffs_parquet(databases.diffs_export(settings))
    labels = export_code_labels(code_labels_export(settings))
    cycle = export_cycle(settings)
    current = ledger.current_versions()
    for kind in KINDS:
        write_empty_table(settings.lake_dir, load_contract(kind))
        rows = [row for row in current if row.kind == kind]
        yield dg.MaterializeResult(
            asset_key=["lake", kind],
            metadata={"current_submissions": len(rows), "rows": sum(row.rows for row in rows)},
        )
    yield dg.MaterializeResult(asset_key=["lake", "submissions"], metadata={"submissions": submissions})
    yield dg.MaterializeResult(asset_key=["lake", "submission_diffs"], metadata={"diffs": diffs})
    yield dg.MaterializeResult(asset_key=["lake", "code_labels"], metadata={"labels": labels})
    for name, rows in cycle.items():
        yield dg.MaterializeResult(asset_key=["lake", name], metadata={"rows": rows})
    context.log.info(f"{len(current)} current submissions, {submissions} in the ledger")


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def accepted_submissions_sensor(context: dg.SensorEvaluationContext, ciess: CiessHome):
    """Every accepted submission written in the ledger since the last tick becomes a materialisation of
    `lake/<kind>` (the intake itself knows nothing of Dagster; the ledger is where it says what it did)."""
    settings = ciess.settings()
    if not settings.ledger.has_table("submissions"):
        return dg.SkipReason(f"no ledger yet in {settings.home}")
    ledger = Ledger.of(settings)
    position = int(context.cursor or 0)
    if position > ledger.last_position():  # a ledger made anew (a new demo home): start from its beginning
        position = 0
    found = ledger.accepted_since(position, EVENTS_PER_TICK)
    if not found:
        return dg.SkipReason("no submission accepted since the last tick")
    return dg.SensorResult(
        asset_events=[lake_event(row) for _, row in found],
        cursor=str(found[-1][0]),
    )


def lake_event(row) -> dg.AssetMaterialization:
    return dg.AssetMaterialization(
        asset_key=["lake", row.kind],
        description=f"{row.institution} {row.period} version {row.version} ({row.status})",
        metadata={
            "institution": row.institution,
            "period": row.period,
            "version": row.version,
            "rows": row.rows,
            "warnings": row.warnings,
            "submission_id": row.submission_id,
            "received_at": row.received_at,
            "lake_file": dg.MetadataValue.path(row.lake_path or ""),
        },
    )

"""The one entry point Dagster loads (workspace.yaml). Thin: every asset calls the pure modules.

intake (lake/staffing, lake/training, lake/submissions) -> dbt models (dagster-dbt, `dbt build`
with its tests as asset checks) -> Great Expectations checks on the marts (blocking) -> publish.
The inbox sensor runs dropped files through the same `intake.submit` as `ciess submit`.
"""

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.common.paths import DBT_PROJECT_DIR
from pipelines.common.periods import Period, period_of
from pipelines.common.registry import subregions
from pipelines.common.settings import Settings
from pipelines.intake.storing.ledger import Ledger
from pipelines.intake.submission import submit
from pipelines.reports.data import AMERICAS
from pipelines.reports.regional import produce
from pipelines.warehouse import plausibility as quality
from pipelines.warehouse import store as warehouse

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
CHECKED_MARTS = ("capacity_by_institution", "capacity_by_country", "capacity_by_subregion", "capacity_americas",
                 "submission_compliance")  # fmt: skip
LAKE_TABLES = ("staffing", "training", "submissions")


class CiessHome(dg.ConfigurableResource):
    """The home folder; empty means $CIESS_HOME or ./data, read when a run starts, not at import."""

    home: str = ""

    def settings(self) -> Settings:
        return Settings.from_env(self.home or None)


class WarehouseTranslator(DagsterDbtTranslator):
    """Models and seeds are keyed by their schema (staging, intermediate, marts, reference)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "intake"
        return "marts" if dbt_resource_props.get("schema") == "marts" else "warehouse"


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["lake", name], group_name="intake", description=f"Lake table `{name}` as the intake wrote it.")
        for name in LAKE_TABLES
    ],
    description="Accepted submissions in the lake (current versions) and the ledger exported for dbt.",
)
def lake(context: dg.AssetExecutionContext, ciess: CiessHome):
    settings = ciess.settings()
    settings.ensure()
    ledger = Ledger(settings.ledger_path)
    submissions = ledger.export_parquet(warehouse.ledger_export(settings))
    current = ledger.current_versions()
    for kind in ("staffing", "training"):
        rows = [row for row in current if row.kind == kind]
        yield dg.MaterializeResult(
            asset_key=["lake", kind],
            metadata={"current_submissions": len(rows), "rows": sum(row.rows for row in rows)},
        )
    yield dg.MaterializeResult(asset_key=["lake", "submissions"], metadata={"submissions": submissions})
    context.log.info(f"{len(current)} current submissions, {submissions} in the ledger")


class DbtBuildConfig(dg.Config):
    """The incremental models (institution x period slots) take in only what changed since the last
    build; a full refresh rebuilds them from every current version in the lake (same result)."""

    full_refresh: bool = False


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=WarehouseTranslator())
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, ciess: CiessHome, config: DbtBuildConfig):
    os.environ.update(warehouse.dbt_environment(ciess.settings()))
    # Unit tests check the KPI formulas, not the data: `make test` runs them, a build does not.
    args = ["build", "--exclude-resource-type", "unit_test", *(["--full-refresh"] if config.full_refresh else [])]
    yield from dbt.cli(args, context=context).stream()


MART_KEYS = [dg.AssetKey(["marts", name]) for name in CHECKED_MARTS]


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec("plausibility", asset=key, blocking=True, description="Great Expectations suite")
        for key in MART_KEYS
    ],
)
def marts_plausibility(context: dg.AssetCheckExecutionContext, ciess: CiessHome):
    settings = ciess.settings()
    for check in quality.check_marts(settings, warehouse.build_database(settings), CHECKED_MARTS):
        yield dg.AssetCheckResult(
            asset_key=["marts", check.mart],
            check_name="plausibility",
            passed=check.success,
            metadata={
                "expectations": check.evaluated,
                "failures": "\n".join(check.failures) or "none",
                "data_docs": dg.MetadataValue.path(str(quality.data_docs_index(settings))),
            },
        )


@dg.asset(
    deps=[dg.AssetKey(["marts", name]) for name in warehouse.MART_NAMES],
    group_name="marts",
    description="The checked build, switched in atomically as the read-only database analysts query.",
)
def published_warehouse(ciess: CiessHome) -> dg.MaterializeResult:
    settings = ciess.settings()
    path = warehouse.publish(settings)
    counts = warehouse.mart_counts(path)
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(path)), **{f"rows_{k}": v for k, v in counts.items()}}
    )


warehouse_build = dg.define_asset_job(
    "warehouse_build",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets("regional_reports"),
    description="Bring every accepted submission into the warehouse, check the marts, publish them.",
)


REPORT_QUARTERS = [str(Period(year, quarter)) for year in range(2020, 2036) for quarter in range(1, 5)]
REPORT_PARTITIONS = dg.MultiPartitionsDefinition(
    {
        "period": dg.StaticPartitionsDefinition(REPORT_QUARTERS),
        "region": dg.StaticPartitionsDefinition([AMERICAS, *sorted(subregions())]),
    }
)


@dg.asset(
    partitions_def=REPORT_PARTITIONS,
    deps=[published_warehouse],
    group_name="reports",
    description="Regional summary of one quarter for one subregion (or the Americas): HTML and PDF in en/es/pt/fr.",
)
def regional_reports(context: dg.AssetExecutionContext, ciess: CiessHome) -> dg.MaterializeResult:
    keys = context.partition_key.keys_by_dimension
    settings = ciess.settings()
    files = produce(settings, Period.parse(keys["period"]), only_geos=[keys["region"]], progress=context.log.info)
    return dg.MaterializeResult(
        metadata={
            "files": "\n".join(f"{f.html}\n{f.pdf}" for f in files),
            "index": dg.MetadataValue.path(str(settings.home / "reports" / "index.html")),
        }
    )


regional_reports_job = dg.define_asset_job(
    "regional_reports_job",
    selection=[regional_reports],
    partitions_def=REPORT_PARTITIONS,
    description="Produce the regional summaries of one quarter (backfill any past quarter from the UI).",
)


def quarter_due(today, deadline_days: int) -> Period | None:
    """The quarter whose reports are due: the last closed one, once its deadline has passed."""
    closed = period_of(today).previous()
    return closed if today > closed.deadline(deadline_days) else None


@dg.schedule(cron_schedule="0 6 * * *", job=regional_reports_job, default_status=dg.DefaultScheduleStatus.RUNNING)
def quarterly_reports_schedule(context: dg.ScheduleEvaluationContext, ciess: CiessHome):
    """Every morning: once the closed quarter's deadline (45 days, configurable) has passed, its reports."""
    today = context.scheduled_execution_time.date()
    due = quarter_due(today, ciess.settings().deadline_days)
    if due is None:
        return dg.SkipReason(f"the deadline of {period_of(today).previous()} has not passed yet")
    return [
        dg.RunRequest(
            run_key=f"reports-{due}-{region}",
            partition_key=dg.MultiPartitionKey({"period": str(due), "region": region}),
        )
        for region in REPORT_PARTITIONS.get_partitions_def_for_dimension("region").get_partition_keys()
    ]


class InboxFile(dg.Config):
    path: str
    institution: str
    kind: str
    period: str


@dg.op(description="Submit one file from the inbox through the intake, then move it out of the inbox.")
def submit_inbox_file(context: dg.OpExecutionContext, config: InboxFile, ciess: CiessHome) -> None:
    settings = ciess.settings()
    path = Path(config.path)
    if not path.exists():
        context.log.info(f"{path} is gone (already taken in)")
        return
    result = submit(path, config.institution, config.kind, config.period, settings, original_name=path.name)
    done = settings.inbox_dir / ".processed" / config.institution / config.kind / config.period
    done.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path), done / f"{result.receipt['submission_id']}-{path.name}")
    context.log.info(f"{path.name}: {result.status} (receipt {result.receipt_path})")


@dg.job(description="Take in one file dropped in the inbox (the same intake as `ciess submit`).")
def inbox_intake():
    submit_inbox_file()


def inbox_files(inbox: Path) -> list[tuple[Path, str, str, str]]:
    """Files laid out as inbox/<institution>/<kind>/<period>/<file>."""
    found = []
    if not inbox.exists():
        return found
    for path in sorted(inbox.glob("*/*/*/*")):
        relative = path.relative_to(inbox).parts
        if path.is_file() and not relative[0].startswith(".") and not path.name.startswith("."):
            found.append((path, relative[0], relative[1], relative[2]))
    return found


@dg.sensor(job=inbox_intake, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def inbox_sensor(context: dg.SensorEvaluationContext, ciess: CiessHome):
    """Files dropped in $CIESS_HOME/inbox/<institution>/<kind>/<period>/ are submitted."""
    for path, institution, kind, period in inbox_files(ciess.settings().inbox_dir):
        stat = path.stat()
        yield dg.RunRequest(
            run_key=f"{path}:{stat.st_size}:{stat.st_mtime_ns}",
            run_config={
                "ops": {
                    "submit_inbox_file": {
                        "config": {"path": str(path), "institution": institution, "kind": kind, "period": period}
                    }
                }
            },
            tags={"institution": institution, "kind": kind, "period": period},
        )


def dbt_resource() -> DbtCliResource:
    executable = shutil.which("dbt") or str(Path(os.sys.executable).with_name("dbt"))
    return DbtCliResource(project_dir=DBT_PROJECT, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=executable)


defs = dg.Definitions(
    assets=[lake, warehouse_models, published_warehouse, regional_reports],
    asset_checks=[marts_plausibility],
    jobs=[warehouse_build, inbox_intake, regional_reports_job],
    sensors=[inbox_sensor],
    schedules=[quarterly_reports_schedule],
    resources={"ciess": CiessHome(), "dbt": dbt_resource()},
)

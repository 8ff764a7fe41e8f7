"""The regional summaries as a partitioned asset, their job and their schedule (`pipelines.reports.regional`)."""

import dagster as dg

from pipelines.common.periods import period_of, quarter_due
from pipelines.defs.reports.partitions import REPORT_PARTITIONS, period_of_key, quarter_key
from pipelines.defs.resources import CiessHome
from pipelines.reports.regional import produce, reports_dir
from pipelines.warehouse.instance import POOL_TAG, REPORTS_POOL


@dg.asset(
    partitions_def=REPORT_PARTITIONS,
    deps=["published_warehouse"],
    group_name="reports",
    description="Regional summary of one quarter for one subregion (or the Americas): HTML and PDF in en/es/pt/fr.",
)
def regional_reports(context: dg.AssetExecutionContext, ciess: CiessHome) -> dg.MaterializeResult:
    keys = context.partition_key.keys_by_dimension
    settings = ciess.settings()
    period = period_of_key(keys["period"])
    files = produce(settings, period, only_geos=[keys["region"]], progress=context.log.info)
    return dg.MaterializeResult(
        metadata={
            "period": str(period),
            "files": "\n".join(f"{f.html}\n{f.pdf}" for f in files),
            "index": dg.MetadataValue.path(str(reports_dir(settings) / "index.html")),
        }
    )


regional_reports_job = dg.define_asset_job(
    "regional_reports_job",
    tags={POOL_TAG: REPORTS_POOL},  # in parallel up to the core count (pipelines/warehouse/instance.py)
    selection=[regional_reports],
    partitions_def=REPORT_PARTITIONS,
    description="Produce the regional summaries of one quarter (backfill any past quarter from the UI).",
)


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
            partition_key=dg.MultiPartitionKey({"period": quarter_key(due), "region": region}),
        )
        for region in REPORT_PARTITIONS.get_partitions_def_for_dimension("region").get_partition_keys()
    ]

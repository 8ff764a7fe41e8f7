"""The institutions' feedback reports as an asset partitioned by quarter x institution, and the
sensor that asks for them when the cycle calls for them (`pipelines.reports.feedback`)."""

import dagster as dg

from pipelines.common.periods import Period
from pipelines.defs.reports.partitions import FEEDBACK_PARTITIONS, period_of_key, quarter_key
from pipelines.defs.resources import CiessHome
from pipelines.reports.feedback import feedback_dir, feedback_due, produce_feedback
from pipelines.warehouse.instance import POOL_TAG, REPORTS_POOL


@dg.asset(
    partitions_def=FEEDBACK_PARTITIONS,
    deps=["published_warehouse"],
    group_name="reports",
    description="Feedback report of one institution for one quarter: HTML and PDF in the institution's language.",
)
def feedback_reports(context: dg.AssetExecutionContext, ciess: CiessHome) -> dg.MaterializeResult:
    keys = context.partition_key.keys_by_dimension
    settings = ciess.settings()
    period = period_of_key(keys["period"])
    files = produce_feedback(settings, period, only=[keys["institution"]], progress=context.log.info)
    return dg.MaterializeResult(
        metadata={
            "period": str(period),
            "files": "\n".join(f"{f.html}\n{f.pdf}" for f in files),
            "index": dg.MetadataValue.path(str(feedback_dir(settings, period) / "index.html")),
        }
    )


feedback_reports_job = dg.define_asset_job(
    "feedback_reports_job",
    tags={POOL_TAG: REPORTS_POOL},  # in parallel up to the core count (pipelines/warehouse/instance.py)
    selection=[feedback_reports],
    partitions_def=FEEDBACK_PARTITIONS,
    description="Produce institutions' feedback reports (backfill any quarter x institution from the UI).",
)


@dg.sensor(job=feedback_reports_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def feedback_when_reviewed(context: dg.SensorEvaluationContext, ciess: CiessHome):
    """A report when a return's approval reaches the published marts, and another when its quarter's
    final figures do (each occasion once: the run key names it)."""
    due = feedback_due(ciess.settings())
    if not due:
        return dg.SkipReason("no approved return or locked quarter in the published marts")
    return [
        dg.RunRequest(
            run_key=f"feedback-{item.period}-{item.institution}-{item.occasion}",
            partition_key=dg.MultiPartitionKey(
                {"period": quarter_key(Period.parse(item.period)), "institution": item.institution}
            ),
        )
        for item in due
    ]

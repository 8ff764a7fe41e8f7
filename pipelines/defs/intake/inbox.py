"""The inbox sensor and the job that takes in one dropped file (`pipelines.intake.inbox`)."""

from pathlib import Path

import dagster as dg

from pipelines.defs.resources import CiessHome
from pipelines.intake.inbox import DroppedFile, dropped_files, take_in


class InboxFile(dg.Config):
    path: str
    institution: str
    kind: str
    period: str


@dg.op(description="Submit one file from the inbox through the intake, then move it out of the inbox.")
def submit_inbox_file(context: dg.OpExecutionContext, config: InboxFile, ciess: CiessHome) -> None:
    path = Path(config.path)
    if not path.exists():
        context.log.info(f"{path} is gone (already taken in)")
        return
    result = take_in(DroppedFile(path, config.institution, config.kind, config.period), ciess.settings())
    context.log.info(f"{path.name}: {result.status} (receipt {result.receipt_path})")


@dg.job(description="Take in one file dropped in the inbox (the same intake as `ciess submit`).")
def inbox_intake():
    submit_inbox_file()


@dg.sensor(job=inbox_intake, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def inbox_sensor(context: dg.SensorEvaluationContext, ciess: CiessHome):
    """Files dropped in $CIESS_HOME/inbox/<institution>/<kind>/<period>/ are submitted."""
    for dropped in dropped_files(ciess.settings().inbox_dir):
        stat = dropped.path.stat()
        fields = {"institution": dropped.institution, "kind": dropped.kind, "period": dropped.period}
        yield dg.RunRequest(
            run_key=f"{dropped.path}:{stat.st_size}:{stat.st_mtime_ns}",
            run_config={"ops": {"submit_inbox_file": {"config": {"path": str(dropped.path), **fields}}}},
            tags=fields,
        )

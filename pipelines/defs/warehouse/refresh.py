"""The warehouse keeps itself fresh under the daemon: a sensor that asks for a build once accepted
submissions (or the cycle's explanations, reviews, locks) have landed and gone quiet, and the job
it starts, which runs `ciess build`'s own function (one build at a time: the build lock, and the
run queue's limit on the warehouse pool)."""

import os
import time
from datetime import date

import dagster as dg

from pipelines.cli.build import run_build
from pipelines.defs.resources import CiessHome
from pipelines.warehouse.freshness import refresh_due
from pipelines.warehouse.instance import POOL_TAG, WAREHOUSE_POOL

QUIET_SECONDS = 30.0  # after the last change, before a build starts (CIESS_REFRESH_QUIET_SECONDS)
ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED]  # fmt: skip


@dg.op(description="Bring every accepted submission into the published marts (`ciess build`).")
def refresh_warehouse(context: dg.OpExecutionContext, ciess: CiessHome) -> None:
    summary = run_build(ciess.settings(), say=context.log.info)
    if not summary.success:
        raise dg.Failure("the warehouse build failed: " + "; ".join(summary.failed_checks + summary.failed_steps))
    context.log.info(f"published {summary.published} in {summary.seconds:.1f} s")


@dg.job(
    tags={POOL_TAG: WAREHOUSE_POOL, "dagster/priority": "10"},  # before the queued reports, which read it
    description="A warehouse build started by the freshness sensor.",
)
def warehouse_refresh():
    refresh_warehouse()


@dg.sensor(job=warehouse_refresh, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING)
def warehouse_freshness(context: dg.SensorEvaluationContext, ciess: CiessHome):
    """A build when something changed since the last publish and has been quiet for a while; none
    while one is queued or running, none for a state already built (the run key names it)."""
    if context.instance.get_runs(dg.RunsFilter(job_name="warehouse_refresh", statuses=ACTIVE), limit=1):
        return dg.SkipReason("a warehouse build is queued or running")
    quiet = float(os.environ.get("CIESS_REFRESH_QUIET_SECONDS", QUIET_SECONDS))
    decision = refresh_due(ciess.settings(), time.time(), quiet, date.today())
    if not decision.due:
        return dg.SkipReason(decision.reason)
    return dg.RunRequest(run_key=f"refresh-{decision.key}", tags={POOL_TAG: WAREHOUSE_POOL})

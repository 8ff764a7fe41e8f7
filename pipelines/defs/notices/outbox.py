"""The notices in Dagster (`pipelines.notices`): a daily schedule that puts the reminders and overdue
notices due that day in the outbox, and a sensor that flushes the outbox whenever a notice is due.
They log counts only: addresses never go into Dagster's logs."""

import hashlib
from datetime import date

import dagster as dg

from pipelines.defs.resources import CiessHome
from pipelines.notices.delivery import due_count, flush
from pipelines.notices.reminders import enqueue_reminders


class ReminderDay(dg.Config):
    day: str  # YYYY-MM-DD: the day the check acts as (the schedule's own day)


@dg.op(
    description="Put the reminders (14 and 3 days before the deadline) and overdue notices due that day in the outbox."
)
def check_reminders(context: dg.OpExecutionContext, config: ReminderDay, ciess: CiessHome) -> None:
    summary = enqueue_reminders(ciess.settings(), date.fromisoformat(config.day))
    context.log.info(f"{config.day}: {summary}")


@dg.job(description="The daily check of reminders and overdue notices (the same as `ciess reminders`).")
def notice_reminders_job():
    check_reminders()


@dg.schedule(cron_schedule="0 7 * * *", job=notice_reminders_job, default_status=dg.DefaultScheduleStatus.RUNNING)
def notice_reminders_schedule(context: dg.ScheduleEvaluationContext):
    """Every morning, the reminders and overdue notices due that day (a day missed is caught up next time)."""
    day = context.scheduled_execution_time.date().isoformat()
    return dg.RunRequest(run_key=f"reminders-{day}", run_config={"ops": {"check_reminders": {"config": {"day": day}}}})


@dg.op(description="Send every notice that is due: by SMTP, or as .eml files under <home>/outbox/ when no host is set.")
def flush_outbox(context: dg.OpExecutionContext, ciess: CiessHome) -> None:
    context.log.info(f"outbox: {flush(ciess.settings())}")


@dg.job(description="Send the notices that are due (the same as `ciess outbox flush`).")
def outbox_flush_job():
    flush_outbox()


@dg.sensor(job=outbox_flush_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def outbox_sensor(context: dg.SensorEvaluationContext, ciess: CiessHome):
    """A flush whenever notices are due; one run for each set of due notices (and attempts)."""
    count, mark = due_count(ciess.settings())
    if not count:
        return dg.SkipReason("no notice is due")
    return dg.RunRequest(run_key=f"outbox-{hashlib.sha256(mark.encode()).hexdigest()[:16]}", tags={"due": str(count)})

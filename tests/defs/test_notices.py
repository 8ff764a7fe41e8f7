"""The notices in Dagster: the daily schedule asks for the reminders' check of its own day, the job
enqueues them, and the sensor asks for a flush only while a notice is due, once per set of them."""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from pipelines.definitions import defs as load_definitions
from pipelines.defs.notices.outbox import (
    notice_reminders_job,
    notice_reminders_schedule,
    outbox_flush_job,
    outbox_sensor,
)
from pipelines.defs.resources import CiessHome
from tests.notices.conftest import add_contact


def test_the_notices_definitions_are_registered():
    defs = load_definitions()
    assert defs.resolve_schedule_def("notice_reminders_schedule").job_name == "notice_reminders_job"
    assert defs.resolve_sensor_def("outbox_sensor").job_name == "outbox_flush_job"


def test_the_schedule_checks_its_own_day_and_the_job_enqueues_the_reminders(ciess, monkeypatch):
    monkeypatch.setenv("CIESS_HOME", str(ciess.home))
    monkeypatch.delenv("CIESS_SMTP_HOST", raising=False)
    add_contact(ciess, "BR-INSS", "datos@inss.example.org", "pt")
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 7, 31, 7))
    request = notice_reminders_schedule(context)
    assert request.run_key == "reminders-2026-07-31"
    resources = {"ciess": CiessHome(home=str(ciess.home))}
    for _ in range(2):  # the same day twice: one reminder
        assert notice_reminders_job.execute_in_process(run_config=request.run_config, resources=resources).success
    sensor_context = dg.build_sensor_context(resources=resources)
    first = outbox_sensor(sensor_context)
    assert isinstance(first, dg.RunRequest)
    assert first.run_key == outbox_sensor(dg.build_sensor_context(resources=resources)).run_key  # same set, same key
    assert outbox_flush_job.execute_in_process(resources=resources).success
    assert isinstance(outbox_sensor(dg.build_sensor_context(resources=resources)), dg.SkipReason)
    (eml,) = (ciess.home / "outbox").glob("*.eml")
    assert "REMINDER_2026-Q2_BR-INSS_14" in eml.name

"""The warehouse keeps itself fresh under the daemon: the sensor asks for a build once something
landed and went quiet, never for a state already published, never while a build runs; the job it
starts publishes what landed."""

from __future__ import annotations

import time
from datetime import date

import dagster as dg
import duckdb
import filelock
import pytest

from pipelines.common.settings import Settings
from pipelines.defs.resources import CiessHome
from pipelines.defs.warehouse.refresh import warehouse_freshness, warehouse_refresh
from pipelines.warehouse.freshness import refresh_due
from tests.conftest import EXAMPLES, copy_home

pytestmark = pytest.mark.warehouse


def test_a_build_is_due_after_new_data_has_gone_quiet_and_never_twice_for_one_state(
    example_home, tmp_path, monkeypatch
):
    ciess = copy_home(example_home, tmp_path)
    settings = Settings.from_env(ciess.home)
    today = date.today()
    assert refresh_due(settings, time.time() + 3600, 30, today).reason == "nothing new since the last publish"

    sent = ciess.submit(EXAMPLES["staffing"] / "valid-labels.csv", kind="staffing")
    assert sent.receipt["status"].startswith("ACCEPTED"), sent.output
    landing = refresh_due(settings, time.time(), 30, today)
    assert not landing.due and "still landing" in landing.reason
    due = refresh_due(settings, time.time() + 31, 30, today)
    assert due.due and due.key
    with filelock.FileLock(settings.home / "warehouse" / "build.lock"):  # `ciess build` running
        assert refresh_due(settings, time.time() + 31, 30, today).reason == "a build is running"

    resources = {"ciess": CiessHome(home=str(ciess.home))}
    monkeypatch.setenv("CIESS_REFRESH_QUIET_SECONDS", "0")
    with dg.instance_for_test() as instance:
        request = warehouse_freshness(dg.build_sensor_context(instance=instance, resources=resources))
        assert request.run_key == f"refresh-{due.key}"  # Dagster launches a run key once
        result = warehouse_refresh.execute_in_process(instance=instance, resources=resources)
    assert result.success
    assert refresh_due(settings, time.time() + 3600, 30, today).reason == "nothing new since the last publish"
    with duckdb.connect(str(settings.home / "warehouse" / "published.duckdb"), read_only=True) as connection:
        (version,) = connection.execute(
            "select staffing_version from marts.return_status"
            " where institution_code = 'AR-ANSES' and period = '2026-Q2'"
        ).fetchone()
    assert version == sent.receipt["version"] == 2

"""The Dagster definitions load with the whole path, and the inbox sensor finds dropped files."""

from __future__ import annotations

import shutil

import dagster as dg

from pipelines.definitions import defs as load_definitions
from pipelines.defs.intake.inbox import inbox_intake, inbox_sensor
from pipelines.defs.resources import CiessHome
from pipelines.intake.inbox import dropped_files
from tests.conftest import EXAMPLES, ledger_of


def test_definitions_hold_the_whole_path_of_a_submission():
    defs = load_definitions()
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"lake/staffing", "lake/training", "lake/submissions", "published_warehouse"} <= keys
    for mart in ("capacity_by_institution", "capacity_by_country", "capacity_by_subregion", "capacity_americas",
                 "submission_compliance"):  # fmt: skip
        assert f"marts/{mart}" in keys
    graph = defs.resolve_asset_graph()
    upstream = graph.get(dg.AssetKey(["staging", "stg_lake__training"])).parent_keys
    assert dg.AssetKey(["lake", "training"]) in upstream  # lineage from the lake into dbt
    checks = {key.name for key in graph.asset_check_keys}
    assert "plausibility" in checks
    assert defs.resolve_job_def("warehouse_build") is not None
    reports = graph.get(dg.AssetKey("regional_reports"))
    assert dg.AssetKey("published_warehouse") in reports.parent_keys  # reports read the published marts only
    assert {"period", "region"} == {d.name for d in reports.partitions_def.partitions_defs}
    assert defs.resolve_schedule_def("quarterly_reports_schedule").job_name == "regional_reports_job"
    feedback = graph.get(dg.AssetKey("feedback_reports"))
    assert dg.AssetKey("published_warehouse") in feedback.parent_keys
    assert {"period", "institution"} == {d.name for d in feedback.partitions_def.partitions_defs}
    assert defs.resolve_sensor_def("feedback_when_reviewed").job_name == "feedback_reports_job"
    assert defs.resolve_sensor_def("warehouse_freshness").job_name == "warehouse_refresh"
    assert defs.resolve_job_def("warehouse_refresh").tags["ciess/pool"] == "warehouse"  # one build at a time


def test_inbox_sensor_requests_one_run_per_dropped_file(tmp_path):
    inbox = tmp_path / "home" / "inbox" / "AR-ANSES" / "staffing" / "2026-Q2"
    inbox.mkdir(parents=True)
    shutil.copy(EXAMPLES["staffing"] / "valid.csv", inbox / "roster.csv")
    (inbox / ".hidden").write_text("ignored")
    found = [(f.institution, f.kind, f.period) for f in dropped_files(tmp_path / "home" / "inbox")]
    assert found == [("AR-ANSES", "staffing", "2026-Q2")]

    context = dg.build_sensor_context(resources={"ciess": CiessHome(home=str(tmp_path / "home"))})
    requests = list(inbox_sensor(context))
    assert len(requests) == 1
    config = requests[0].run_config["ops"]["submit_inbox_file"]["config"]
    assert (config["institution"], config["kind"], config["period"]) == ("AR-ANSES", "staffing", "2026-Q2")


def test_inbox_job_submits_through_the_intake_and_empties_the_inbox(tmp_path):

    home = tmp_path / "home"
    folder = home / "inbox" / "BR-INSS" / "staffing" / "2026-Q2"
    folder.mkdir(parents=True)
    dropped = folder / "quadro.csv"
    shutil.copy(EXAMPLES["staffing"] / "valid.csv", dropped)
    config = {"path": str(dropped), "institution": "BR-INSS", "kind": "staffing", "period": "2026-Q2"}
    result = inbox_intake.execute_in_process(
        run_config={"ops": {"submit_inbox_file": {"config": config}}},
        resources={"ciess": CiessHome(home=str(home))},
    )
    assert result.success
    (row,) = ledger_of(home).all()
    assert (row.institution, row.status, row.version) == ("BR-INSS", "ACCEPTED", 1)
    assert not dropped.exists()
    assert list((home / "inbox" / ".processed").rglob("*quadro.csv"))


def test_each_accepted_submission_shows_as_a_materialisation_of_its_lake_table(roster_accepted):
    """`ciess submit` knows nothing of Dagster; the sensor turns the ledger's new accepted rows into
    materialisations of lake/<kind>, once each, with the institution, period and version."""
    from pipelines.defs.intake.lake import accepted_submissions_sensor

    roster_accepted.submit(EXAMPLES["training"] / "valid.csv", kind="training")
    rejected = roster_accepted.submit(EXAMPLES["training"] / "invalid-CODE_UNKNOWN.csv", kind="training")
    assert rejected.receipt["status"] == "REJECTED"
    resources = {"ciess": CiessHome(home=str(roster_accepted.home))}
    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_sensor_context(instance=instance, resources=resources)
        result = accepted_submissions_sensor(context)
        events = result.asset_events
        assert [(e.asset_key.to_user_string(), e.metadata["institution"].value, e.metadata["period"].value,
                 e.metadata["version"].value) for e in events] == [
            ("lake/staffing", "AR-ANSES", "2026-Q2", 1),
            ("lake/training", "AR-ANSES", "2026-Q2", 1),
        ]  # fmt: skip
        again = accepted_submissions_sensor(dg.build_sensor_context(instance=instance, resources=resources,
                                                                    cursor=result.cursor))  # fmt: skip
        assert isinstance(again, dg.SkipReason)  # nothing reported twice
        made_anew = accepted_submissions_sensor(dg.build_sensor_context(instance=instance, resources=resources,
                                                                        cursor="999"))  # fmt: skip
        assert len(made_anew.asset_events) == 2  # a cursor past the ledger's end: the ledger was made anew


def test_the_schedule_asks_for_report_partitions_that_exist_and_name_the_closed_quarter():
    """The quarters grow with the calendar; the schedule's partition keys must be partitions of the
    asset, and the asset must read them back as the quarter the schedule meant."""
    from datetime import datetime

    from pipelines.common.periods import Period
    from pipelines.defs.reports.partitions import REPORT_PARTITIONS, period_of_key, quarter_key
    from pipelines.defs.reports.regional import quarterly_reports_schedule

    when = datetime(2026, 11, 20, 6)  # 2026-Q3's deadline (45 days) was 2026-11-14
    context = dg.build_schedule_context(scheduled_execution_time=when, resources={"ciess": CiessHome(home="")})
    requests = list(quarterly_reports_schedule(context))
    existing = set(REPORT_PARTITIONS.get_partition_keys(current_time=when))
    assert len(requests) == 6 and all(request.partition_key in existing for request in requests)
    assert {request.partition_key.keys_by_dimension["period"] for request in requests} == {"2026-07"}
    assert period_of_key("2026-07") == Period(2026, 3)
    assert all(period_of_key(quarter_key(Period(2025, q))) == Period(2025, q) for q in range(1, 5))
    before = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 14, 6),
                                       resources={"ciess": CiessHome(home="")})  # fmt: skip
    assert isinstance(quarterly_reports_schedule(before), dg.SkipReason)

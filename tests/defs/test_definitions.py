"""The Dagster definitions load with the whole path, and the inbox sensor finds dropped files."""

from __future__ import annotations

import shutil

import dagster as dg

from pipelines.definitions import defs, inbox_files, inbox_sensor
from tests.conftest import EXAMPLES


def test_definitions_hold_the_whole_path_of_a_submission():
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


def test_inbox_sensor_requests_one_run_per_dropped_file(tmp_path):
    inbox = tmp_path / "home" / "inbox" / "AR-ANSES" / "staffing" / "2026-Q2"
    inbox.mkdir(parents=True)
    shutil.copy(EXAMPLES["staffing"] / "valid.csv", inbox / "roster.csv")
    (inbox / ".hidden").write_text("ignored")
    assert [item[1:] for item in inbox_files(tmp_path / "home" / "inbox")] == [("AR-ANSES", "staffing", "2026-Q2")]

    from pipelines.definitions import CiessHome

    context = dg.build_sensor_context(resources={"ciess": CiessHome(home=str(tmp_path / "home"))})
    requests = list(inbox_sensor(context))
    assert len(requests) == 1
    config = requests[0].run_config["ops"]["submit_inbox_file"]["config"]
    assert (config["institution"], config["kind"], config["period"]) == ("AR-ANSES", "staffing", "2026-Q2")


def test_inbox_job_submits_through_the_intake_and_empties_the_inbox(tmp_path):
    from pipelines.definitions import CiessHome, inbox_intake
    from pipelines.intake.storing.ledger import Ledger

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
    (row,) = Ledger(home / "ledger.sqlite").all()
    assert (row.institution, row.status, row.version) == ("BR-INSS", "ACCEPTED", 1)
    assert not dropped.exists()
    assert list((home / "inbox" / ".processed").rglob("*quadro.csv"))

"""The warehouse end to end: ciess build publishes checked marts; a failed build publishes
nothing; ciess query reads the published copy while a build holds the build database; a
resubmission replaces its first version."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.intake.storing.ledger import Ledger
from tests.conftest import EXAMPLES, PERIOD, Ciess, copy_home, ledger_of


def _query(ciess, sql: str) -> list[dict]:
    result = ciess.run("query", sql, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def built(example_home, tmp_path) -> Ciess:
    """A copy of the built example home (AR-ANSES's example roster and training file, built and published)."""
    return copy_home(example_home, tmp_path)


@pytest.mark.warehouse
def test_build_publishes_marts_that_answer_queries(built):
    (row,) = _query(built, "select * from capacity_by_institution where institution_code = 'AR-ANSES'")
    assert (row["headcount"], row["participants"], row["completions"]) == (6, 5, 3)
    (americas,) = _query(built, "select institutions_expected, institutions_reporting from capacity_americas")
    assert americas == {"institutions_expected": 41, "institutions_reporting": 1}
    csv_out = built.run("query", "select period from capacity_americas", "--format", "csv")
    assert csv_out.stdout.splitlines() == ["period", "2026-Q2"]


def _slip_past_the_intake(home: Path, hours: float) -> None:
    """A version 2 of the training file that slipped past the intake's rules: recorded as accepted in
    the ledger (the warehouse reads the ledger's current versions) and written to the lake."""
    ledger = ledger_of(home)
    current = ledger.current("AR-ANSES", "training", PERIOD)
    (v1,) = (home / "lake" / "training").rglob("version=1/rows.parquet")
    table = pq.read_table(v1)
    table = table.set_column(table.column_names.index("hours"), "hours", pa.array([hours] * table.num_rows))
    table = table.set_column(
        table.column_names.index("submission_id"), "submission_id", pa.array(["slipped"] * table.num_rows)
    )
    target = v1.parent.parent / "version=2" / "rows.parquet"
    target.parent.mkdir()
    pq.write_table(table, target)
    with ledger.decision() as connection:
        Ledger.insert(
            connection,
            dataclasses.replace(
                current, submission_id="slipped", version=2, supersedes=current.submission_id, sha256="0" * 64
            ),
        )


@pytest.mark.warehouse
def test_failed_check_publishes_nothing_and_keeps_the_old_marts(built):
    before = _query(built, "select completed_hours from capacity_by_institution where institution_code = 'AR-ANSES'")
    # Negative hours make hours_per_employee implausible.
    _slip_past_the_intake(built.home, hours=-500.0)
    published = built.home / "warehouse" / "published.duckdb"
    stamp = published.stat().st_mtime_ns

    result = built.run("build")
    assert result.exit_code == 1
    assert "Nothing published" in result.stdout
    assert "hours_per_employee" in result.stdout  # says why
    assert published.stat().st_mtime_ns == stamp
    after = _query(built, "select completed_hours from capacity_by_institution where institution_code = 'AR-ANSES'")
    assert after == before


@pytest.mark.warehouse
def test_query_answers_while_a_build_holds_the_build_database(built):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "c.execute('create or replace table marts.lock_probe as select 1'); print('held', flush=True); time.sleep(60)",
         str(built.home / "warehouse" / "build.duckdb")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        rows = _query(built, "select headcount from capacity_americas")
        assert rows == [{"headcount": 6}]
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.warehouse
def test_resubmission_replaces_version_1_and_nothing_is_counted_twice(built, tmp_path):
    roster = (EXAMPLES["staffing"] / "valid.csv").read_text(encoding="utf-8")
    smaller = tmp_path / "roster-v2.csv"
    smaller.write_text("\n".join(roster.splitlines()[:-1]) + "\n", encoding="utf-8")  # E0006 left
    receipt = built.submit(smaller, kind="staffing").receipt
    assert (receipt["version"], receipt["status"]) == (2, "ACCEPTED")
    assert built.run("build").exit_code == 0
    (row,) = _query(
        built, "select headcount, staff_trained from capacity_by_institution where institution_code = 'AR-ANSES'"
    )
    assert row == {"headcount": 5, "staff_trained": 1}  # E0006's completion no longer counts: not in the roster
    (compliance,) = _query(
        built, "select versions, current_status from submission_compliance "
        "where institution_code = 'AR-ANSES' and kind = 'staffing'",
    )  # fmt: skip
    assert compliance == {"versions": 2, "current_status": "ACCEPTED"}


@pytest.mark.warehouse
def test_a_build_with_nothing_new_says_so_and_runs_nothing(built, tmp_path):
    published, log = built.home / "warehouse" / "published.duckdb", built.home / "warehouse" / "build.log"
    before = (published.stat().st_mtime_ns, log.read_text(encoding="utf-8"))
    again = built.run("build")
    assert again.exit_code == 0 and "Nothing new since the last publish" in again.output
    assert (published.stat().st_mtime_ns, log.read_text(encoding="utf-8")) == before  # neither Dagster nor dbt ran

    approved = built.run("review", "approve", "--institution", "AR-ANSES", "--period", PERIOD)
    assert approved.exit_code == 0, approved.output  # a step of the cycle: the marts of returns change
    rebuilt = built.run("build")
    assert "Published:" in rebuilt.stdout and published.stat().st_mtime_ns != before[0]
    assert "Nothing new" in built.run("build").output


def test_the_fingerprint_changes_with_the_day_and_the_settings(tmp_path):
    from datetime import date

    from pipelines.common.settings import Settings
    from pipelines.warehouse.freshness import fingerprint

    settings = Settings.from_env(tmp_path / "home")
    today = fingerprint(settings, date(2026, 12, 4))
    assert today == fingerprint(Settings.from_env(tmp_path / "moved"), date(2026, 12, 4))  # a home moved whole
    assert today != fingerprint(settings, date(2026, 12, 5))  # lateness is against today's date
    assert today != fingerprint(Settings.from_env(settings.home, deadline_days=30), date(2026, 12, 4))


def test_query_before_any_build_says_what_to_do(ciess):
    result = ciess.run("query", "select 1")
    assert result.exit_code == 2
    assert "ciess build" in result.output


@pytest.mark.warehouse
def test_query_refuses_to_write(built):
    result = built.run("query", "drop table capacity_americas")
    assert result.exit_code == 1
    assert "read-only" in result.output


@pytest.mark.warehouse
def test_dbt_unit_tests_of_every_kpi_formula_pass(built):
    """dbt `unit_tests:` (given/expect rows for every KPI, zero denominators, rollups of ratios, and which
    slots an incremental build computes again)."""
    import os

    from pipelines.common.paths import DBT_PROJECT_DIR

    # The staging views read the lake by its absolute path: those of the copy still read the session's
    # example home, which no test changes, and that is all dbt needs of them (the unit tests' columns).
    env = {**os.environ, "CIESS_HOME": str(built.home), "DO_NOT_TRACK": "1"}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "test", "--select", "test_type:unit", "--profiles-dir", "."],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert "PASS=7 " in done.stdout and "ERROR=0" in done.stdout


def test_build_with_nothing_accepted_says_what_to_do(ciess):
    result = ciess.run("build")
    assert result.exit_code == 1
    assert "no accepted submission" in result.output and "ciess submit" in result.output


@pytest.mark.warehouse
def test_a_home_with_only_training_files_builds_with_an_empty_roster(ciess):
    ciess.submit(EXAMPLES["training"] / "valid.csv", kind="training")
    result = ciess.run("build")
    assert result.exit_code == 0, result.output
    assert "Published:" in result.stdout and "failed" not in result.stdout
    sql = "select headcount, participants from capacity_by_institution where institution_code = 'AR-ANSES'"
    (row,) = _query(ciess, sql)
    assert row["headcount"] is None and row["participants"] is not None
    # the empty roster is no submission: nothing for the doctor, nothing in the ledger
    assert ciess.run("doctor").exit_code == 0


@pytest.mark.warehouse
def test_a_second_build_waits_for_the_first_and_both_publish(built):
    import filelock

    ciess_command = Path(sys.executable).with_name("ciess")
    running = filelock.FileLock(built.home / "warehouse" / "build.lock")  # as a first build holds it
    running.acquire()
    try:
        second = subprocess.Popen(
            [str(ciess_command), "--home", str(built.home), "build"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        said = ""
        while "another build" not in said and second.poll() is None:
            said += second.stderr.readline()
        assert "this one starts when it ends" in said
    finally:
        running.release()
    stdout, stderr = second.communicate(timeout=300)
    assert second.returncode == 0, stdout + stderr
    assert "Published:" in stdout and "Could not set lock" not in stdout + stderr


@pytest.mark.warehouse
def test_a_damaged_published_database_is_said_and_a_build_publishes_it_again(built):
    published = built.home / "warehouse" / "published.duckdb"
    published.write_bytes(published.read_bytes()[:100_000])  # a disk that failed mid-file
    for command in (("query", "select 1"), ("report", "--period", PERIOD, "--lang", "en")):
        refused = built.run(*command)
        assert refused.exit_code == 2, refused.output
        assert "cannot be read" in refused.output and "ciess build" in refused.output
    assert built.run("build").exit_code == 0
    assert _query(built, "select headcount from capacity_americas") == [{"headcount": 6}]


def _session_processes(session: int) -> dict[int, str]:
    """The live (not zombie) processes of a session, by pid, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()  # state, ppid, pgrp, session, ...
            if int(fields[3]) == session and fields[0] != "Z":
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (ValueError, OSError):
            continue  # not a process, or it ended while being read
    return found


@pytest.mark.warehouse
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the tie to the parent is Linux's")
def test_a_killed_build_leaves_no_process_behind(built):
    ciess_command = Path(sys.executable).with_name("ciess")
    build = subprocess.Popen(
        [str(ciess_command), "--home", str(built.home), "build", "--force"],  # a real build, past the no-op
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not any(" build " in line and "dbt" in line for line in _session_processes(build.pid).values()):
            assert build.poll() is None and time.monotonic() < deadline, "the build ended before dbt started"
            time.sleep(0.2)
        build.kill()  # kill -9: the build gets no chance to stop its children itself
        build.wait()
        deadline = time.monotonic() + 10
        while (left := _session_processes(build.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"still running after the build was killed: {left}"
    finally:
        subprocess.run(["pkill", "-KILL", "-s", str(build.pid)], check=False)

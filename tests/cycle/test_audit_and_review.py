"""The audit log is append-only and every action of the contract leaves exactly one event; the
command line's exit codes (0 done, 1 refused by the cycle, 2 usage error); membership dates; two
reviewers acting on one return at the same moment."""

from __future__ import annotations

import json
import multiprocessing
import re
from pathlib import Path

import pytest

from pipelines.common.paths import PROJECT_ROOT
from pipelines.common.settings import Settings
from pipelines.common.store import STORE_ERRORS
from tests.conftest import EXAMPLES, PERIOD, Ciess, ledger_of

COMMENT = "The roster misses the regional offices; send it again."


def events(ciess: Ciess) -> list[dict]:
    result = ciess.run("audit", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def ready(ciess: Ciess) -> Ciess:
    for kind in ("staffing", "training"):
        assert ciess.submit(EXAMPLES[kind] / "valid.csv", kind=kind).receipt["status"] == "ACCEPTED"
    return ciess


def test_no_code_updates_or_deletes_the_audit_log_and_the_database_refuses_it(ready: Ciess):
    written = "\n".join(path.read_text(encoding="utf-8") for path in (PROJECT_ROOT / "pipelines").rglob("*.py"))
    assert not re.search(r"(update|delete\s+from)\s+cycle_events", written, re.IGNORECASE)
    connection = ledger_of(ready.home).connect()  # SQLite's triggers, or PostgreSQL's
    for statement in ("update cycle_events set text = 'x'", "delete from cycle_events"):
        with pytest.raises(STORE_ERRORS, match="append-only"):
            connection.execute(statement)
    assert connection.execute("select count(*) from cycle_events").fetchone()[0] == 2
    connection.close()


def test_every_action_leaves_exactly_one_event_with_its_actor_and_text(ciess: Ciess):
    staffing = ciess.submit(EXAMPLES["staffing"] / "valid.csv", kind="staffing").receipt
    training = ciess.submit(EXAMPLES["training"] / "warning-HOURS_UNUSUAL.csv").receipt
    rejected = ciess.submit(EXAMPLES["training"] / "invalid-DATE_ORDER.csv").receipt
    assert [e["action"] for e in events(ciess)] == ["submission"] * 3
    assert [e["status"] for e in events(ciess)] == ["ACCEPTED", "ACCEPTED_WITH_WARNINGS", "REJECTED"]
    assert events(ciess)[0]["submission_id"] == staffing["submission_id"] and rejected["status"] == "REJECTED"

    steps = [
        ("explanation", ["explain", training["submission_id"], "--rule", "HOURS_UNUSUAL",
                         "--text", "A 450-hour diploma course, as planned."]),
        ("return", ["review", "return", "--institution", "AR-ANSES", "--period", PERIOD, "--comment", COMMENT]),
        ("explanation", ["explain", training["submission_id"], "--rule", "hours_unusual",
                         "--text", "A 450-hour diploma course: the enrolment form is attached."]),
        ("approve", ["review", "approve", "--institution", "AR-ANSES", "--period", PERIOD]),
        ("reopen", ["review", "reopen", "--institution", "AR-ANSES", "--period", PERIOD, "--comment", COMMENT]),
    ]  # fmt: skip
    for count, (action, args) in enumerate(steps, start=4):
        result = ciess.run(*args)
        assert result.exit_code == 0, result.output
        found = events(ciess)
        assert len(found) == count and found[-1]["action"] == action
        assert found[-1]["actor"].startswith("cli:")
    assert events(ciess)[4]["text"] == COMMENT
    status = json.loads(ciess.run("period", "status", PERIOD, "--json").stdout)
    (mine,) = [row for row in status["returns"] if row["institution"] == "AR-ANSES"]
    assert mine["state"] == "READY" and mine["explained"] == 1 and mine["returned_comment"] == COMMENT


def test_refusals_exit_1_with_the_reason_and_usage_errors_exit_2(ready: Ciess):
    too_short = ready.run("review", "return", "--institution", "AR-ANSES", "--period", PERIOD, "--comment", "fix it")
    assert too_short.exit_code == 1 and "at least 20 characters" in too_short.output
    reopen = ready.run("review", "reopen", "--institution", "AR-ANSES", "--period", PERIOD, "--comment", COMMENT)
    assert reopen.exit_code == 1 and "it is READY" in reopen.output and "reopen needs APPROVED" in reopen.output
    missing = ready.run("review", "approve", "--institution", "BR-INSS", "--period", PERIOD)
    assert missing.exit_code == 1 and "MISSING" in missing.output
    assert ready.run("review", "approve", "--institution", "XX-NOPE", "--period", PERIOD).exit_code == 2
    assert ready.run("review", "approve", "--institution", "AR-ANSES", "--period", "2026-5").exit_code == 2
    not_a_warning = ready.run("explain", "nope", "--rule", "HOURS_UNUSUAL", "--text", "x" * 30)
    assert not_a_warning.exit_code == 2 and "no submission" in not_a_warning.output
    assert len(events(ready)) == 2  # nothing refused left an event


def test_approved_return_takes_no_file_until_reopened(ready: Ciess):
    assert ready.run("review", "approve", "--institution", "AR-ANSES", "--period", PERIOD).exit_code == 0
    refused = ready.submit(EXAMPLES["staffing"] / "warning-AGE_UNUSUAL.csv", kind="staffing")
    assert refused.exit_code == 1 and refused.receipt["status"] == "REJECTED"
    (issue,) = [i for i in refused.receipt["issues"] if i["rule"] == "RETURN_APPROVED"]
    assert "aprobada" in issue["message"] and "CIESS" in issue["message"]  # AR-ANSES reads Spanish
    archived = ready.home / "archive" / refused.receipt["sha256"][:2] / refused.receipt["sha256"]
    assert any(path.is_file() and path.name != "receipt.json" for path in archived.rglob("*"))
    reopened = ready.run("review", "reopen", "--institution", "AR-ANSES", "--period", PERIOD, "--comment", COMMENT)
    assert reopened.exit_code == 0
    again = ready.submit(EXAMPLES["staffing"] / "warning-AGE_UNUSUAL.csv", kind="staffing")
    assert again.receipt["status"] == "ACCEPTED_WITH_WARNINGS" and again.receipt["version"] == 2


def test_an_institution_is_expected_only_in_the_quarters_of_its_membership(ciess: Ciess):
    before = ciess.submit(EXAMPLES["staffing"] / "valid.csv", "AI-SSB", "staffing", "2026-Q1")
    assert before.exit_code == 2 and "member from 2026-Q2" in before.output
    assert not (ciess.home / "archive").exists() or not any((ciess.home / "archive").rglob("*.csv"))
    ciess.submit(EXAMPLES["staffing"] / "valid.csv", kind="staffing", period="2026-Q1")
    q1 = json.loads(ciess.run("period", "status", "2026-Q1", "--json").stdout)
    q2 = json.loads(ciess.run("period", "status", "2026-Q2", "--json").stdout)
    assert "AI-SSB" not in {row["institution"] for row in q1["returns"]}
    assert "AI-SSB" in {row["institution"] for row in q2["returns"]}
    assert q2["expected"] == q1["expected"] + 1


def _act(home: str, action: str, start, results) -> None:
    from pipelines.cycle.review import Refused, review

    start.wait()
    try:
        review(Settings.from_env(Path(home)), action, "AR-ANSES", PERIOD, f"cli:{action}-desk", COMMENT)
        results.put((action, "done"))
    except Refused as error:
        results.put((action, str(error)))


@pytest.mark.long
def test_two_reviewers_at_the_same_moment_leave_one_consistent_state(ready: Ciess, tmp_path: Path):
    """Approve and return race for the same READY return, ten times: each time exactly one wins, the
    other is refused with the state the winner left, and the log holds the winner's event only."""
    context = multiprocessing.get_context("spawn")
    for round_number in range(10):
        start, results = context.Barrier(2), context.Queue()
        workers = [context.Process(target=_act, args=(str(ready.home), action, start, results))
                   for action in ("approve", "return")]  # fmt: skip
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        outcomes = dict(results.get(timeout=5) for _ in workers)
        winners = [action for action, said in outcomes.items() if said == "done"]
        assert len(winners) == 1, outcomes
        loser = ({"approve", "return"} - set(winners)).pop()
        state = "APPROVED" if winners == ["approve"] else "RETURNED"
        assert f"it is {state}" in outcomes[loser]
        reviews = [e for e in events(ready) if e["action"] in ("approve", "return", "reopen")]
        assert reviews[-1]["action"] == winners[0] and reviews[-1]["actor"] == f"cli:{winners[0]}-desk"
        # back to READY for the next round, through the contract's own actions
        if state == "APPROVED":
            reopened = ready.run(
                "review", "reopen", "--institution", "AR-ANSES", "--period", PERIOD, "--comment", COMMENT
            )
            assert reopened.exit_code == 0
        else:  # a new version (same rows, new bytes) is a change: the return is READY again
            fixed = tmp_path / f"roster-{round_number}.csv"
            fixed.write_bytes((EXAMPLES["staffing"] / "valid.csv").read_bytes() + b"\n" * (round_number + 1))
            assert ready.submit(fixed, kind="staffing").receipt["status"] == "ACCEPTED"
    ids = [e["event_id"] for e in events(ready)]
    assert ids == sorted(ids) and len(ids) == len(set(ids))

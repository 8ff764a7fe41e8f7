"""Locking a period (spec cycle.md): every file for it is REJECTED with PERIOD_LOCKED (exit 1) and
still archived, review actions are refused, its final figures stay exactly as they were at lock
time whatever is built later, and unlocking and locking again keeps revision 2 beside revision 1.
The regional summaries say FINAL for it."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.conftest import EXAMPLES, PERIOD, copy_home

pytestmark = pytest.mark.warehouse
FINAL = "select * from {mart} where period = '2026-Q2' order by all"
MARTS = ("final_capacity_by_institution", "final_capacity_by_country", "final_capacity_by_subregion",
         "final_capacity_americas")  # fmt: skip


def rows(ciess, sql: str) -> list[dict]:
    result = ciess.run("query", sql, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def kept_files(home) -> dict[str, str]:
    """The kept final figures of the period, file by file: their SHA-256 (byte for byte)."""
    return {
        str(path.relative_to(home)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((home / "final").glob(f"*/period={PERIOD}/revision=*/*"))
    }


def test_a_locked_period_keeps_its_final_figures_and_refuses_files_and_reviews(example_home, tmp_path):
    ciess = copy_home(example_home, tmp_path)
    assert ciess.run("review", "approve", "--institution", "AR-ANSES", "--period", PERIOD).exit_code == 0
    locked = ciess.run("period", "lock", PERIOD, "--reason", "Quarterly review done")
    assert locked.exit_code == 0, locked.output
    assert "revision 1" in locked.stdout
    first = {mart: rows(ciess, FINAL.format(mart=mart)) for mart in MARTS}
    kept = kept_files(ciess.home)
    assert len(kept) == len(MARTS)
    assert all(first.values()) and {row["revision"] for row in first["final_capacity_americas"]} == {1}
    (mine,) = rows(ciess, "select data_status from capacity_by_institution where institution_code = 'AR-ANSES'")
    assert mine["data_status"] == "final"

    refused = ciess.submit(EXAMPLES["staffing"] / "warning-AGE_UNUSUAL.csv", kind="staffing")
    assert refused.exit_code == 1 and refused.receipt["status"] == "REJECTED"
    (issue,) = [i for i in refused.receipt["issues"] if i["rule"] == "PERIOD_LOCKED"]
    assert "cerrado" in issue["message"]  # AR-ANSES reads Spanish
    assert any((ciess.home / "archive" / refused.receipt["sha256"][:2] / refused.receipt["sha256"]).iterdir())
    review = ciess.run("review", "reopen", "--institution", "AR-ANSES", "--period", PERIOD, "--comment", "x" * 25)
    assert review.exit_code == 1 and "locked" in review.output
    assert ciess.run("period", "lock", PERIOD, "--reason", "again").exit_code == 1

    report = ciess.run("report", "--period", PERIOD, "--subregion", "SOUTHERN_CONE", "--lang", "en")
    assert report.exit_code == 0, report.output
    page = (ciess.home / "reports" / PERIOD).glob("*.en.html")
    assert "FINAL figures, revision 1" in next(page).read_text(encoding="utf-8")

    # a correction: unlock, reopen the approved return, a roster with one row less, a build, lock again
    assert ciess.run("period", "unlock", PERIOD, "--reason", "A late correction of the roster").exit_code == 0
    reason = "The roster counted a staff member twice."
    assert (
        ciess.run("review", "reopen", "--institution", "AR-ANSES", "--period", PERIOD, "--comment", reason).exit_code
        == 0
    )
    shorter = tmp_path / "roster.csv"
    shorter.write_text("".join((EXAMPLES["staffing"] / "valid.csv").read_text().splitlines(keepends=True)[:-1]))
    assert ciess.submit(shorter, kind="staffing").receipt["version"] == 2
    assert ciess.run("build").exit_code == 0
    assert rows(ciess, FINAL.format(mart="final_capacity_americas")) == first["final_capacity_americas"]
    assert ciess.run("period", "lock", PERIOD, "--reason", "Correction taken in").exit_code == 0
    both = {mart: rows(ciess, FINAL.format(mart=mart)) for mart in MARTS}
    for mart in MARTS:
        assert [row for row in both[mart] if row["revision"] == 1] == first[mart], mart
        assert {row["revision"] for row in both[mart]} == {1, 2}
    assert {path: digest for path, digest in kept_files(ciess.home).items() if "revision=1" in path} == kept
    revision_2 = [row for row in both["final_capacity_americas"] if row["revision"] == 2]
    assert revision_2[0]["headcount"] != first["final_capacity_americas"][0]["headcount"]

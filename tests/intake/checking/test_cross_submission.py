"""Warnings against what was already accepted: STAFF_NOT_IN_ROSTER and HEADCOUNT_JUMP."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import EXAMPLES


def test_training_staff_missing_from_the_roster_is_a_warning(roster_accepted, tmp_path):
    text = (EXAMPLES["training"] / "valid.csv").read_text(encoding="utf-8").replace("E0003,SAL-120", "E9999,SAL-120")
    path = tmp_path / "training.csv"
    path.write_text(text, encoding="utf-8")
    result = roster_accepted.submit(path)
    assert (result.exit_code, result.receipt["status"]) == (0, "ACCEPTED_WITH_WARNINGS")
    assert result.receipt["rule_counts"] == {"STAFF_NOT_IN_ROSTER": 1}
    (issue,) = result.receipt["issues"]
    assert (issue["row"], issue["column"], issue["value"]) == (5, "staff_id", "E9999")


def test_training_without_any_roster_says_so_once(ciess):
    result = ciess.submit(EXAMPLES["training"] / "valid.csv")
    assert result.receipt["rule_counts"] == {"STAFF_NOT_IN_ROSTER": 1}
    assert result.receipt["issues"][0]["row"] is None
    assert "plantilla" in result.receipt["issues"][0]["message"]  # AR-ANSES reads Spanish


def _roster(tmp_path: Path, name: str, size: int) -> Path:
    lines = ["staff_id,sex,birth_year,hire_date,occupational_group,employment_type,fte"]
    lines += [f"S{n:05d},F,1980,2010-01-01,ADMINISTRATION,PERMANENT,1" for n in range(size)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_headcount_jump_against_previous_quarter(ciess, tmp_path):
    ciess.submit(_roster(tmp_path, "q1.csv", 100), kind="staffing", period="2026-Q1")
    steady = ciess.submit(_roster(tmp_path, "q2.csv", 125), kind="staffing", period="2026-Q2")
    assert steady.receipt["status"] == "ACCEPTED"  # +25% is not more than 25%
    jump = ciess.submit(_roster(tmp_path, "q3.csv", 160), kind="staffing", period="2026-Q3")
    assert jump.receipt["rule_counts"] == {"HEADCOUNT_JUMP": 1}
    assert "125" in jump.receipt["issues"][0]["message"] and "+28%" in jump.receipt["issues"][0]["message"]

"""The sample-submission generator: same arguments give the same bytes; clean files pass the
contract; every problem file is refused, or warned about, for the rule it was built to show."""

from __future__ import annotations

import json
from datetime import UTC
from itertools import pairwise
from pathlib import Path

import pytest

from pipelines.common.periods import Period
from pipelines.common.registry import institutions
from pipelines.common.settings import Settings
from pipelines.contract.model import load_contract, rule_catalog
from pipelines.intake.checking.validation import FileValidation, validate_file
from pipelines.intake.submission import submit
from sources.generator import DEMO_PERIODS, PlannedSubmission, generate
from sources.problems import PROBLEMS
from sources.simulation import simulate

SUBSET = ["AR-ANSES", "BR-INSS", "HT-ONA", "AI-SSB"]
SCALE = 0.002
ACCEPTED_AS_SENT = {None, "DUPLICATE", "RESUBMISSION"}
CROSS_SUBMISSION = {"STAFF_NOT_IN_ROSTER", "HEADCOUNT_JUMP"}  # checked at intake, not by validate_file


def _severity(problem: str | None) -> str | None:
    if problem in ACCEPTED_AS_SENT:
        return None
    return rule_catalog().severity(problem)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, list[PlannedSubmission]]:
    out = tmp_path_factory.mktemp("generated")
    return out, generate(out, institutions=SUBSET, scale=SCALE)


@pytest.fixture(scope="module")
def validated(generated) -> list[tuple[PlannedSubmission, FileValidation]]:
    _, plan = generated
    return [(item, validate_file(item.path, load_contract(item.kind), Period.parse(item.period))) for item in plan]


def _as_data(plan: list[PlannedSubmission], root: Path) -> list[tuple]:
    return [
        (p.institution, p.kind, p.period, p.path.relative_to(root).as_posix(), p.received_at, p.problem, p.note)
        for p in plan
    ]


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_same_arguments_give_the_same_bytes_and_plan(generated, tmp_path):
    first_dir, first = generated
    second = generate(tmp_path, institutions=SUBSET, scale=SCALE)
    assert _as_data(second, tmp_path) == _as_data(first, first_dir)
    assert _files(tmp_path) == _files(first_dir)
    assert any(name.endswith(".xlsx") for name in _files(first_dir))  # XLSX are part of the comparison


def test_another_seed_gives_other_data(generated, tmp_path):
    first_dir, _ = generated
    generate(tmp_path, institutions=SUBSET, scale=SCALE, seed=7)
    assert _files(tmp_path)["manifest.json"] != _files(first_dir)["manifest.json"]


def test_plan_is_in_upload_order_and_matches_the_manifest(generated):
    out, plan = generated
    times = [item.received_at for item in plan]
    assert times == sorted(times)
    assert all(moment.tzinfo is UTC for moment in times)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [entry["path"] for entry in manifest["submissions"]] == [p.path.relative_to(out).as_posix() for p in plan]
    assert all(item.path.is_file() for item in plan)


def test_every_problem_is_placed_and_not_all_in_one_institution(generated):
    _, plan = generated
    shown = {item.problem for item in plan} - {None}
    assert shown == {spec.code for spec in PROBLEMS}
    assert len({item.institution for item in plan if item.problem}) > 1


def test_rejected_files_are_followed_by_a_clean_one(generated):
    _, plan = generated
    for index, item in enumerate(plan):
        if _severity(item.problem) == "error":
            later = plan[index + 1 :]
            assert any(
                (p.institution, p.kind, p.period, p.problem) == (item.institution, item.kind, item.period, None)
                for p in later
            ), item.path


def test_training_is_sent_after_its_roster(generated):
    _, plan = generated
    for index, item in enumerate(plan):
        if item.kind == "training":
            earlier = plan[:index]
            assert any(
                (p.institution, p.kind, p.period) == (item.institution, "staffing", item.period)
                and _severity(p.problem) != "error"
                for p in earlier
            ), item.path


def _found(result: FileValidation) -> list[tuple]:
    """Every issue of a file check: (rule, row, column, value)."""
    whole_file = [(i.rule, i.row, i.column, i.value) for i in result.issues]
    return whole_file + result.row_issues.select("rule", "row", "column", "value").rows()


def test_clean_and_warning_files_have_no_error(validated):
    for item, result in validated:
        if _severity(item.problem) != "error":
            assert not result.has_errors, (item.path, _found(result))


def test_clean_files_have_no_warning_either(validated):
    for item, result in validated:
        if item.problem in ACCEPTED_AS_SENT or item.problem in CROSS_SUBMISSION:
            assert _found(result) == [], item.path


def test_each_problem_file_shows_its_rule(validated):
    for item, result in validated:
        if item.problem not in ACCEPTED_AS_SENT and item.problem not in CROSS_SUBMISSION:
            assert item.problem in {rule for rule, *_ in _found(result)}, item.path


def test_submitted_in_order_every_file_gets_the_status_it_was_built_for(generated, tmp_path):
    """Through the real intake, so that the cross-submission warnings and duplicates count too."""
    _, plan = generated
    settings = Settings.from_env(tmp_path / "home")
    for item in plan:
        receipt = submit(item.path, item.institution, item.kind, item.period, settings, received_at=item.received_at)
        receipt = receipt.receipt
        severity = _severity(item.problem)
        if item.problem == "DUPLICATE":
            assert receipt["status"] == "DUPLICATE", item.path
        elif severity == "error":
            assert receipt["status"] == "REJECTED" and item.problem in receipt["rule_counts"], item.path
        elif severity == "warning":
            assert receipt["status"] == "ACCEPTED_WITH_WARNINGS", item.path
            assert set(receipt["rule_counts"]) == {item.problem}, (item.path, receipt["rule_counts"])
        else:
            assert receipt["status"] == "ACCEPTED", (item.path, receipt["rule_counts"])


def test_without_problems_every_file_is_clean(tmp_path):
    plan = generate(tmp_path, institutions=["AI-SSB", "HT-ONA"], scale=SCALE, with_problems=False)
    assert plan
    assert {item.problem for item in plan} == {None}


def test_staff_stay_from_quarter_to_quarter_with_a_little_turnover():
    institution = institutions()["AR-ANSES"]
    history = simulate(institution, DEMO_PERIODS, 0.01, 2026)
    assert len(history.rosters[DEMO_PERIODS[0]]) == pytest.approx(institution.approx_staff * 0.01, rel=0.05)
    for previous, current in pairwise(DEMO_PERIODS):
        before = {staff.staff_id for staff in history.rosters[previous]}
        now = {staff.staff_id for staff in history.rosters[current]}
        assert 0.94 <= len(before & now) / len(before) <= 0.99
        assert all(staff.hire_date <= current.end for staff in history.rosters[current])
        trained = {row["staff_id"] for row in history.training[current]}
        assert trained <= now
        assert 0.3 <= len(trained) / len(now) <= 0.7

"""Fuzzing the intake (issue "Hostile input"): hostile CSV and XLSX files, made by the hypothesis
strategies of benchmarks/fuzz_files.py, go through `submit` (what `ciess submit` runs). Every one
gets a receipt (ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED or DUPLICATE) whose rule codes are in
the catalogue, no exception escapes, and the ledger gets one row per decision.

A few hundred examples here, the same every run (derandomised); the long run, with other seeds and
bigger files, is `make fuzz` (benchmarks/fuzz_intake.py, figures in docs/reliability.md). One home
per test, so institutions and periods repeat across examples: DUPLICATE is one of the outcomes."""

from __future__ import annotations

import sys

import pytest
from hypothesis import HealthCheck, given, settings

from pipelines.common.paths import PROJECT_ROOT
from pipelines.common.settings import Settings

sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
from fuzz_files import FuzzFile, csv_files, ledger_rows, submit_fuzzed, xlsx_files  # the strategies live there

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one home for all the examples of a test, on purpose
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
SMALL = {"huge": 5_000, "max_repeat": 50}  # files of a few hundred KB at most: seconds, not minutes


def _sent(ciess, tmp_path, fuzzed: FuzzFile) -> None:
    home = Settings.from_env(ciess.home)
    before = ledger_rows(home)
    receipt, problems = submit_fuzzed(home, tmp_path, fuzzed)
    assert not problems, (problems, receipt)
    assert ledger_rows(home) == before + 1


@pytest.mark.long
@settings(FUZZ, max_examples=200)
@given(fuzzed=csv_files(**SMALL))
def test_every_hostile_csv_gets_a_receipt(ciess, tmp_path, fuzzed):
    _sent(ciess, tmp_path, fuzzed)


@pytest.mark.long
@pytest.mark.filterwarnings("ignore:Workbook contains no:UserWarning")  # openpyxl, on a workbook without styles
@settings(FUZZ, max_examples=150)
@given(fuzzed=xlsx_files(**SMALL))
def test_every_hostile_workbook_gets_a_receipt(ciess, tmp_path, fuzzed):
    _sent(ciess, tmp_path, fuzzed)

"""Many writers, one slot: 400 submissions of one institution's roster for one quarter from 8
processes at once, on the lane's backend (SQLite here, PostgreSQL in `make test-postgres`).
Every file gets its receipt, each distinct file is one version, the versions are 1..N with no gap
and no number twice, and a file sent twice is a DUPLICATE of its one version."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from pathlib import Path

import pytest

from pipelines.common.settings import Settings
from pipelines.intake.submission import submit
from tests.conftest import EXAMPLES, PERIOD, ledger_of

FILES, PROCESSES, DISTINCT = 400, 8, 320  # the last 80 files repeat earlier ones


def _roster(folder: Path, number: int) -> Path:
    path = folder / f"roster-{number:03d}.csv"
    extra = f"E9{number % DISTINCT:03d},F,1990,2015-01-01,ADMINISTRATION,PERMANENT,1\n"
    path.write_text((EXAMPLES["staffing"] / "valid.csv").read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def _send(job: tuple[str, str]) -> tuple[str, int | None, str]:
    home, path = job
    result = submit(Path(path), "AR-ANSES", "staffing", PERIOD, Settings.from_env(home))
    return result.receipt["status"], result.receipt["version"], result.receipt["submission_id"]


@pytest.mark.long
@pytest.mark.postgres
def test_400_concurrent_submissions_to_one_slot_are_numbered_without_gaps(tmp_path, database):
    home = tmp_path / "home"
    assert Settings.from_env(home).ledger.backend == ("postgresql" if database else "sqlite")
    files = [_roster(tmp_path, number) for number in range(FILES)]
    # spawned, not forked: each process opens its own connections, as separate portal workers do
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        outcomes = pool.map(_send, [(str(home), str(path)) for path in files], chunksize=5)

    statuses = Counter(status for status, _, _ in outcomes)
    assert statuses == {"ACCEPTED": DISTINCT, "DUPLICATE": FILES - DISTINCT}
    versions = sorted(version for status, version, _ in outcomes if status == "ACCEPTED")
    assert versions == list(range(1, DISTINCT + 1))
    ledger = ledger_of(home)
    recorded = [row for row in ledger.all() if row.status == "ACCEPTED"]
    assert sorted(row.version for row in recorded) == versions and len(ledger.all()) == FILES
    assert ledger.current("AR-ANSES", "staffing", PERIOD).version == DISTINCT

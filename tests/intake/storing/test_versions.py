"""Decisions across uploads: DUPLICATE, versions and supersedes, and the archive keeps everything."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import EXAMPLES, ledger_of, read_issues_csv


def _corrected(tmp_path: Path) -> Path:
    text = (EXAMPLES["training"] / "valid.csv").read_text(encoding="utf-8").replace(",40,COMPLETED", ",42,COMPLETED")
    path = tmp_path / "corrected.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_identical_upload_is_duplicate_and_corrected_one_is_version_2(roster_accepted, tmp_path):
    first = roster_accepted.submit(EXAMPLES["training"] / "valid.csv")
    assert (first.receipt["status"], first.receipt["version"], first.receipt["supersedes"]) == ("ACCEPTED", 1, None)

    again = roster_accepted.submit(EXAMPLES["training"] / "valid.csv")
    assert (again.exit_code, again.receipt["status"], again.receipt["version"]) == (0, "DUPLICATE", 1)
    assert again.receipt["sha256"] == first.receipt["sha256"]

    second = roster_accepted.submit(_corrected(tmp_path))
    assert (second.receipt["status"], second.receipt["version"]) == ("ACCEPTED", 2)
    assert second.receipt["supersedes"] == first.receipt["submission_id"]

    ledger = ledger_of(roster_accepted.home)
    assert ledger.current("AR-ANSES", "training", "2026-Q2").submission_id == second.receipt["submission_id"]
    lake = sorted(
        p.relative_to(roster_accepted.home).as_posix() for p in (roster_accepted.home / "lake").rglob("*.parquet")
    )
    assert [p for p in lake if p.startswith("lake/training")] == [
        "lake/training/period=2026-Q2/institution=AR-ANSES/version=1/rows.parquet",
        "lake/training/period=2026-Q2/institution=AR-ANSES/version=2/rows.parquet",
    ]


def test_rejected_file_and_its_receipt_stay_in_the_archive(roster_accepted):
    bad = EXAMPLES["training"] / "invalid-DATE_ORDER.csv"
    result = roster_accepted.submit(bad)
    assert result.receipt["status"] == "REJECTED"
    row = ledger_of(roster_accepted.home).get(result.receipt["submission_id"])
    archived = roster_accepted.home / row.archive_path
    assert archived.read_bytes() == bad.read_bytes()
    assert hashlib.sha256(archived.read_bytes()).hexdigest() == result.receipt["sha256"]
    assert json.loads((roster_accepted.home / row.receipt_path).read_text(encoding="utf-8")) == result.receipt
    assert "DATE_ORDER" in {issue["rule"] for issue in read_issues_csv(roster_accepted.home / row.issues_path, "es")}
    assert not (roster_accepted.home / "lake" / "training").exists()  # nothing of it reached the lake


def test_resending_a_rejected_file_is_checked_again_not_duplicate(roster_accepted):
    bad = EXAMPLES["training"] / "invalid-DATE_ORDER.csv"
    first, second = roster_accepted.submit(bad), roster_accepted.submit(bad)
    assert first.receipt["status"] == second.receipt["status"] == "REJECTED"
    assert first.receipt["submission_id"] != second.receipt["submission_id"]


def _submit_in_own_process(home: Path, path: Path, institution: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli.main", "--home", str(home), "submit", str(path), "--institution",
         institution, "--kind", "staffing", "--period", "2026-Q2", "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_uploads_at_the_same_moment_are_all_recorded(tmp_path):
    """Four processes at once: two institutions, each a different and an identical file."""
    home = tmp_path / "home"
    valid = EXAMPLES["staffing"] / "valid.csv"
    other = tmp_path / "other.csv"
    other.write_text(valid.read_text(encoding="utf-8").replace("E0006,F,1981", "E0006,F,1982"), encoding="utf-8")
    jobs = [(valid, "AR-ANSES"), (other, "AR-ANSES"), (valid, "BR-INSS"), (valid, "BR-INSS")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        receipts = list(pool.map(lambda job: _submit_in_own_process(home, *job), jobs))

    rows = ledger_of(home).all()
    assert len(rows) == 4
    anses = sorted(r.version for r in rows if r.institution == "AR-ANSES")
    assert anses == [1, 2]
    inss = sorted(r.status for r in rows if r.institution == "BR-INSS")
    assert inss == ["ACCEPTED", "DUPLICATE"]
    assert {r["submission_id"] for r in receipts} == {r.submission_id for r in rows}
    lake = list((home / "lake" / "staffing").rglob("*.parquet"))
    assert len(lake) == 3  # AR-ANSES v1, v2 and BR-INSS v1; the duplicate added nothing

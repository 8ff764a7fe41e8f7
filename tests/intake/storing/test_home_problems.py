"""A home folder after a bad day (issue "Hostile input"): a deleted or damaged ledger, leftovers of
processes killed mid-intake, a full disk. Each gets a plain message and exit 2, nothing is
overwritten or half-written, and `ciess doctor --repair` mends what can be mended."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from tests.conftest import EXAMPLES, Ciess, ledger_of

ROSTER = EXAMPLES["staffing"] / "valid.csv"
OLD = time.time() - 2 * 3600  # older than any running process could be


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shorter_roster(tmp_path, drop: int = 1):
    lines = ROSTER.read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / f"roster-{drop}.csv"
    path.write_text("".join(lines[:-drop]), encoding="utf-8")
    return path


def age(path) -> None:
    for inner in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(inner, (OLD, OLD))


@pytest.mark.sqlite_only
def test_a_deleted_ledger_stops_the_intake_and_the_lake_is_not_overwritten(ciess, tmp_path):
    first = ciess.submit(ROSTER, kind="staffing").receipt
    lake_v1 = ciess.home / ledger_of(ciess.home).get(first["submission_id"]).lake_path
    kept = digest(lake_v1)
    (ciess.home / "ledger.sqlite").unlink()

    refused = ciess.submit(shorter_roster(tmp_path), kind="staffing")
    assert refused.exit_code == 1 and "ledger" in refused.output and "ciess doctor" in refused.output
    assert digest(lake_v1) == kept and not (ciess.home / "ledger.sqlite").exists()
    doctor = ciess.run("doctor")
    assert doctor.exit_code == 1 and "ACTION  the ledger (" in doctor.stdout and "is missing" in doctor.stdout


@pytest.mark.sqlite_only
def test_a_damaged_ledger_is_said_in_plain_words(ciess, tmp_path):
    ciess.submit(ROSTER, kind="staffing")
    (ciess.home / "ledger.sqlite").write_bytes(b"this is not a database" * 100)
    refused = ciess.submit(shorter_roster(tmp_path), kind="staffing")
    assert refused.exit_code == 1 and "damaged or unreadable" in refused.output and "Traceback" not in refused.output
    assert "ACTION  the ledger cannot be read" in ciess.run("doctor").stdout


def test_leftovers_of_killed_intakes_are_found_mended_and_never_decided(ciess, tmp_path):
    first = ciess.submit(ROSTER, kind="staffing").receipt
    home = ciess.home
    # what kill -9 leaves at each point of an intake
    staging = home / "lake" / ".staging" / "tmpdead.parquet"
    staging.parent.mkdir(parents=True, exist_ok=True)
    staging.write_bytes(b"x" * 1000)
    incoming = home / "archive" / ".incoming-dead"
    incoming.write_bytes(b"y" * 1000)
    keys = home / ".scratch" / "keys-dead"
    keys.mkdir(parents=True)
    (keys / "0.arrow").write_bytes(b"E0001 raw staff ids")
    row = ledger_of(home).get(first["submission_id"])
    orphan_lake = (home / row.lake_path).parent.parent / "version=2" / "rows.parquet"
    orphan_lake.parent.mkdir(parents=True)
    shutil.copy(home / row.lake_path, orphan_lake)  # placed, then killed before the commit
    orphan_receipt = home / "archive" / "ab" / ("ab" * 32) / "20260101T000000-dead" / "receipt.json"
    orphan_receipt.parent.mkdir(parents=True)
    orphan_receipt.write_text('{"status": "ACCEPTED", "version": 2}', encoding="utf-8")
    half_issues = (home / row.receipt_path).parent / ".issues.csv.dead.tmp"  # cut off while written
    half_issues.write_text("row,column\n1,", encoding="utf-8")
    for path in (staging, incoming, keys, orphan_lake, orphan_receipt, half_issues):
        age(path)

    # the lake is never overwritten: the next version is refused until the home is mended
    blocked = ciess.submit(shorter_roster(tmp_path), kind="staffing")
    assert blocked.exit_code == 1 and "lake already holds" in blocked.output
    assert digest(orphan_lake) == digest(home / row.lake_path)
    assert [r.version for r in ledger_of(home).all() if r.version] == [1]
    # the submission's own start swept the leftovers of dead processes
    assert not staging.exists() and not incoming.exists() and not keys.exists() and not half_issues.exists()

    found = ciess.run("doctor")
    assert found.exit_code == 1
    assert "lake file the ledger does not know" in found.stdout and "receipt of a submission" in found.stdout
    mended = ciess.run("doctor", "--repair")
    assert mended.exit_code == 0, mended.stdout
    assert not orphan_lake.exists() and (orphan_receipt.parent / "receipt.undecided.json").exists()
    assert ciess.run("doctor").exit_code == 0

    again = ciess.submit(shorter_roster(tmp_path, drop=2), kind="staffing")
    assert (again.exit_code, again.receipt["version"]) == (0, 2)


def test_the_home_is_private_and_the_key_index_stays_inside_it(ciess, tmp_path, monkeypatch):
    # the system's temporary folder made unusable: an intake that wrote raw staff ids there would fail
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-folder"))
    assert ciess.submit(ROSTER, kind="staffing").receipt["status"] == "ACCEPTED"
    assert ciess.home.stat().st_mode & 0o777 == 0o700
    (original,) = (ciess.home / "archive").glob("*/*/original*")
    assert original.stat().st_mode & 0o777 == 0o400
    assert not any((ciess.home / ".scratch").iterdir())


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.decode().strip() or 'not root'})")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_refuses_the_file_whole_and_leaves_the_ledger_readable(small_disk, tmp_path):
    ciess = Ciess(small_disk / "home")
    assert ciess.submit(ROSTER, kind="staffing").exit_code == 0
    big = tmp_path / "big.csv"
    header, *rows = ROSTER.read_text(encoding="utf-8").splitlines()
    with open(big, "w", encoding="utf-8") as handle:
        handle.write(header + "\n")
        for index in range(40_000):
            handle.write(f"E{index:06d}," + rows[0].split(",", 1)[1] + "\n")
    filler = small_disk / "filler"
    free = shutil.disk_usage(small_disk).free
    filler.write_bytes(b"\0" * max(0, free - 200_000))  # less room than the file needs

    room = shutil.disk_usage(small_disk).free
    refused = ciess.submit(big, kind="staffing")
    assert refused.exit_code == 1 and "is full" in refused.output and "Traceback" not in refused.output
    assert not list((ciess.home / "archive").glob(".incoming-*"))  # no partial copy keeps the disk full
    sizes = {str(p.relative_to(small_disk)): p.stat().st_size for p in small_disk.rglob("*") if p.is_file()}
    assert shutil.disk_usage(small_disk).free >= room - 64_000, sorted(sizes.items(), key=lambda x: -x[1])[:8]

    filler.unlink()  # once the disk has room, the ledger reads and holds nothing half-recorded
    audit = ciess.run("audit", "--json")
    assert audit.exit_code == 0, audit.output
    assert len(ledger_of(ciess.home).all()) == 1
    accepted = ciess.submit(big, kind="staffing")
    assert accepted.exit_code == 0 and accepted.receipt["version"] == 2

"""What a crash, a full disk or a careless hand can leave in the home folder, found and mended
(`ciess doctor [--repair]`); the quick part (leftovers of dead processes) also runs before each
submission and when the portal starts.

- leftovers: staging files of the lake, partial copies into the archive, key indexes, uploads of
  the portal never taken in or never confirmed; removed once older than a process could still be
  using them;
- lake files that the ledger does not know (a crash between placing the file and the commit):
  never read by the warehouse, which takes only the ledger's current versions; removed;
- receipts of submissions the ledger does not know (same crash, earlier): the file itself stays in
  the archive; the receipt is renamed `receipt.undecided.json`, so that it is not taken for a decision;
- a missing or damaged ledger: said, with what to do (it is not rebuilt here);
- files that other users of the machine could read: the home folder made 0700, its files 0600.
The archive's received files are never removed."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from pipelines.common.settings import Settings
from pipelines.common.store import STORE_ERRORS

SWEEP_AGE = 3600  # seconds: before a submission or at the portal's start, nothing younger is touched
DOCTOR_AGE = 600  # seconds: `ciess doctor --repair`, run by a person who knows what is running
LEFTOVER_PLACES = (
    ("lake", ".staging/*"),
    ("archive", ".incoming-*"),
    ("archive", "*/*/*/.*.tmp"),  # a receipt or issues list cut off while written beside its file
    ("lake", "*/*/*/*/.*.tmp"),
    ("lake", "*/*/*/*/*.partial"),
    (".", ".scratch/*"),
    (".", ".pending-uploads/*"),
    (".", ".upload-*"),
)


@dataclass
class Finding:
    problem: str
    path: Path | None
    repair: str | None  # what --repair does, or None when a person must act
    repaired: bool = False


def _age(path: Path) -> float:
    """Seconds since anything in `path` (a file, or a folder and what it holds) last changed; 0 for
    what vanishes while it is looked at (another worker's upload, taken in and removed meanwhile:
    in use until then, so never a leftover)."""
    try:
        newest = path.lstat().st_mtime
        if path.is_dir() and not path.is_symlink():
            for inner in path.rglob("*"):
                newest = max(newest, inner.lstat().st_mtime)
    except FileNotFoundError:
        return 0.0
    return time.time() - newest


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def leftovers(settings: Settings, older_than: float) -> list[Path]:
    found = []
    for base, pattern in LEFTOVER_PLACES:
        folder = settings.home if base == "." else settings.home / base
        if folder.is_dir():
            found += [path for path in folder.glob(pattern) if _age(path) >= older_than]
    return sorted(found)


def sweep_leftovers(settings: Settings, older_than: float = SWEEP_AGE) -> int:
    """Remove the leftovers of dead processes; how many. Quick: a few folders are listed."""
    found = leftovers(settings, older_than)
    for path in found:
        _remove(path)
    return len(found)


def _ledger_state(settings: Settings) -> tuple[Finding | None, set[str], set[str]]:
    """A problem of the ledger, and the lake paths and submission ids it knows."""
    store = settings.ledger
    path = settings.ledger_path if store.backend == "sqlite" else None
    try:
        if not store.has_table("submissions"):
            receipts = sum(1 for _ in settings.archive_dir.glob("*/*/*/receipt.json"))
            if receipts:
                return Finding(f"the ledger ({store.describe()}) is missing while the archive holds {receipts} "
                               "receipts; put it back from a backup (nothing is taken in until then)",
                               path, None), set(), set()  # fmt: skip
            return None, set(), set()
        if store.backend == "sqlite":  # PostgreSQL checks its own pages
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
                (verdict,) = connection.execute("pragma integrity_check").fetchone()
            if verdict != "ok":
                damaged = Finding(f"the ledger is damaged ({verdict}); put it back from a backup", path, None)
                return damaged, set(), set()
        with closing(store.connect()) as connection:
            rows = connection.execute("select submission_id, lake_path from submissions").fetchall()
    except STORE_ERRORS as error:
        return Finding(f"the ledger cannot be read ({error}); put it back from a backup", path, None), set(), set()
    return None, {row[1] for row in rows if row[1]}, {row[0] for row in rows}


def _private(settings: Settings) -> Iterator[Path]:
    """What in the home folder other users could read (the home itself included). Nothing, while
    the home is its owner's only: no one else can open a path through it (dbt copies a file of its
    own there with the mode it had in the project)."""
    if not settings.home.lstat().st_mode & 0o077:
        return
    for path in [settings.home, *settings.home.rglob("*")]:
        if path.is_symlink():
            continue
        if path.lstat().st_mode & 0o077:
            yield path


def _make_private(path: Path) -> None:
    mode = path.lstat().st_mode
    if stat.S_ISDIR(mode):
        path.chmod(0o700)
    else:
        path.chmod(stat.S_IMODE(mode) & 0o700 or 0o600)


def examine(settings: Settings, repair: bool = False, older_than: float = DOCTOR_AGE) -> list[Finding]:
    findings = [Finding("left by a process that died", path, "removed") for path in leftovers(settings, older_than)]
    ledger_problem, lake_paths, submissions = _ledger_state(settings)
    if ledger_problem:
        findings.append(ledger_problem)
    else:
        for lake_file in sorted(settings.lake_dir.glob("*/*/*/version=*/rows.parquet")):
            relative = str(lake_file.relative_to(settings.home))
            if relative not in lake_paths and _age(lake_file) >= older_than:
                findings.append(Finding("a lake file the ledger does not know (never in the warehouse)", lake_file,
                                        "removed"))  # fmt: skip
        for receipt in sorted(settings.archive_dir.glob("*/*/*/receipt.json")):
            if receipt.parent.name not in submissions and _age(receipt) >= older_than:
                problem = "a receipt of a submission the ledger does not know (the file stays archived: send it again)"
                findings.append(Finding(problem, receipt, "renamed receipt.undecided.json"))
    exposed = list(_private(settings))
    if exposed:
        findings.append(Finding(f"{len(exposed)} files or folders that other users of this machine can read",
                                settings.home, "made private (folders 0700, files 0600)"))  # fmt: skip
    if repair:
        for finding in findings:
            if finding.repair is None:
                continue
            if finding.repair == "removed":
                _remove(finding.path)
            elif finding.repair.startswith("renamed"):
                os.replace(finding.path, finding.path.with_name("receipt.undecided.json"))
            else:
                for path in exposed:
                    _make_private(path)
            finding.repaired = True
    return findings

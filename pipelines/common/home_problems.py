"""Problems of the home folder itself (not of a submitted file), said in plain words with what to
do: a missing or damaged ledger, a full disk, a folder that cannot be written. The command line
prints them and exits 1; the portal answers 503. Nothing is half-written when they are raised:
the ledger's transaction is rolled back, and the archive and the lake are never overwritten."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

DOCTOR = "run `ciess doctor` to see what is wrong and `ciess doctor --repair` to mend what can be"


class HomeProblem(Exception):
    """The home folder is not in a state to carry out the command; the message says what to do."""


def missing_ledger(ledger_path: Path) -> HomeProblem | None:
    """A ledger that is missing while the archive holds receipts: taking a file in would number
    versions again from 1 over the lake's existing ones."""
    if ledger_path.exists():
        return None
    archive = ledger_path.parent / "archive"
    if archive.is_dir() and next(archive.glob("*/*/*/receipt.json"), None) is not None:
        return HomeProblem(
            f"the ledger {ledger_path} is missing, but the archive holds the receipts of earlier submissions; "
            "nothing was taken in, so that no version is numbered twice. Put the ledger back from a backup, "
            f"or {DOCTOR}"
        )
    return None


NEARLY_FULL_BYTES = 4 << 20  # less free than this, and a write that failed is the disk being full


def plain_words(error: BaseException, home: Path) -> str | None:
    """What a storage error means for the home folder, or None when it is not one of those."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"the disk that holds {home} is full; nothing was recorded. Free some space (`ciess doctor` "
                "lists leftovers it can remove) and send the file again")  # fmt: skip
    if isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
        return (f"cannot write in {home} ({error.strerror}: {error.filename}); nothing was recorded. "
                "Check the folder's owner and mode")  # fmt: skip
    full = f"the disk that holds {home} is full; nothing was recorded. Free some space and send the file again"
    if isinstance(error, sqlite3.OperationalError) and "disk" in str(error).lower() and "full" in str(error).lower():
        return full
    # SQLite says "disk I/O error" when a write into a full disk fails in some of its paths (the WAL's
    # index on a full tmpfs, seen under load): a full disk then, not a damaged ledger
    if isinstance(error, sqlite3.DatabaseError) and "disk i/o" in str(error).lower() and _nearly_full(home):
        return full
    if isinstance(error, sqlite3.OperationalError) and "readonly" in str(error).lower():
        return f"the ledger in {home} cannot be written (read-only); nothing was recorded. Check its owner and mode"
    if isinstance(error, sqlite3.DatabaseError) and any(
        word in str(error).lower() for word in ("malformed", "not a database", "disk i/o")
    ):
        return f"the ledger in {home} is damaged or unreadable ({error}); nothing was recorded; {DOCTOR}"
    return None


def _nearly_full(home: Path) -> bool:
    try:
        return shutil.disk_usage(home).free < NEARLY_FULL_BYTES
    except OSError:
        return False

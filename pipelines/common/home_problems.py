"""Problems of the home folder itself (not of a submitted file), said in plain words with what to
do: a missing or damaged ledger, a full disk, a folder that cannot be written. The command line
prints them and exits 1; the portal answers 503. Nothing is half-written when they are raised:
the ledger's transaction is rolled back, and the archive and the lake are never overwritten."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

import psycopg

from pipelines.common.store import Store

DOCTOR = "run `ciess doctor` to see what is wrong and `ciess doctor --repair` to mend what can be"


class HomeProblem(Exception):
    """The home folder is not in a state to carry out the command; the message says what to do."""


def missing_ledger(store: Store, home: Path) -> HomeProblem | None:
    """A ledger that is missing (its file, or its tables in the home's database) while the archive
    holds receipts: taking a file in would number versions again from 1 over the lake's existing ones."""
    archive = home / "archive"
    if not (archive.is_dir() and next(archive.glob("*/*/*/receipt.json"), None) is not None):
        return None
    if store.has_table("submissions"):
        return None
    where = f"the ledger {store.describe()} is missing" if store.backend == "sqlite" else (
        f"the database {store.describe()} holds no ledger")  # fmt: skip
    return HomeProblem(
        f"{where}, but the archive holds the receipts of earlier submissions; nothing was taken in, so that no "
        f"version is numbered twice. Put the ledger back from a backup (or set the home's right database), or {DOCTOR}"
    )


NEARLY_FULL_BYTES = 4 << 20  # less free than this, and a write that failed is the disk being full


def plain_words(error: BaseException, home: Path) -> str | None:
    """What a storage error means for the home folder, or None when it is not one of those."""
    if isinstance(error, psycopg.OperationalError):
        return (f"the ledger's database cannot be reached ({_first_line(error)}); nothing was recorded. Check that "
                "PostgreSQL is running and that CIESS_DATABASE_URL (or the home's database.url) names it")  # fmt: skip
    if isinstance(error, psycopg.Error) and getattr(error, "sqlstate", None) in ("53100", "53200"):
        return f"the ledger's database is out of disk or memory ({_first_line(error)}); nothing was recorded"
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


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _nearly_full(home: Path) -> bool:
    try:
        return shutil.disk_usage(home).free < NEARLY_FULL_BYTES
    except OSError:
        return False

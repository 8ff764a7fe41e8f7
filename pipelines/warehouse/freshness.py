"""Whether the published marts are already what a build would publish: the same ledger (every
submission, explanation, review and lock), the same lake, the same final revisions, the same code
(the package, the contracts, the dbt project) and versions of dbt, Dagster, DuckDB and polars, the
same settings and the same day (a submission's compliance depends on today's date
against its deadline). `ciess build` then says so and starts neither Dagster nor dbt.

The fingerprint is taken before a build starts and recorded once it has published, so a file
that lands during a build makes the next build run."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date
from importlib.metadata import version
from pathlib import Path

import filelock

from pipelines.common.paths import PROJECT_ROOT
from pipelines.common.settings import Settings
from pipelines.common.store import STORE_ERRORS
from pipelines.contract.model import KINDS
from pipelines.intake.storing.ledger import LOCK as LEDGER_LOCK
from pipelines.intake.storing.ledger import WAREHOUSE_TABLES
from pipelines.warehouse import databases
from pipelines.warehouse.final_figures import final_dir

CODE_FOLDERS = ("pipelines", "schemas", "sources", "dbt_project")
CODE_SUFFIXES = {".py", ".yaml", ".yml", ".sql", ".csv", ".j2", ".json"}
NOT_CODE = {"__pycache__", "target", "logs", "dbt_packages"}


# Settings that change nothing in the marts (and a password is never written to a file).
NOT_MARTS = ("home", "portal_url", "smtp_host", "smtp_port", "smtp_user", "smtp_password", "smtp_from", "smtp_starttls",
             "database_url")  # where the ledger is kept: its rows are compared, not its address""")  # fmt: skip


def fingerprint(settings: Settings, today: date) -> dict[str, str]:
    return {
        # every row the warehouse reads of the ledger's database (not the notices': contacts, outbox)
        "ledger": settings.ledger.digest(WAREHOUSE_TABLES),
        # the submissions' rows (the build writes the lake's other tables, and an empty one per kind)
        "lake": "".join(_listing(settings.lake_dir / kind, "rows.parquet") for kind in KINDS),
        "final": _listing(final_dir(settings)),
        "code": _code(),
        # not the home's path: a home copied or moved whole publishes the same marts
        "settings": json.dumps({k: str(v) for k, v in asdict(settings).items() if k not in NOT_MARTS}, sort_keys=True),
        "day": today.isoformat(),
    }


def fingerprint_path(settings: Settings) -> Path:
    return databases.warehouse_dir(settings) / "published.fingerprint.json"


def unchanged_since_publish(settings: Settings, now: dict[str, str] | None) -> bool:
    """The last publish was taken from `now`, and its database is still the one it wrote, whole."""
    recorded = fingerprint_path(settings)
    if now is None or not recorded.exists() or not databases.published_database(settings).exists():
        return False
    try:
        if json.loads(recorded.read_text(encoding="utf-8")) != {**now, "published": _published(settings)}:
            return False
        databases.open_published(settings).close()
    except (OSError, ValueError, databases.NothingPublished):
        return False
    return True


def record(settings: Settings, taken: dict[str, str]) -> None:
    """What the publish just made was taken from `taken` (and the database it wrote)."""
    text = json.dumps({**taken, "published": _published(settings)}, indent=1)
    fingerprint_path(settings).write_text(text, encoding="utf-8")


def _published(settings: Settings) -> str:
    stat = databases.published_database(settings).stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def forget(settings: Settings) -> None:
    """The last publish no longer stands for the home (a later build failed): the next one builds."""
    fingerprint_path(settings).unlink(missing_ok=True)


def current_publish(settings: Settings, today: date) -> Path | None:
    """The published database when no build is running and nothing changed since it was published
    (a build would publish the same marts), else None."""
    lock = filelock.FileLock(databases.warehouse_dir(settings) / "build.lock")
    if not databases.warehouse_dir(settings).exists():
        return None
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        return None  # a build is running: the caller waits for it
    try:
        return (
            databases.published_database(settings)
            if unchanged_since_publish(settings, taken(settings, today))
            else None
        )
    finally:
        lock.release()


def taken(settings: Settings, today: date) -> dict[str, str] | None:
    """The fingerprint, or None when the home cannot be read whole (a damaged ledger, a file gone
    while listed): then nothing is skipped and nothing recorded, and the build says what is wrong."""
    try:
        return fingerprint(settings, today)
    except (OSError, *STORE_ERRORS):
        return None


def _listing(folder: Path, pattern: str = "*") -> str:
    if not folder.exists():
        return ""
    entries = sorted(
        f"{path.relative_to(folder)}:{path.stat().st_size}:{path.stat().st_mtime_ns}"
        for path in folder.rglob(pattern)
        if path.is_file()
    )
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


def _code() -> str:
    digest = hashlib.sha256()
    # dbt's manifest is made of the project's files (below) by the installed versions; its bytes
    # change with every parse (invocation, timestamps), so the versions are what is compared
    for package in ("dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "duckdb", "polars"):
        digest.update(f"{package}={version(package)}".encode())
    files = []
    for name in CODE_FOLDERS:
        files += [
            path for path in (PROJECT_ROOT / name).rglob("*")
            if path.suffix in CODE_SUFFIXES and path.is_file()
            and not NOT_CODE & set(path.relative_to(PROJECT_ROOT).parts)  # not the folders above the project
        ]  # fmt: skip
    for path in sorted(set(files)):
        if path.exists():
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class RefreshDecision:
    """Whether the daemon should build now (`key` names the state it would publish), and why not."""

    due: bool
    reason: str
    key: str | None = None


def last_change(settings: Settings) -> float | None:
    """When the ledger last changed (a submission, an explanation, a review, a lock): the newest
    modification of its files, in seconds since the epoch; None for a home with no ledger."""
    return settings.ledger.last_change(LEDGER_LOCK)


def refresh_due(settings: Settings, now: float, quiet_seconds: float, today: date) -> RefreshDecision:
    """Debounced: a build is due when something changed since the last publish, no build is running,
    and nothing has changed for `quiet_seconds` (one build after a burst of uploads, not one each)."""
    changed = last_change(settings)
    if changed is None:
        return RefreshDecision(False, "nothing received yet")
    if now - changed < quiet_seconds:
        return RefreshDecision(False, f"changes are still landing (the last {now - changed:.0f} s ago); waiting for "
                                      f"{quiet_seconds:.0f} s of quiet")  # fmt: skip
    lock = filelock.FileLock(databases.warehouse_dir(settings) / "build.lock")
    databases.warehouse_dir(settings).mkdir(parents=True, exist_ok=True)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        return RefreshDecision(False, "a build is running")
    try:
        now_taken = taken(settings, today)
        if now_taken is None:
            return RefreshDecision(True, "the home cannot be read whole: a build will say what is wrong", "unreadable")
        if unchanged_since_publish(settings, now_taken):
            return RefreshDecision(False, "nothing new since the last publish")
        digest = hashlib.sha256(json.dumps(now_taken, sort_keys=True).encode()).hexdigest()[:16]
        return RefreshDecision(True, "new data since the last publish", digest)
    finally:
        lock.release()

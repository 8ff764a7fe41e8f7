"""The home folder and the few settings an installation can change.

All state lives under one home folder ($CIESS_HOME, default ./data). The environment is read
when a Settings object is made (by the CLI or a Dagster resource), never at import time.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.common.store import Store, open_store

DEFAULT_DEADLINE_DAYS = 45
DEFAULT_MAX_UPLOAD_MB = 200
DEFAULT_HELPDESK = "CIESS"
DEFAULT_PORTAL_URL = "http://127.0.0.1:8000"  # `ciess serve`'s own address: the link every notice gives
DEFAULT_SMTP_PORT = 25
DEFAULT_SMTP_FROM = "CIESS <notices@ciess.example.org>"


@dataclass(frozen=True)
class Settings:
    home: Path
    deadline_days: int = DEFAULT_DEADLINE_DAYS
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB
    helpdesk: str = DEFAULT_HELPDESK  # whom a refused institution is told to ask (receipts of the cycle's rules)
    portal_url: str = DEFAULT_PORTAL_URL
    smtp_host: str | None = None  # none: notices are written as .eml files under <home>/outbox/
    smtp_port: int = DEFAULT_SMTP_PORT
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)  # never printed with the settings
    smtp_from: str = DEFAULT_SMTP_FROM
    smtp_starttls: bool = False
    # PostgreSQL for the ledger, tokens and rate limits (pipelines.common.store); none: SQLite files in the home
    database_url: str | None = field(default=None, repr=False)  # may hold a password

    @classmethod
    def from_env(cls, home: str | Path | None = None, **overrides) -> Settings:
        """The settings of the environment (and of the home's database.url), with `overrides`."""
        env = os.environ
        home = Path(home or env.get("CIESS_HOME") or "data").resolve()
        return cls(
            home=home,
            deadline_days=int(env.get("CIESS_DEADLINE_DAYS", DEFAULT_DEADLINE_DAYS)),
            max_upload_mb=int(env.get("CIESS_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB)),
            helpdesk=env.get("CIESS_HELPDESK") or DEFAULT_HELPDESK,
            portal_url=(env.get("CIESS_PORTAL_URL") or DEFAULT_PORTAL_URL).rstrip("/"),
            smtp_host=env.get("CIESS_SMTP_HOST") or None,
            smtp_port=int(env.get("CIESS_SMTP_PORT") or DEFAULT_SMTP_PORT),
            smtp_user=env.get("CIESS_SMTP_USER") or None,
            smtp_password=env.get("CIESS_SMTP_PASSWORD") or None,
            smtp_from=env.get("CIESS_SMTP_FROM") or DEFAULT_SMTP_FROM,
            smtp_starttls=_yes(env.get("CIESS_SMTP_STARTTLS")),
            database_url=env.get("CIESS_DATABASE_URL") or _database_file(home),
        ).replace(**overrides)

    def replace(self, **changes) -> Settings:
        return dataclasses.replace(self, **changes)

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def ledger_path(self) -> Path:
        """The ledger's SQLite file (unused when the home has a database: `database_url`)."""
        return self.home / "ledger.sqlite"

    def store(self, name: str) -> Store:
        """A store of tables: `ledger` (with the cycle's log and the outbox), `access` or `limits`."""
        return open_store(self.database_url, self.home / f"{name}.sqlite")

    @property
    def ledger(self) -> Store:
        return self.store("ledger")

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def lake_dir(self) -> Path:
        return self.home / "lake"

    @property
    def secrets_dir(self) -> Path:
        return self.home / "secrets"

    @property
    def inbox_dir(self) -> Path:
        return self.home / "inbox"

    @property
    def outbox_dir(self) -> Path:
        """Where notices are written as .eml files when no SMTP host is configured."""
        return self.home / "outbox"

    @property
    def samples_dir(self) -> Path:
        return self.home / "samples"

    @property
    def scratch_dir(self) -> Path:
        """Temporary files of the intake (the key index, which holds raw staff ids): inside the home."""
        return self.home / ".scratch"

    def ensure(self) -> None:
        """The home's folders, and the home private: what it holds (raw files, staff ids, tokens) is
        readable by its owner only; files made from now on are 0600 (umask 077)."""
        keep_new_files_private()
        for folder in (self.home, self.archive_dir, self.lake_dir, self.secrets_dir, self.scratch_dir):
            folder.mkdir(parents=True, exist_ok=True)
        if self.home.stat().st_mode & 0o077 and self.home.stat().st_uid == os.getuid():
            self.home.chmod(0o700)


DATABASE_FILE = "database.url"  # a home's PostgreSQL, for every process on it, when CIESS_DATABASE_URL is unset


def _database_file(home: Path) -> str | None:
    try:
        return (home / DATABASE_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def _yes(text: str | None) -> bool:
    return (text or "").strip().lower() in ("1", "true", "yes", "on")


def keep_new_files_private() -> None:
    """Files and folders this process makes from now on are its owner's only (0600, 0700): the home
    holds raw files, staff ids and tokens, and every command writes into it (builds, reports...)."""
    os.umask(0o077)

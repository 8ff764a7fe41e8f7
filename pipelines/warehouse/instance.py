"""The Dagster instance's settings (`$CIESS_HOME/dagster/dagster.yaml`), written by `ciess` from the
installation's own: telemetry off, runs queued by the daemon with one warehouse build at a time
and report runs in parallel up to the core count, and, when the home has a PostgreSQL database,
Dagster's runs, event logs and schedules in it too (dagster-postgres; its tables sit beside the
ledger's, no name is shared). Plain YAML, no Dagster import: the CLI writes it before any Dagster
process starts. The database's address is never written in the file, which names the variable
`DATABASE_ENV` instead: `ciess` sets it for every Dagster process it runs (`database_environment`)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from pipelines.common.atomic import replace_text
from pipelines.common.settings import Settings

# Run tags the definitions give their runs (pipelines/defs): the queue's limits are per tag value.
POOL_TAG = "ciess/pool"
WAREHOUSE_POOL, REPORTS_POOL = "warehouse", "reports"
DATABASE_ENV = "CIESS_DATABASE_URL"
OLD_DEFAULT = "telemetry:\n  enabled: false"  # what earlier versions wrote
MANAGED = "# written by `ciess` from its settings; `ciess up` writes it again on every start\n"


def dagster_home(settings: Settings) -> Path:
    return settings.home / "dagster"


def instance_settings(settings: Settings) -> dict:
    cores = os.cpu_count() or 1
    storage = {"storage": {"postgres": {"postgres_url": {"env": DATABASE_ENV}}}} if settings.database_url else {}
    return {
        "telemetry": {"enabled": False},
        **storage,
        "run_coordinator": {"module": "dagster.core.run_coordinator", "class": "QueuedRunCoordinator"},
        # a run whose process died (the stack stopped mid-run, a machine restarted) is marked failed
        "run_monitoring": {"enabled": True},
        "concurrency": {
            "runs": {
                "max_concurrent_runs": cores + 2,  # a build, the reports, the inbox's small runs
                "tag_concurrency_limits": [
                    {"key": POOL_TAG, "value": WAREHOUSE_POOL, "limit": 1},
                    {"key": POOL_TAG, "value": REPORTS_POOL, "limit": cores},
                ],
            }
        },
    }


def write_instance_settings(settings: Settings) -> Path:
    """Write dagster.yaml when it is missing or was written by `ciess` (a hand-written one is kept)."""
    folder = dagster_home(settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "dagster.yaml"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if old.startswith(MANAGED) or old.strip() in ("", OLD_DEFAULT):
        wanted = MANAGED + yaml.safe_dump(instance_settings(settings), sort_keys=False)
        if old != wanted:
            replace_text(path, wanted)
    return path


def database_environment(settings: Settings) -> dict[str, str]:
    """What Dagster's processes need in their environment to find the home's database (none on SQLite)."""
    return {DATABASE_ENV: settings.database_url} if settings.database_url else {}

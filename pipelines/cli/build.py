"""`ciess build`: the Dagster job `warehouse_build`, materialised in this process (the same
assets and checks as in the UI), with progress on stderr and a short summary at the end."""

from __future__ import annotations

import contextlib
import logging
import os
import time
import warnings
from dataclasses import dataclass, field

import dagster as dg

from pipelines.common.settings import Settings
from pipelines.intake.storing.ledger import Ledger
from pipelines.warehouse import store

DAGSTER_CONFIG = "telemetry:\n  enabled: false\n"


def prepare_dagster_home(settings: Settings) -> None:
    """Dagster's instance (runs, event logs) lives in the home folder, telemetry off."""
    dagster_home = settings.home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_CONFIG)
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    os.environ["CIESS_HOME"] = str(settings.home)
    os.environ.setdefault("DO_NOT_TRACK", "1")


@dataclass
class BuildSummary:
    success: bool
    seconds: float
    current_submissions: int = 0
    ledger_rows: int = 0
    mart_rows: dict[str, int] = field(default_factory=dict)
    checks_passed: int = 0
    checks_total: int = 0
    failed_checks: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    published: str | None = None


class _StepPrinter(logging.Handler):
    """Turns Dagster's step events into one line each: the progress a user sees."""

    def __init__(self, say):
        super().__init__(level=logging.DEBUG)
        self.say = say

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_meta", {}).get("dagster_event")
        if event is None:
            return
        if event.event_type_value == "STEP_START":
            self.say(f"  started   {event.step_key}")
        elif event.event_type_value == "STEP_SUCCESS":
            self.say(f"  finished  {event.step_key}")
        elif event.event_type_value == "STEP_FAILURE":
            self.say(f"  FAILED    {event.step_key}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed:
                self.say(f"  check failed: {data.asset_key.to_user_string()} {data.check_name}")


class NothingToBuild(Exception):
    """No accepted submission yet: there is nothing to bring into the warehouse."""


def run_build(settings: Settings, say=print, full_refresh: bool = False) -> BuildSummary:
    if not settings.ledger_path.exists() or not Ledger(settings.ledger_path).current_versions():
        raise NothingToBuild(
            f"no accepted submission in {settings.home} yet: submit files first (`ciess submit`), "
            "or try the whole job on sample data with `ciess demo`"
        )
    prepare_dagster_home(settings)
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    from pipelines.definitions import defs  # after the environment is set: the dbt resource reads PATH

    handler = _StepPrinter(say)

    @dg.logger
    def progress(_init_context) -> logging.Logger:
        logger = logging.getLogger("ciess.build")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        if handler not in logger.handlers:
            logger.addHandler(handler)
        return logger

    job = defs.resolve_job_def("warehouse_build").with_logger_defs({"progress": progress})
    started = time.perf_counter()
    log_path = build_log(settings)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        dg.DagsterInstance.get() as instance,
        open(log_path, "w", encoding="utf-8") as log,
        contextlib.redirect_stdout(log),  # dbt's own lines go to the build log, not the terminal
    ):
        run_config = {
            "loggers": {"progress": {}},
            "ops": {"warehouse_models": {"config": {"full_refresh": full_refresh}}},
        }
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config)
    return summarise(result, settings, time.perf_counter() - started)


def build_log(settings: Settings):
    return store.warehouse_dir(settings) / "build.log"


def summarise(result, settings: Settings, seconds: float) -> BuildSummary:
    summary = BuildSummary(success=result.success, seconds=seconds)
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            key = event.asset_key.path
            metadata = event.event_specific_data.materialization.metadata
            if key[0] == "lake" and "current_submissions" in metadata:
                summary.current_submissions += metadata["current_submissions"].value
            if key == ["lake", "submissions"]:
                summary.ledger_rows = metadata["submissions"].value
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            summary.checks_total += 1
            if data.passed:
                summary.checks_passed += 1
            else:
                failures = data.metadata.get("failures")
                detail = f": {failures.value}" if failures is not None else ""
                summary.failed_checks.append(f"{data.asset_key.to_user_string()} {data.check_name}{detail}")
        elif event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            lines = [line.strip() for line in (error.message if error else "failed").splitlines()]
            message = next((line for line in reversed(lines) if any(c.isalpha() for c in line)), "failed")
            summary.failed_steps.append(f"{event.step_key}: {message}")
    published = store.published_database(settings)
    materialized = {tuple(e.asset_key.path) for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}
    if ("published_warehouse",) in materialized:
        summary.published = str(published)
        summary.mart_rows = store.mart_counts(published)
    return summary

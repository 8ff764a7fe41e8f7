"""`ciess build`: the Dagster job `warehouse_build`, materialised in this process (the same
assets and checks as in the UI), with progress on stderr and a short summary at the end.

With `pipelines.definitions`, the only module outside `pipelines/defs/` that imports Dagster
(the import-linter contracts in pyproject.toml say so)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg
import filelock

from pipelines.common.settings import Settings
from pipelines.intake.storing.ledger import Ledger
from pipelines.warehouse import databases, freshness, instance
from pipelines.warehouse.dictionary import dictionary_path


def dagster_home(settings: Settings) -> Path:
    """Dagster's instance (runs, event logs) lives in the home folder, or in its database
    (pipelines/warehouse/instance.py), which this process then names to Dagster."""
    os.environ.update(instance.database_environment(settings))
    return instance.write_instance_settings(settings).parent


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
    dictionary: str | None = None


class _StepPrinter(logging.Handler):
    """Turns Dagster's step events into one line each: the progress a user sees."""

    def __init__(self, say):
        super().__init__(level=logging.DEBUG)
        self.say = say

    def emit(self, record: logging.LogRecord) -> None:
        event: dg.DagsterEvent | None = getattr(record, "dagster_meta", {}).get("dagster_event")
        if event is None:
            return
        if event.is_step_start:
            self.say(f"  started   {event.step_key}")
        elif event.is_step_success:
            self.say(f"  finished  {event.step_key}")
        elif event.is_step_failure:
            self.say(f"  FAILED    {event.step_key}")
        elif event.event_type is dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            check = event.asset_check_evaluation_data
            if not check.passed:
                self.say(f"  check failed: {check.asset_key.to_user_string()} {check.check_name}")


class NothingToBuild(Exception):
    """No accepted submission yet: there is nothing to bring into the warehouse."""


BUILD_WAIT = 900  # seconds a build waits for another build of the same home to end


def run_build(settings: Settings, say=print, full_refresh: bool = False, wait: float = BUILD_WAIT) -> BuildSummary:
    """One build of the home at a time: DuckDB lets one process write the build database, and a
    second build would fail on its lock halfway. A build that finds another running waits for it."""
    if not settings.ledger.has_table("submissions") or not Ledger.of(settings).current_versions():
        raise NothingToBuild(
            f"no accepted submission in {settings.home} yet: submit files first (`ciess submit`), "
            "or try the whole job on sample data with `ciess demo`"
        )
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    from pipelines.definitions import defs

    handler = _StepPrinter(say)

    @dg.logger
    def progress(_init_context) -> logging.Logger:
        logger = logging.getLogger("ciess.build")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        for previous in [h for h in logger.handlers if isinstance(h, _StepPrinter)]:
            logger.removeHandler(previous)  # a former build's, in this process (a lock runs two)
        logger.addHandler(handler)
        return logger

    job = defs().resolve_job_def("warehouse_build").with_logger_defs({"progress": progress})
    started = time.perf_counter()
    lock_path = databases.warehouse_dir(settings) / "build.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(lock_path)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        say(f"  another build of {settings.home} is running: this one starts when it ends "
            f"(waiting up to {wait / 60:.0f} minutes)")  # fmt: skip
        try:
            lock.acquire(timeout=wait)
        except filelock.Timeout:
            busy = f"another build of this home has been running for over {wait / 60:.0f} minutes; try again later"
            return BuildSummary(success=False, seconds=time.perf_counter() - started, failed_steps=[busy])
    try:
        taken = freshness.taken(settings, date.today())  # before: what lands during the build is not in it
        summary = _execute(job, settings, full_refresh, started)
        # a step that failed, even after the publish (the data dictionary), makes the next build run
        if summary.success and summary.published and taken is not None:
            freshness.record(settings, taken)
        elif not summary.success:
            freshness.forget(settings)
        return summary
    finally:
        lock.release()


def _execute(job: dg.JobDefinition, settings: Settings, full_refresh: bool, started: float) -> BuildSummary:
    log_path = build_log(settings)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    run_config = {
        "loggers": {"progress": {}},
        "resources": {"ciess": {"config": {"home": str(settings.home)}}},
        "ops": {"warehouse_models": {"config": {"full_refresh": full_refresh}}},
    }
    with (
        dg.DagsterInstance.from_config(str(dagster_home(settings))) as instance,
        open(log_path, "w", encoding="utf-8") as log,
        contextlib.redirect_stdout(log),  # dbt's own lines go to the build log, not the terminal
    ):
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config)
    return summarise(result, settings, time.perf_counter() - started)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DBT_ERROR = re.compile(r"^(Compilation|Database|Runtime|Parsing) Error in |^Failure in ")


def failure_reason(message: str) -> str:
    """One line that says why a step failed: dbt's own error (the line under "Compilation Error in
    model x", "Failure in test y"), else the last line of the message that says something."""
    lines = [_ANSI.sub("", line).strip() for line in message.splitlines()]
    header = None
    for line in lines:
        if _DBT_ERROR.match(line):
            header = line
        elif header and line and not line.startswith(">"):
            return f"{header}: {line}"
    said = [line for line in lines if any(c.isalpha() for c in line) and not line.startswith(">")]
    return header or (said[-1] if said else "failed")


def build_log(settings: Settings) -> Path:
    return databases.warehouse_dir(settings) / "build.log"


def summarise(result: dg.ExecuteInProcessResult, settings: Settings, seconds: float) -> BuildSummary:
    summary = BuildSummary(success=result.success, seconds=seconds)
    materialized = set()
    for event in result.get_asset_materialization_events():
        key = event.asset_key.path
        materialized.add(tuple(key))
        metadata = event.materialization.metadata
        if key[0] == "lake" and "current_submissions" in metadata:
            summary.current_submissions += metadata["current_submissions"].value
        if key == ["lake", "submissions"]:
            summary.ledger_rows = metadata["submissions"].value
    for check in result.get_asset_check_evaluations():
        summary.checks_total += 1
        if check.passed:
            summary.checks_passed += 1
        else:
            failures = check.metadata.get("failures")
            detail = f": {failures.value}" if failures is not None else ""
            summary.failed_checks.append(f"{check.asset_key.to_user_string()} {check.check_name}{detail}")
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        summary.failed_steps.append(f"{event.step_key}: {failure_reason(error.message if error else 'failed')}")
    if ("published_warehouse",) in materialized:
        published = databases.published_database(settings)
        summary.published = str(published)
        summary.mart_rows = databases.mart_counts(published)
    if ("data_dictionary",) in materialized:
        summary.dictionary = str(dictionary_path(settings))
    return summary

"""`ciess demo`: the whole job on generated sample data, in its own home folder.

Sample quarters are generated (sources/generator.py) and every file is submitted through
`pipelines.intake.submission.submit`, the function behind `ciess submit`, at its simulated upload time.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines.common.settings import Settings
from pipelines.intake.submission import SubmissionResult, UsageError, submit
from sources.generator import DEMO_SCALE, PlannedSubmission, generate

DEMO_MARKER = ".ciess-demo-home"


@dataclass(frozen=True)
class DemoSubmission:
    plan: PlannedSubmission
    result: SubmissionResult
    seconds: float


def prepare_home(settings: Settings) -> None:
    """A demo starts from an empty home; it never wipes a home that holds real submissions."""
    home = settings.home
    if (home / DEMO_MARKER).exists():
        shutil.rmtree(home)
    elif settings.ledger.has_table("submissions") or settings.archive_dir.exists():
        raise UsageError(
            f"{home} already holds submissions that the demo did not make; run the demo with another home, "
            f"e.g. `ciess --home ./demo-data demo` or CIESS_HOME=./demo-data"
        )
    home.mkdir(parents=True, exist_ok=True)
    (home / DEMO_MARKER).write_text("made by `ciess demo`; the next demo run replaces this folder\n")


def run_submissions(
    settings: Settings, scale: float = DEMO_SCALE, console: Console | None = None
) -> list[DemoSubmission]:
    console = console or Console(stderr=True)
    prepare_home(settings)
    add_demo_contacts(settings)
    with console.status("Generating sample quarters..."):
        plan = generate(settings.samples_dir, scale=scale)
    done: list[DemoSubmission] = []
    columns = (
        TextColumn("Submitting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("", total=len(plan))
        for planned in plan:
            progress.update(task, description=f"{planned.institution} {planned.kind} {planned.period}")
            started = time.perf_counter()
            result = submit(
                planned.path,
                planned.institution,
                planned.kind,
                planned.period,
                settings,
                received_at=planned.received_at,
                original_name=planned.path.name,
            )
            done.append(DemoSubmission(planned, result, time.perf_counter() - started))
            progress.advance(task)
    return done


def add_demo_contacts(settings: Settings) -> None:
    """Every institution of the registry gets one contact for every notice (`ciess contacts add`)."""
    from pipelines.common.registry import institutions
    from pipelines.notices.contacts import add_contact
    from sources.cycle import demo_contacts

    registry = institutions()
    for code, address, lang in demo_contacts(list(registry), {code: i.language for code, i in registry.items()}):
        add_contact(settings, code, address, lang)


def send_demo_notices(settings: Settings, period: str, say) -> Counter:
    """Every notice of the cycle, then the reminders and overdue notices of `period` as the daily
    schedule and the outbox's sensor would have sent them 14 and 3 days before its deadline and the
    day after (from the ledger as it is now); all written as .eml files (made-up addresses go to no
    server, whatever the settings say). How many of each notice went out."""
    from dataclasses import replace
    from datetime import timedelta

    from pipelines.common.periods import Period
    from pipelines.notices.delivery import entries, flush
    from pipelines.notices.reminders import enqueue_reminders

    as_files = replace(settings, smtp_host=None)
    deadline = Period.parse(period).deadline(settings.deadline_days)
    say(f"  outbox flush: {flush(as_files)}")  # the cycle's notices
    for day in (deadline - timedelta(days=14), deadline - timedelta(days=3), deadline + timedelta(days=1)):
        say(f"  {day.isoformat()}: {enqueue_reminders(settings, day)}; outbox flush: {flush(as_files)}")
    return Counter(entry.row.notice for entry in entries(settings) if entry.state == "sent")


def summary_table(done: list[DemoSubmission]) -> Table:
    table = Table(title="Submissions", show_lines=False)
    for name in ("institution", "kind", "period", "status", "errors", "warnings", "version", "late"):
        table.add_column(name, justify="right" if name in ("errors", "warnings", "version") else "left", no_wrap=True)
    for item in done:
        receipt = item.result.receipt
        table.add_row(
            receipt["institution"],
            receipt["kind"],
            receipt["period"],
            receipt["status"],
            str(receipt["errors"]),
            str(receipt["warnings"]),
            "" if receipt["version"] is None else str(receipt["version"]),
            "late" if receipt["late"] else "",
        )
    return table


def print_summary(done: list[DemoSubmission], settings: Settings, console: Console) -> None:
    console.print(summary_table(done))
    statuses = Counter(item.result.status for item in done)
    console.print("Totals: " + ", ".join(f"{status} {count}" for status, count in sorted(statuses.items())))
    largest = max(done, key=lambda item: item.result.receipt["rows"])
    console.print(
        f"Largest file: {largest.plan.path.relative_to(settings.samples_dir)} "
        f"({largest.result.receipt['rows']} rows) took {largest.seconds:.2f} s to submit"
    )
    home = settings.home
    console.print(f"Sample files:   {settings.samples_dir}")
    console.print(f"Receipts:       {settings.archive_dir}/<sha256[:2]>/<sha256>/<submission_id>/receipt.json")
    console.print(f"Ledger:         {settings.ledger.describe()}")
    console.print(f"Lake (Parquet): {settings.lake_dir}")
    console.print(
        f"Try: ciess --home {home} submit {Path(done[0].plan.path)} --institution "
        f"{done[0].plan.institution} --kind {done[0].plan.kind} --period {done[0].plan.period}"
    )


def walk_cycle(settings: Settings, period: str, build, say) -> None:
    """One quarter through the whole cycle, as its people would (spec cycle.md): the institutions
    explain their warnings (one return is first sent back by CIESS and fixed), CIESS approves every
    complete return, then locks the quarter; `build` is the warehouse build the lock runs."""
    from pipelines.cycle.explanations import explain
    from pipelines.cycle.review import review
    from pipelines.cycle.status import period_report
    from pipelines.intake.storing.cycle_log import cli_actor
    from pipelines.warehouse.locking import lock_period
    from sources.cycle import EXPLANATIONS, LOCK_REASON, RETURN_COMMENT

    actor = cli_actor()
    returns = period_report(settings, period).returns
    flagged = [item for item in returns if item.state == "NEEDS_EXPLANATION"]
    if flagged:  # CIESS sends the first one back before it is explained; then it is fixed below
        review(settings, "return", flagged[0].institution, period, actor, RETURN_COMMENT)
        say(f"  returned  {flagged[0].institution} {period}: {RETURN_COMMENT}")
    for item in flagged:
        for warning in item.status.warnings:
            if warning.explanation is None:
                explain(settings, warning.submission_id, warning.rule, EXPLANATIONS[warning.rule], actor)
        say(f"  explained {item.institution} {period}: {', '.join(sorted({w.rule for w in item.status.warnings}))}")
    for item in period_report(settings, period).returns:
        if item.state == "READY":
            review(settings, "approve", item.institution, period, actor)
    counts = period_report(settings, period).counts()
    say(f"  approved  {counts['APPROVED']} returns of {period}; locking it ...")
    result = lock_period(settings, period, LOCK_REASON, actor, build)
    say(f"  locked    {period}: final figures revision {result.revision}")

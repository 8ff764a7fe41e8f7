"""`ciess doctor [--repair]`: what crashes, full disks and careless hands left in the home folder."""

from __future__ import annotations

import sys

import click

from pipelines.common.settings import Settings


@click.command("doctor")
@click.option("--repair", is_flag=True, help="Mend what can be mended (never removes a received file).")
@click.pass_obj
def doctor_command(settings: Settings, repair: bool) -> None:
    """Look over the home folder: leftovers of processes that died, lake files and receipts the
    ledger does not know, a missing or damaged ledger, files other users can read.

    \b
    Exit status: 0 nothing wrong (or all mended with --repair), 1 something is left for a person.
    Leftovers younger than 10 minutes are left alone: a running intake may own them.
    """
    from pipelines.intake.storing.doctor import examine

    if not settings.home.is_dir():
        click.echo(f"{settings.home} does not exist: nothing to look at")
        return
    findings = examine(settings, repair=repair)
    if not findings:
        click.echo(f"{settings.home}: nothing wrong")
        return
    for finding in findings:
        where = f" {finding.path}" if finding.path else ""
        if finding.repaired:
            click.echo(f"mended  {finding.problem}:{where} ({finding.repair})")
        elif finding.repair:
            click.echo(f"found   {finding.problem}:{where} (--repair: {finding.repair})")
        else:
            click.echo(f"ACTION  {finding.problem}:{where}")
    left = [finding for finding in findings if not finding.repaired]
    if left:
        click.echo(f"{len(left)} left" + ("" if repair else "; run `ciess doctor --repair` to mend what can be"))
        sys.exit(1)

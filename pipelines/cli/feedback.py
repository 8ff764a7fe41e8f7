"""`ciess feedback`: the institutions' feedback reports of a quarter (spec feedback.md)."""

from __future__ import annotations

import time

import click

from pipelines.common.periods import Period, PeriodError
from pipelines.common.settings import Settings
from pipelines.contract.model import LANGUAGES
from pipelines.intake.submission import UsageError


@click.command("feedback")
@click.option("--period", required=True, help="Quarter, YYYY-Qn or YYYY-Tn (a quarter the published marts hold).")
@click.option(
    "--institution", "institutions", multiple=True,
    help="Institution code; repeat for several. Default: every institution expected in the quarter.",
)  # fmt: skip
@click.option(
    "--lang", "languages", multiple=True, type=click.Choice(LANGUAGES),
    help="Repeat for several. Default: each institution's own language.",
)  # fmt: skip
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Processes writing PDFs (default: one per core)."
)
@click.pass_obj
def feedback_command(
    settings: Settings, period: str, institutions: tuple[str, ...], languages: tuple[str, ...], workers: int | None
) -> None:
    """Write the feedback reports of a quarter (HTML and PDF) from the published marts.

    One report per institution: its 17 measures against its subregion, its peer group (institutions
    of its size band) and the whole Americas, its trend beside its peers' median, its return
    (versions, lateness, warnings and explanations, CIESS's review) and the state of its figures.
    Written under $CIESS_HOME/reports/<period>/institutions/, with an index page there.
    """
    from pipelines.reports.feedback import produce_feedback, write_feedback_index
    from pipelines.reports.regional import UnknownReport
    from pipelines.warehouse.catalog import CatalogError
    from pipelines.warehouse.databases import NothingPublished

    try:
        parsed = Period.parse(period)
        started = time.perf_counter()
        files = produce_feedback(
            settings,
            parsed,
            only=[code.upper() for code in institutions] or None,
            languages=languages or None,
            progress=lambda line: click.echo(f"  writing {line}", err=True),
            workers=workers,
        )
    except (PeriodError, UnknownReport, NothingPublished, CatalogError) as error:
        raise UsageError(str(error)) from error
    for item in files:
        click.echo(item.html)
        click.echo(item.pdf)
    index = write_feedback_index(settings, parsed)
    click.echo(f"Index: {index}  ({len(files)} reports, {time.perf_counter() - started:.1f} s)")

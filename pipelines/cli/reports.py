"""`ciess report` (the regional summaries) and `ciess feedback` (the institutions' feedback reports)
of a quarter, both from the published marts: the same errors, the same listing of what was written."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from pipelines.common.periods import Period, PeriodError
from pipelines.common.settings import Settings
from pipelines.contract.model import LANGUAGES
from pipelines.intake.submission import UsageError


def _write(produce: Callable[[Period], Sequence], period: str, index: Callable[[Period], Path]) -> None:
    """Run `produce` for the quarter written; a quarter, subregion or institution the marts do not
    hold, or no published marts, is a usage error that says what to do. Lists the files and the index."""
    from pipelines.reports.regional import UnknownReport
    from pipelines.warehouse.catalog import CatalogError
    from pipelines.warehouse.databases import NothingPublished

    try:
        parsed = Period.parse(period)
        started = time.perf_counter()
        files = produce(parsed)
    except (PeriodError, UnknownReport, NothingPublished, CatalogError) as error:
        raise UsageError(str(error)) from error
    for item in files:
        click.echo(item.html)
        click.echo(item.pdf)
    click.echo(f"Index: {index(parsed)}  ({len(files)} reports, {time.perf_counter() - started:.1f} s)")


def _progress(line: str) -> None:
    click.echo(f"  writing {line}", err=True)


@click.command("report")
@click.option("--period", required=True, help="Quarter to report, YYYY-Qn or YYYY-Tn (a quarter the marts hold).")
@click.option(
    "--subregion", "subregions", multiple=True, help="Subregion code, or AMERICAS; repeat for several. Default: all."
)
@click.option(
    "--lang", "languages", multiple=True, type=click.Choice(LANGUAGES), help="Repeat for several. Default: all four."
)
@click.pass_obj
def report_command(settings: Settings, period: str, subregions: tuple[str, ...], languages: tuple[str, ...]) -> None:
    """Write the regional summaries of a quarter (HTML and PDF) from the published marts.

    One report per subregion and one for the whole Americas, in English, Spanish, Portuguese and
    French, under $CIESS_HOME/reports/<period>/, and the index page $CIESS_HOME/reports/index.html.
    """
    from pipelines.reports.regional import produce, reports_dir

    _write(
        lambda parsed: produce(settings, parsed, only_geos=[code.upper() for code in subregions] or None,
                               languages=languages or LANGUAGES, progress=_progress),
        period,
        lambda _parsed: reports_dir(settings) / "index.html",
    )  # fmt: skip


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
    Written under $CIESS_HOME/reports/<period>/institutions/, with an index page there; each
    institution's contacts are told (FEEDBACK_READY) once per edition of its report.
    """
    from pipelines.reports.feedback import feedback_dir, produce_feedback

    _write(
        lambda parsed: produce_feedback(settings, parsed, only=[code.upper() for code in institutions] or None,
                                        languages=languages or None, progress=_progress, workers=workers),
        period,
        lambda parsed: feedback_dir(settings, parsed) / "index.html",
    )  # fmt: skip

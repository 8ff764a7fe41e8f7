"""The `ciess` command line (the spec's "Command line" section). Thin: every command calls the
same functions as the Dagster definitions."""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

import click

from pipelines.cli.cycle import audit_command, explain_command, period_group, period_status_text, review_command
from pipelines.cli.doctor import doctor_command
from pipelines.cli.marts import describe_command, tables_command
from pipelines.cli.notices import contacts_group, outbox_group, reminders_command
from pipelines.cli.output import FORMAT_OPTION
from pipelines.cli.reports import feedback_command, report_command
from pipelines.common.home_problems import HomeProblem, plain_words
from pipelines.common.periods import Period
from pipelines.common.settings import Settings, keep_new_files_private
from pipelines.common.store import STORE_ERRORS
from pipelines.contract.model import KINDS, LANGUAGES
from pipelines.intake.submission import UsageError, submit

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


class _Group(click.Group):
    """Usage errors exit 2, as the spec says, with the message on stderr. The problems of the home
    folder (missing or damaged ledger, full disk, no permission) exit 1, in plain words: nothing
    was taken in and no receipt could be written."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UsageError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(EXIT_USAGE)
        except HomeProblem as error:  # the file (or the command) refused as a whole: exit 1, no receipt
            click.echo(f"Error: {error}", err=True)
            sys.exit(EXIT_REJECTED)
        except (OSError, *STORE_ERRORS) as error:
            words = plain_words(error, getattr(ctx.obj, "home", Path("the home folder")))
            if words is None:
                raise
            click.echo(f"Error: {words}", err=True)
            sys.exit(EXIT_REJECTED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="CIESS_HOME",
    default="data",
    show_default=True,
    help="Folder holding all state (ledger, archive, lake, warehouse). Also $CIESS_HOME.",
)
@click.pass_context
def cli(ctx: click.Context, home: Path) -> None:
    """CIESS capacity-building warehouse: submissions, marts and regional reports.

    Institutions' quarterly staffing rosters and training files go in with `ciess submit`;
    each gets a receipt naming every problem by row and column.
    """
    keep_new_files_private()
    ctx.obj = Settings.from_env(home)


@cli.command("submit")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--institution", required=True, help="Institution code from the registry, e.g. AR-ANSES.")
@click.option("--kind", required=True, type=click.Choice(KINDS), help="What the file holds.")
@click.option(
    "--period", required=True, help="The quarter the file reports (begun or past): YYYY-Qn or YYYY-Tn, e.g. 2026-Q2."
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of the receipt. Default: the language of the institution's country.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON receipt alone on stdout.")
@click.pass_obj
def submit_command(
    settings: Settings, file: Path, institution: str, kind: str, period: str, lang: str | None, as_json: bool
) -> None:
    """Check FILE against the contract of its kind, archive it and record the decision.

    \b
    Accepted: CSV (UTF-8, Windows-1252 or Latin-1; ',', ';' or tab) and XLSX.
    Exit status: 0 ACCEPTED, ACCEPTED_WITH_WARNINGS or DUPLICATE; 1 REJECTED; 2 usage error.
    """
    result = submit(file, institution, kind, period, settings, lang=lang)
    if as_json:
        click.echo(json.dumps(result.receipt, ensure_ascii=False, indent=2))
    else:
        click.echo(result.text())
    sys.exit(EXIT_REJECTED if result.status == "REJECTED" else EXIT_OK)


@cli.command("demo")
@click.option(
    "--scale", type=float, default=None, help="Roster rows per approx_staff (default 0.01: 1 row per 100 staff)."
)
@click.pass_obj
def demo_command(settings: Settings, scale: float | None) -> None:
    """Run the whole job on generated sample data and say where everything is.

    Generates five quarters of sample submissions for every institution of the registry (with a few
    files that show each problem the spec names), submits each through the same code as
    `ciess submit`, and prints a summary. Uses the home folder (default ./data); a home that holds
    data the demo did not make is never touched.
    """
    from rich.console import Console

    from pipelines.cli.demo import print_summary, run_submissions
    from sources.generator import DEMO_SCALE

    console = Console(width=None if sys.stdout.isatty() else 120)
    done = run_submissions(settings, scale=scale or DEMO_SCALE)
    print_summary(done, settings, console)

    from pipelines.cli.build import run_build
    from pipelines.cli.output import render
    from pipelines.warehouse.queries import query

    click.echo("\nBuilding the warehouse (ciess build) ...", err=True)
    summary = run_build(settings, say=lambda line: click.echo(line, err=True))
    if not summary.published:
        click.echo("The warehouse build failed: " + "; ".join(summary.failed_checks + summary.failed_steps))
        sys.exit(EXIT_REJECTED)
    click.echo(
        f"Warehouse published: {summary.published} ({summary.seconds:.1f} s, "
        f"{summary.checks_passed}/{summary.checks_total} checks passed)"
    )
    latest = query(settings, "select max(period) from capacity_americas").rows[0][0]
    reviewed = str(Period.parse(latest).previous())
    from pipelines.cli.cycle import build_for_lock
    from pipelines.cli.demo import walk_cycle

    click.echo(f"\nThe quarterly cycle of {reviewed}: explanations, review, approval, lock ...", err=True)
    walk_cycle(settings, reviewed, build_for_lock(settings), say=lambda line: click.echo(line, err=True))
    click.echo(f"\nciess period status {reviewed}:")
    period_status_text(settings, reviewed)
    result = query(
        settings,
        "select subregion_code, period, data_status as status, institutions_approved as approved, "
        "institutions_reporting as reporting, institutions_expected as expected, headcount, staff_trained, "
        "round(training_coverage, 3) as coverage, round(hours_per_employee, 2) as hours_per_emp, "
        "round(completion_rate, 3) as completion from capacity_by_subregion "
        f"where period in ('{reviewed}', '{latest}') order by period, subregion_code",
    )
    click.echo(f"\nmarts.capacity_by_subregion, {reviewed} (final) and {latest} (provisional):")
    click.echo(render(result.columns, result.rows, "table"))
    click.echo(f'Query the marts: ciess --home {settings.home} query "select * from final_capacity_by_subregion"')

    from pipelines.reports.regional import index_name, produce, reports_dir

    files = []
    for period in (reviewed, latest):
        click.echo(f"\nWriting the regional summaries of {period} (ciess report) ...", err=True)
        files += produce(
            settings, Period.parse(period), progress=lambda line: click.echo(f"  writing {line}", err=True)
        )
    click.echo(f"\n{len(files)} regional summaries (HTML and PDF) of {reviewed} (FINAL) and {latest} (PROVISIONAL):")
    click.echo(f"  {reports_dir(settings) / index_name('en')}")
    click.echo(f"  (in Spanish, Portuguese, French: {', '.join(index_name(lang) for lang in ('es', 'pt', 'fr'))})")

    from pipelines.reports.feedback import produce_feedback

    click.echo(f"\nWriting the feedback reports of {reviewed}, each in its institution's language (ciess feedback) ...",
               err=True)  # fmt: skip
    feedback = produce_feedback(
        settings, Period.parse(reviewed), progress=lambda line: click.echo(f"  writing {line}", err=True)
    )
    click.echo(f"\n{len(feedback)} institution feedback reports (HTML and PDF) of {reviewed}:")
    click.echo(f"  {feedback[0].html.parent / index_name('en')}")

    from pipelines.cli.demo import send_demo_notices
    from pipelines.intake.storing.outbox import NOTICES

    click.echo(f"\nThe notices of the cycle: reminders and overdue notices of {latest}, then the outbox ...", err=True)
    counts = send_demo_notices(settings, latest, say=lambda line: click.echo(line, err=True))
    click.echo(f"\n{sum(counts.values())} e-mail notices written as .eml files in {settings.outbox_dir}/:")
    click.echo("  " + ", ".join(f"{notice} {counts[notice]}" for notice in NOTICES))
    click.echo(f"  See them: ciess --home {settings.home} outbox; contacts: ciess --home {settings.home} contacts list")


@cli.command("build")
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Rebuild every institution x period from the lake instead of only what changed (same result).",
)
@click.option("--force", is_flag=True, help="Build even when nothing changed since the last publish.")
@click.pass_obj
def build_command(settings: Settings, full_refresh: bool, force: bool) -> None:
    """Bring every accepted submission into the warehouse and publish the marts.

    Runs the Dagster job `warehouse_build` in this process: the lake and ledger export, `dbt build`
    (models and their tests), the Great Expectations checks on the marts, and, only if all of them
    pass, the atomic switch of the published database that `ciess query` reads. A failed build
    leaves the previously published database as it was. Exit status 1 when nothing was published.

    Builds are incremental: only the institution x period slots whose current roster or training
    file changed since the last build are read from the lake and computed again. When nothing
    changed since the last publish (the ledger, the cycle, the final revisions, the code, the
    settings and the day are the same), the build says so and stops at once: `--force` builds anyway.
    """
    from pipelines.warehouse.freshness import current_publish

    started = time.perf_counter()
    if not (force or full_refresh) and (published := current_publish(settings, date.today())):
        click.echo(f"Nothing new since the last publish: the same submissions, cycle, final revisions, code and day. "
                   f"The published marts are current: {published}   ({time.perf_counter() - started:.1f} s; "
                   "`ciess build --force` builds anyway)")  # fmt: skip
        return
    from pipelines.cli.build import NothingToBuild, build_log, run_build
    from pipelines.warehouse.plausibility import data_docs_index

    click.echo(f"Building the warehouse in {settings.home} ...", err=True)
    try:
        summary = run_build(settings, say=lambda line: click.echo(line, err=True), full_refresh=full_refresh)
    except NothingToBuild as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_REJECTED)
    click.echo(f"Submissions brought in: {summary.current_submissions} current ({summary.ledger_rows} in the ledger)")
    if summary.failed_steps:  # the checks of what the failed step would have built never ran
        click.echo(f"Checks passed: {summary.checks_passed} of the {summary.checks_total} that ran; a step failed, "
                   "so the checks of what it builds did not run")  # fmt: skip
    else:
        checks = f"{summary.checks_passed} of {summary.checks_total}"
        click.echo(f"Checks passed: {checks} (dbt tests and Great Expectations)")
    for failure in summary.failed_checks + summary.failed_steps:
        click.echo(f"  failed: {failure}")
    if summary.published:
        for name, rows in summary.mart_rows.items():
            click.echo(f"  marts.{name}: {rows} rows")
        click.echo(f"Published: {summary.published}")
    else:
        click.echo("Nothing published: the previous published database (if any) is unchanged.")
    if summary.dictionary:
        click.echo(f"Data dictionary: {summary.dictionary}")
    click.echo(f"Data Docs: {data_docs_index(settings)}")
    click.echo(f"Build log: {build_log(settings)}   ({summary.seconds:.1f} s)")
    sys.exit(EXIT_OK if summary.published else EXIT_REJECTED)


@cli.command("rebuild")
@click.pass_obj
def rebuild_command(settings: Settings) -> None:
    """Make the lake and the warehouse again from the archive (after a loss, or on a restored backup).

    Every accepted version whose lake file is missing is read again from its archived original (its
    sha256 checked against the ledger), checked and pseudonymised as the intake does, and put in
    place; files already in the lake are kept as they are. Then the warehouse is built from the lake
    (ciess build --full-refresh). Needs the archive, the ledger and secrets/ (the pseudonymisation key).
    """
    from pipelines.cli.build import run_build
    from pipelines.intake.rebuild import rebuild_lake

    if not settings.ledger.has_table("submissions"):
        raise UsageError(f"no ledger in {settings.ledger.describe()}: restore it from the backup with the archive")
    report = rebuild_lake(settings, progress=lambda line: click.echo(f"  rebuilding {line}", err=True))
    click.echo(f"Lake: {len(report.rebuilt)} files rebuilt from the archive, {report.kept} already in place.")
    for problem in report.failed:
        click.echo(f"  not rebuilt: {problem}", err=True)
    if report.failed:  # a warehouse without these versions would publish figures that leave them out
        click.echo("The warehouse was not built: restore the files named above from the backup, then run "
                   "`ciess rebuild` again.", err=True)  # fmt: skip
        sys.exit(EXIT_REJECTED)
    click.echo("Building the warehouse from the lake (full refresh) ...", err=True)
    summary = run_build(settings, full_refresh=True, say=lambda line: click.echo(line, err=True))
    if not summary.published:
        click.echo("The warehouse build failed: " + "; ".join(summary.failed_checks + summary.failed_steps))
        sys.exit(EXIT_REJECTED)
    click.echo(f"Warehouse published: {summary.published} ({summary.seconds:.1f} s)")


@cli.command("query")
@click.argument("sql")
@FORMAT_OPTION
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds a query may run before it is stopped.")  # fmt: skip
@click.option("--memory", default="2GB", show_default=True, help="Memory a query may use (DuckDB's memory_limit).")
@click.option("--max-rows", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Rows a result may hold.")  # fmt: skip
@click.pass_obj
def query_command(settings: Settings, sql: str, output_format: str, timeout: float, memory: str, max_rows: int) -> None:
    """Run SQL, read-only, against the published marts (schema `marts` is the default).

    Every type prints in every format: `table` for reading, `csv` (RFC 4180), `json` (one array of
    objects; NaN and Infinity, which JSON cannot hold, become null with a note on stderr; decimals
    and huge integers keep every digit). Exit status 2 when the SQL names a table or a column that
    does not exist (the message lists the marts, or the table's columns), 1 for other SQL errors
    and for a query stopped by a limit (--timeout, --memory, --max-rows).

    \b
    Example:
      ciess query "select subregion_code, period, training_coverage from capacity_by_subregion"
    """
    import duckdb

    from pipelines.cli.output import render_result
    from pipelines.warehouse.databases import NothingPublished
    from pipelines.warehouse.queries import LimitExceeded, QueryLimits, UnknownName, query

    try:
        result = query(settings, sql, QueryLimits(seconds=timeout, memory=memory, rows=max_rows))
    except (NothingPublished, UnknownName) as error:  # a table or a column that is not there: exit 2
        raise UsageError(str(error)) from error
    except LimitExceeded as error:
        click.echo(f"Stopped: {error}", err=True)
        sys.exit(EXIT_REJECTED)
    except duckdb.Error as error:
        click.echo(f"Error: {str(error).strip()}", err=True)
        sys.exit(EXIT_REJECTED)
    rendered = render_result(result.columns, result.rows, output_format)
    click.echo(rendered.text, nl=output_format != "csv")
    for note in rendered.notes:
        click.echo(note, err=True)


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.pass_obj
def serve_command(settings: Settings, host: str, port: int) -> None:
    """Run the upload portal: web pages and HTTP API over the same intake as `ciess submit`.

    Institutions sign in with the token made by `ciess tokens create`. The API is described at
    /docs and /openapi.json. CIESS staff (an operator token) review the returns at /review; a lock
    from there runs the warehouse build in this process, as `ciess period lock` does.
    """
    import uvicorn

    from pipelines.cli.serving import portal_app

    click.echo(f"Portal on http://{host}:{port}/ (API description: http://{host}:{port}/docs); home {settings.home}")
    uvicorn.run(portal_app(settings), host=host, port=port, log_level="info")


@cli.command("up")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the portal and the Dagster UI listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="The portal's port.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1), help="Portal worker processes.")
@click.option("--dagster-port", default=3000, show_default=True, type=int, help="The Dagster UI's port.")
@click.option("--trusted-proxies", default="127.0.0.1", show_default=True, envvar="CIESS_TRUSTED_PROXIES",
              help="Addresses of the reverse proxies whose X-Forwarded-For/-Proto the portal believes "
                   "(comma-separated, or * for any).")  # fmt: skip
@click.pass_obj
def up_command(settings: Settings, host: str, port: int, workers: int, dagster_port: int, trusted_proxies: str) -> None:
    """Run the whole stack on this machine: the portal (N workers), Dagster's UI and its daemon.

    The daemon runs the schedules and sensors: files dropped in the inbox are taken in, the
    warehouse is built once accepted submissions have landed and gone quiet, reports and feedback
    reports follow the cycle. Logs go to $CIESS_HOME/logs/. Ctrl-C or SIGTERM stops everything
    within 10 s. Dagster's instance settings are written to $CIESS_HOME/dagster/dagster.yaml.
    """
    from pipelines.cli.up import run_stack

    click.echo(f"Starting the stack on {settings.home} ...")
    sys.exit(run_stack(settings, host, port, workers, dagster_port, trusted_proxies=trusted_proxies))


@cli.group("tokens")
def tokens_group() -> None:
    """Access tokens of the upload portal (one per institution; stored hashed)."""


def _token_store(settings: Settings):
    from pipelines.portal.auth import TokenStore

    settings.ensure()
    return TokenStore.of(settings)


@tokens_group.command("create")
@click.option("--institution", help="Institution code the token acts for.")
@click.option("--operator", is_flag=True, help="A CIESS operator token: sees every institution.")
@click.option("--label", default="", help="A note to recognise the token by (who holds it).")
@click.pass_obj
def tokens_create(settings: Settings, institution: str | None, operator: bool, label: str) -> None:
    """Make a token and print it once (it is stored only as a hash)."""
    from pipelines.common.registry import institutions

    if operator == bool(institution):
        raise UsageError("say either --institution CODE or --operator")
    if institution and institution not in institutions():
        raise UsageError(f"unknown institution {institution!r}; `ciess institutions` lists the codes")
    token, record = _token_store(settings).create(None if operator else institution, label)
    click.echo(token)
    click.echo(
        f"token id {record.token_id} for {record.institution or 'operator'}: give it to its holder now; "
        "it cannot be shown again (revoke with `ciess tokens revoke " + record.token_id + "`)",
        err=True,
    )


@tokens_group.command("list")
@click.pass_obj
def tokens_list(settings: Settings) -> None:
    """List tokens (never their values)."""
    for record in _token_store(settings).all():
        state = f"revoked {record.revoked_at}" if record.revoked_at else "active"
        click.echo(
            f"{record.token_id}  {record.institution or 'OPERATOR':<16} {record.created_at}  {state:<30} {record.label}"
        )


@tokens_group.command("revoke")
@click.argument("token_id")
@click.pass_obj
def tokens_revoke(settings: Settings, token_id: str) -> None:
    """Revoke a token by its id: it stops working at once."""
    if not _token_store(settings).revoke(token_id):
        raise UsageError(f"no active token with id {token_id!r}; `ciess tokens list` shows them")
    click.echo(f"revoked {token_id}")


@cli.command("institutions")
def institutions_command() -> None:
    """List the institutions of the registry (code, country, subregion, receipt language)."""
    from pipelines.common.registry import institutions

    for institution in institutions().values():
        click.echo(
            f"{institution.code:<16} {institution.country_iso2}  {institution.subregion_code:<32} "
            f"{institution.language}  {institution.name}"
        )


cli.add_command(tables_command)
cli.add_command(report_command)
cli.add_command(feedback_command)
cli.add_command(describe_command)
for command in (
    explain_command,
    review_command,
    period_group,
    audit_command,
    doctor_command,
    contacts_group,
    outbox_group,
    reminders_command,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="ciess")


if __name__ == "__main__":
    main()

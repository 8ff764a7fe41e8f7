"""The cycle's commands (spec cycle.md: "Command line"): `ciess explain`, `ciess review`,
`ciess period lock|unlock|status` and `ciess audit`. Exit 0 done, 1 refused by the cycle (the
message says why), 2 usage error."""

from __future__ import annotations

import json
import sys

import click

from pipelines.cli.output import render
from pipelines.common.settings import Settings
from pipelines.cycle.review import Refused
from pipelines.intake.storing import cycle_log
from pipelines.intake.submission import UsageError, written_period

EXIT_REFUSED = 1
PERIOD_HELP = "Calendar quarter, YYYY-Qn or YYYY-Tn (e.g. 2026-Q2)."


def refused(error: Refused) -> None:
    click.echo(f"Refused: {error}", err=True)
    sys.exit(EXIT_REFUSED)


def build_for_lock(settings: Settings):
    """The build a lock runs (the Dagster job, as `ciess build`), with its progress on stderr; none
    when nothing changed since the last publish (spec cycle.md: "a build, when anything changed")."""
    from datetime import date

    from pipelines.cli.build import run_build
    from pipelines.warehouse import freshness
    from pipelines.warehouse.locking import BuildOutcome

    def build() -> BuildOutcome:
        if freshness.current_publish(settings, date.today()) is not None:
            click.echo("Nothing new since the last publish: the published marts are current.", err=True)
            return BuildOutcome(True, "")
        click.echo("Building the warehouse ...", err=True)
        summary = run_build(settings, say=lambda line: click.echo(line, err=True))
        return BuildOutcome(bool(summary.published), "; ".join(summary.failed_checks + summary.failed_steps))

    return build


@click.command("explain")
@click.argument("submission_id")
@click.option("--rule", required=True, help="The warning explained: HOURS_UNUSUAL, AGE_UNUSUAL, STAFF_NOT_IN_ROSTER "
              "or HEADCOUNT_JUMP.")  # fmt: skip
@click.option("--text", required=True, help="Why the flagged values are right, in at least 20 characters.")
@click.pass_obj
def explain_command(settings: Settings, submission_id: str, rule: str, text: str) -> None:
    """Explain a warning of a current version (recorded as given by you, on the institution's behalf).

    \b
    Example:
      ciess explain 20260812T101500-ab12cd34ef --rule HEADCOUNT_JUMP \\
        --text "Staff of the regional offices joined the roster in July."
    A new version needs its own explanations; `ciess audit` shows every one given.
    """
    from pipelines.cycle.explanations import explain

    try:
        event = explain(settings, submission_id, rule, text, cycle_log.cli_actor())
    except Refused as error:
        refused(error)
    click.echo(f"explained {event.rule} of {event.submission_id} ({event.institution} {event.kind} {event.period})")


@click.command("review")
@click.argument("action", type=click.Choice(["approve", "return", "reopen"]))
@click.option("--institution", required=True, help="Institution code, e.g. AR-ANSES.")
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option("--comment", help="What the institution must fix (return), or why it is reopened (reopen); "
              "at least 20 characters. Optional for approve.")  # fmt: skip
@click.pass_obj
def review_command(settings: Settings, action: str, institution: str, period: str, comment: str | None) -> None:
    """Approve, return (with a comment the institution sees) or reopen one return.

    \b
    approve: only from READY (both files accepted, every warning explained).
    return:  from READY or NEEDS_EXPLANATION, with --comment.
    reopen:  from APPROVED, with --comment as its reason; the return goes back to what its data gives.
    """
    from pipelines.cycle.review import review

    try:
        after = review(settings, action, institution, period, cycle_log.cli_actor(), comment)
    except Refused as error:
        refused(error)
    click.echo(f"{institution} {after.period}: {action} done; the return is now {after.state}")


@click.group("period")
def period_group() -> None:
    """A period's cycle: lock it (final figures), unlock it, see every return's state."""


def _period(text: str) -> str:
    return str(written_period(text))


@period_group.command("lock")
@click.argument("period")
@click.option("--reason", required=True, help="Why it is locked now (kept in the audit log).")
@click.pass_obj
def period_lock(settings: Settings, period: str, reason: str) -> None:
    """Lock PERIOD: build, keep its figures as the next final revision, refuse every new file.

    Every submission for a locked period is REJECTED with PERIOD_LOCKED and every review action on
    it is refused. The final figures (marts final_capacity_*) never change afterwards.
    """
    from pipelines.warehouse.locking import lock_period

    try:
        result = lock_period(settings, period, reason, cycle_log.cli_actor(), build_for_lock(settings))
    except Refused as error:
        refused(error)
    click.echo(f"{result.period} locked: final figures revision {result.revision} kept at {result.locked_at}")
    for mart, rows in result.rows.items():
        click.echo(f"  final_{mart}: {rows} rows")
    if result.republished and not result.republished.published:
        click.echo(f"The build after the lock failed ({result.republished.why}); run `ciess build` again.")


@period_group.command("unlock")
@click.argument("period")
@click.option("--reason", required=True, help="Why it is opened again (kept in the audit log).")
@click.pass_obj
def period_unlock(settings: Settings, period: str, reason: str) -> None:
    """Open PERIOD again; its final revisions stay, and locking again keeps the next one beside them."""
    from pipelines.warehouse.locking import unlock_period

    try:
        outcome = unlock_period(settings, period, reason, cycle_log.cli_actor(), build_for_lock(settings))
    except Refused as error:
        refused(error)
    click.echo(f"{_period(period)} unlocked")
    if outcome and not outcome.published:
        click.echo(f"The build after the unlock failed ({outcome.why}); run `ciess build` again.")


@period_group.command("status")
@click.argument("period")
@click.option("--json", "as_json", is_flag=True, help="Print the status as one JSON object.")
@click.pass_obj
def period_status(settings: Settings, period: str, as_json: bool) -> None:
    """Every institution expected in PERIOD with its return's state, versions and warnings."""
    if as_json:
        from pipelines.cycle.status import period_report

        click.echo(json.dumps(period_report(settings, _period(period)).as_json(), ensure_ascii=False, indent=2))
        return
    period_status_text(settings, _period(period))


def period_status_text(settings: Settings, period: str) -> None:
    """`ciess period status`'s table (the demo prints it too)."""
    from pipelines.cycle.status import period_report

    data = period_report(settings, period).as_json()
    lock = (f"LOCKED (final revision {data['revision']}, {data['locked_at'][:10]}, by {data['locked_by']})"
            if data["locked"] else "open")  # fmt: skip
    click.echo(f"Period {period}: deadline {data['deadline']}, {lock}; {data['expected']} returns expected")
    click.echo("  " + ", ".join(f"{state} {count}" for state, count in data["states"].items()))

    def version(row, kind):
        found = row[f"{kind}_version"]
        return "-" if found is None else f"v{found}" + (" late" if row[f"{kind}_late"] else "")

    rows = [
        (row["institution"], row["subregion_code"], row["state"], version(row, "staffing"), version(row, "training"),
         f"{row['explained']}/{row['warnings_to_explain']}" if row["warnings_to_explain"] else "",
         (row["last_event_at"] or "")[:16].replace("T", " "))
        for row in data["returns"]
    ]  # fmt: skip
    click.echo(render(["institution", "subregion", "state", "staffing", "training", "explained", "last event"],
                      rows, "table"))  # fmt: skip


@click.command("audit")
@click.option("--institution", help="Only this institution's events (and its periods' locks).")
@click.option("--period", help=PERIOD_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the events as one JSON array.")
@click.pass_obj
def audit_command(settings: Settings, institution: str | None, period: str | None, as_json: bool) -> None:
    """Every event of the cycle, oldest first: files received, explanations, reviews, locks."""
    from contextlib import closing

    from pipelines.intake.storing.ledger import Ledger

    if not settings.ledger.has_table("submissions"):
        raise UsageError(f"no ledger in {settings.home} yet: nothing has happened")
    with closing(Ledger.of(settings).connect()) as connection:
        found = cycle_log.events(connection, period=_period(period) if period else None, institution=institution)
    if as_json:
        click.echo(json.dumps([event.__dict__ for event in found], ensure_ascii=False, indent=2))
        return
    rows = []
    for event in found:
        what = event.action
        if event.action == "submission":
            what = f"{event.kind} {event.status}" + (f" v{event.version}" if event.version else "")
        elif event.action == "explanation":
            what = f"explanation {event.rule}"
        elif event.action == "lock":
            what = f"lock (revision {event.revision})"
        rows.append((event.event_id, event.at[:19].replace("T", " "), event.period, event.institution or "(all)",
                     what, event.actor, event.text or ""))  # fmt: skip
    click.echo(render(["#", "at (UTC)", "period", "institution", "event", "actor", "text"], rows, "table"))

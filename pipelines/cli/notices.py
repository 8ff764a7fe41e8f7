"""The notices' commands (spec feedback.md: "Notifications by e-mail"): `ciess contacts add|list|remove`,
`ciess outbox [--failed] [--json]`, `ciess outbox flush`, `ciess outbox resolve` and `ciess reminders`.
Exit 0 done, 2 usage error (nothing changed)."""

from __future__ import annotations

import json
from collections import Counter

import click

from pipelines.cli.output import render
from pipelines.common.settings import Settings
from pipelines.contract.model import LANGUAGES
from pipelines.intake.storing.outbox import NOTICES
from pipelines.intake.submission import UsageError

NOTICES_HELP = f"Comma-separated notices it wants, of {', '.join(NOTICES)}; default all."


@click.group("contacts")
def contacts_group() -> None:
    """Who gets each institution's e-mail notices: any number of addresses, each with its language."""


@contacts_group.command("add")
@click.option("--institution", required=True, help="Institution code, e.g. PE-ONP.")
@click.option("--email", "address", required=True, help="The address, e.g. datos@onp.gob.pe.")
@click.option("--lang", required=True, type=click.Choice(LANGUAGES), help="Language of its notices.")
@click.option("--notices", default="", help=NOTICES_HELP)
@click.pass_obj
def contacts_add(settings: Settings, institution: str, address: str, lang: str, notices: str) -> None:
    """Add an address to an institution's contacts (or change its language and notices).

    \b
    Example:
      ciess contacts add --institution PE-ONP --email datos@onp.gob.pe --lang es --notices REMINDER,OVERDUE
    """
    from pipelines.notices.contacts import add_contact

    contact, new = add_contact(settings, institution, address, lang, notices.split(","))
    verb = "added" if new else "updated"
    click.echo(f"{verb} a contact of {contact.institution} ({contact.language}): {', '.join(contact.notices)}")


@contacts_group.command("list")
@click.option("--institution", help="Only this institution's contacts.")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
@click.pass_obj
def contacts_list(settings: Settings, institution: str | None, as_json: bool) -> None:
    """The contacts, by institution."""
    from pipelines.notices.contacts import contacts

    found = contacts(settings, institution)
    if as_json:
        click.echo(json.dumps([contact.__dict__ for contact in found], ensure_ascii=False, indent=2))
        return
    rows = [(c.institution, c.address, c.language, ", ".join(c.notices), c.added_at) for c in found]
    click.echo(render(["institution", "email", "lang", "notices", "added_at"], rows, "table"))


@contacts_group.command("remove")
@click.option("--institution", required=True, help="Institution code.")
@click.option("--email", "address", required=True, help="The address to remove.")
@click.pass_obj
def contacts_remove(settings: Settings, institution: str, address: str) -> None:
    """Remove an address: it gets no new notice (those already in the outbox still go out)."""
    from pipelines.notices.contacts import remove_contact

    remove_contact(settings, institution, address)
    click.echo(f"removed a contact of {institution}")


@click.group("outbox", invoke_without_command=True)
@click.option("--failed", is_flag=True, help="Only what needs a look: failed and uncertain notices.")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
@click.pass_context
def outbox_group(ctx: click.Context, failed: bool, as_json: bool) -> None:
    """The e-mail notices, each with its key, state, attempts and the server's last answer.

    \b
    States: pending, sending, sent, failed (retried after a back-off), uncertain (the sender
    stopped while the server had the message: never resent until you decide with
    `ciess outbox resolve KEY --sent|--retry`), superseded (a later reminder replaced it).
    With no CIESS_SMTP_HOST, `flush` writes each notice as an .eml file in <home>/outbox/.
    """
    if ctx.invoked_subcommand is not None:
        return
    from pipelines.notices.delivery import entries

    shown = entries(ctx.obj, failed_only=failed)
    if as_json:
        click.echo(json.dumps([entry.as_json() for entry in shown], ensure_ascii=False, indent=2))
        return
    rows = [(e.row.key, e.row.address, e.row.language, e.state, e.row.attempts, e.answer or "") for e in shown]
    click.echo(render(["key", "to", "lang", "state", "attempts", "answer"], rows, "table"))
    states = Counter(entry.state for entry in shown)
    click.echo(", ".join(f"{state} {count}" for state, count in sorted(states.items())) or "the outbox is empty")


@outbox_group.command("flush")
@click.pass_obj
def outbox_flush(settings: Settings) -> None:
    """Send every notice that is due (by SMTP, or as .eml files when no CIESS_SMTP_HOST is set)."""
    from pipelines.notices.delivery import flush

    summary = flush(settings)
    where = f"{settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else str(settings.outbox_dir)
    click.echo(f"{summary} ({where})")


@outbox_group.command("resolve")
@click.argument("key")
@click.option("--sent", "decision", flag_value="sent", help="It was received: mark it sent, never send it again.")
@click.option("--retry", "decision", flag_value="retry", help="Send it again at the next flush (same Message-ID).")
@click.option("--email", "address", help="Only the notice to this address (default: every one of the key).")
@click.pass_obj
def outbox_resolve(settings: Settings, key: str, decision: str | None, address: str | None) -> None:
    """Decide on an uncertain notice (or retry a failed one now).

    \b
    Look in the mail server's log (or ask the recipient) for its Message-ID, shown by
    `ciess outbox --json`; then --sent if it is there, --retry if not.
    """
    from pipelines.notices.delivery import resolve

    if decision is None:
        raise UsageError("say --sent (it was received) or --retry (send it again)")
    done = resolve(settings, key, decision == "sent", address)
    click.echo(f"{key}: {len(done)} notice(s) {'marked sent' if decision == 'sent' else 'to be sent again'}")


@click.command("reminders")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Act as on this day (default: today, UTC).")
@click.option("--flush", "then_flush", is_flag=True, help="Send the outbox afterwards.")
@click.pass_obj
def reminders_command(settings: Settings, today, then_flush: bool) -> None:
    """Put the reminders (14 and 3 days before a deadline) and overdue notices due today in the outbox.

    Only members whose return is still missing a kind get one; running it twice adds nothing, and a
    day missed is caught up (the daily Dagster schedule runs the same check).
    """
    from pipelines.notices.delivery import flush, utc_now
    from pipelines.notices.reminders import enqueue_reminders

    day = today.date() if today else utc_now().date()
    click.echo(f"{day.isoformat()}: {enqueue_reminders(settings, day)}")
    if then_flush:
        click.echo(f"outbox: {flush(settings)}")

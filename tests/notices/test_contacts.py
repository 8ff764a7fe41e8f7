"""`ciess contacts add|list|remove`: any number of addresses per institution, each with its language
and notices; bad input is a clear usage error (exit 2) that changes nothing; addresses stay in the
ledger's database and the outbox, never in what the warehouse reads."""

from __future__ import annotations

import json
from datetime import date

import pytest

from pipelines.cycle.export import export_cycle
from pipelines.intake.storing.ledger import Ledger
from pipelines.warehouse.freshness import fingerprint
from tests.conftest import EXAMPLES
from tests.notices.conftest import add_contact, home_settings


def listed(ciess, *extra) -> list[dict]:
    result = ciess.run("contacts", "list", "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_contacts_are_added_changed_listed_and_removed(ciess):
    add_contact(ciess, "PE-ONP", "Datos@ONP.example.org", "es")
    add_contact(ciess, "PE-ONP", "intl@onp.example.org", "en", "RECEIPT", "approved")
    add_contact(ciess, "UY-BPS", "datos@bps.example.org", "es", "REMINDER")
    rows = listed(ciess, "--institution", "PE-ONP")
    assert [(r["address"], r["language"], r["notices"]) for r in rows] == [
        ("Datos@onp.example.org", "es", ["RECEIPT", "REMINDER", "OVERDUE", "EXPLANATION_NEEDED", "RETURNED",
                                          "APPROVED", "FEEDBACK_READY"]),
        ("intl@onp.example.org", "en", ["RECEIPT", "APPROVED"]),
    ]  # fmt: skip
    changed = ciess.run("contacts", "add", "--institution", "PE-ONP", "--email", "intl@onp.example.org",
                        "--lang", "fr", "--notices", "OVERDUE")  # fmt: skip
    assert changed.exit_code == 0 and "updated" in changed.output
    assert [(r["language"], r["notices"]) for r in listed(ciess, "--institution", "PE-ONP")][1] == ("fr", ["OVERDUE"])
    assert len(listed(ciess)) == 3
    removed = ciess.run("contacts", "remove", "--institution", "PE-ONP", "--email", "intl@onp.example.org")
    assert removed.exit_code == 0
    assert "intl@onp.example.org" not in removed.output  # an address is not echoed back
    assert [r["address"] for r in listed(ciess)] == ["Datos@onp.example.org", "datos@bps.example.org"]
    assert "Datos@onp.example.org" in ciess.run("contacts", "list").output


@pytest.mark.parametrize(
    ("arguments", "says"),
    [(["add", "--institution", "XX-NONE", "--email", "a@b.org", "--lang", "es"], "unknown institution 'XX-NONE'"),
     (["add", "--institution", "PE-ONP", "--email", "not an address", "--lang", "es"], "is not an e-mail address"),
     (["add", "--institution", "PE-ONP", "--email", "a@b.org,c@d.org", "--lang", "es"], "one address alone"),
     (["add", "--institution", "PE-ONP", "--email", "a@b.org", "--lang", "de"], "'de' is not one of"),
     (["add", "--institution", "PE-ONP", "--email", "a@b.org", "--lang", "es", "--notices", "RECEIPT,SPAM"],
      "unknown notice SPAM"),
     (["remove", "--institution", "PE-ONP", "--email", "nobody@onp.example.org"], "is not a contact of PE-ONP"),
     (["list", "--institution", "XX-NONE"], "unknown institution"),
     (["add", "--institution", "PE-ONP", "--lang", "es"], "Missing option '--email'")],
)  # fmt: skip
def test_bad_input_is_a_usage_error_that_changes_nothing(ciess, arguments, says):
    add_contact(ciess, "PE-ONP", "datos@onp.example.org", "es")
    before = listed(ciess)
    result = ciess.run("contacts", *arguments)
    assert result.exit_code == 2
    assert says in result.output
    assert listed(ciess) == before


def test_outbox_and_reminders_refuse_bad_input(ciess):
    assert ciess.run("outbox", "resolve", "RECEIPT:nothing", "--sent").exit_code == 2
    assert "no such key" in ciess.run("outbox", "resolve", "RECEIPT:nothing", "--retry").output
    assert ciess.run("reminders", "--today", "2026-13-01").exit_code == 2


def test_addresses_never_reach_what_the_warehouse_reads(ciess):
    add_contact(ciess, "AR-ANSES", "secret.person@anses.example.org", "es")
    assert ciess.submit(EXAMPLES["staffing"] / "valid.csv", "AR-ANSES", "staffing").exit_code == 0
    settings = home_settings(ciess.home)
    export_cycle(settings)
    settings.lake_dir.mkdir(parents=True, exist_ok=True)
    Ledger.of(settings).export_parquet(settings.lake_dir / "submissions.parquet")
    before = fingerprint(settings, date(2026, 12, 4))
    ciess.run("outbox", "flush")  # the outbox changes: the warehouse has nothing new to build
    assert fingerprint(settings, date(2026, 12, 4))["ledger"] == before["ledger"]
    for path in ciess.home.rglob("*"):
        if path.is_file() and path.parent.name != "outbox" and path.name not in {"ledger.sqlite", "ledger.sqlite-wal"}:
            assert b"secret.person" not in path.read_bytes(), path

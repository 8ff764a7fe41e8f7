"""Notices go out by SMTP to a real server (aiosmtpd, in-process): in the contact's language, with
the Message-ID the outbox recorded, never twice; a server that refuses or is down leaves them failed
with its answer, and they are sent once it takes them (after the back-off)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from pipelines.notices.delivery import BACKOFF_SECONDS, flush, utc_now
from tests.conftest import EXAMPLES
from tests.notices.conftest import add_contact, free_port, home_settings, needs_explanation, staff_ids


def outbox_json(ciess, *extra) -> list[dict]:
    result = ciess.run("outbox", "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_notices_reach_the_server_in_each_contacts_language_once(ciess, smtp_server):
    add_contact(ciess, "AR-ANSES", "datos@anses.example.org", "es")
    add_contact(ciess, "AR-ANSES", "it@anses.example.org", "en", "RECEIPT")
    add_contact(ciess, "CL-IPS", "otra@ips.example.org", "es")  # another institution's: hears nothing
    needs_explanation(ciess)

    result = ciess.run("outbox", "flush")
    assert result.exit_code == 0, result.output
    assert "5 sent, 0 failed" in result.output
    received = smtp_server.mailbox.received
    assert len(received) == 5  # two receipts to two addresses, the explanations asked of one

    recorded = {(row["key"], row["to"]): row for row in outbox_json(ciess)}
    assert {row["state"] for row in recorded.values()} == {"sent"}
    ids = staff_ids()
    for message in received:
        row = recorded[(message["X-CIESS-Notice"], message["To"])]
        assert message["Message-ID"] == row["message_id"]
        assert message["From"] == "CIESS <avisos@ciess.example.org>"
        assert message["Content-Language"] == row["language"]
        assert message["Auto-Submitted"] == "auto-generated"
        body = message.get_content()
        assert not [staff for staff in ids if staff in body or staff in message["Subject"]]
        assert "cli:" not in body  # no actor of the cycle either
    to_english = [m for m in received if m["To"] == "it@anses.example.org"]
    assert {m["X-CIESS-Notice"].split(":")[0] for m in to_english} == {"RECEIPT"}
    assert all(m["Subject"].startswith("Receipt: ") for m in to_english)
    spanish = {m["X-CIESS-Notice"].split(":")[0]: m for m in received if m["To"] == "datos@anses.example.org"}
    assert spanish["RECEIPT"]["Subject"].startswith("Comprobante: ")
    subjects = {m["Subject"] for m in received if m["To"] == "datos@anses.example.org"}
    assert "Comprobante: Plantilla de personal, 2026-Q2 — Aceptado con advertencias" in subjects
    explanation = spanish["EXPLANATION_NEEDED"].get_content()
    assert "AGE_UNUSUAL" in explanation and "Plantilla de personal" in explanation
    assert "http://127.0.0.1:8000/returns/AR-ANSES/2026-Q2" in explanation

    again = ciess.run("outbox", "flush")  # a second flush, a new process: nothing goes twice
    assert "0 sent, 0 failed" in again.output
    assert len(smtp_server.mailbox.received) == 5


def test_a_refusing_server_leaves_the_notice_failed_with_its_answer_then_it_is_retried(ciess, smtp_server):
    add_contact(ciess, "AR-ANSES", "datos@anses.example.org", "pt", "RECEIPT")
    assert ciess.submit(EXAMPLES["staffing"] / "valid.csv", "AR-ANSES", "staffing").exit_code == 0
    smtp_server.mailbox.refuse = "550 5.7.1 Relaying denied for this sender"

    assert "0 sent, 1 failed" in ciess.run("outbox", "flush").output
    (failed,) = outbox_json(ciess, "--failed")
    assert failed["state"] == "failed" and failed["attempts"] == 1
    assert failed["answer"].startswith("550 5.7.1 Relaying denied")
    assert failed["next_attempt_at"] > failed["enqueued_at"]
    assert "0 sent, 0 failed" in ciess.run("outbox", "flush").output  # not before its back-off
    listing = ciess.run("outbox", "--failed").output
    assert "550 5.7.1 Relaying denied" in listing and "failed" in listing

    smtp_server.mailbox.refuse = None
    later = utc_now() + timedelta(seconds=BACKOFF_SECONDS[0] + 1)
    assert flush(home_settings(ciess.home), now=later).sent == 1
    (message,) = smtp_server.mailbox.received
    (row,) = outbox_json(ciess)
    assert row["state"] == "sent" and row["attempts"] == 2
    assert message["Message-ID"] == row["message_id"]  # the same Message-ID for every attempt
    assert message["Subject"].startswith("Recibo: ")
    assert outbox_json(ciess, "--failed") == []


def test_a_server_that_is_down_loses_nothing(ciess, smtp_server, monkeypatch):
    add_contact(ciess, "AR-ANSES", "datos@anses.example.org", "fr", "RECEIPT")
    assert ciess.submit(EXAMPLES["staffing"] / "valid.csv", "AR-ANSES", "staffing").exit_code == 0
    closed = replace(home_settings(ciess.home), smtp_port=free_port())  # nothing listens there

    assert flush(closed).failed == 1
    (row,) = outbox_json(ciess, "--failed")
    assert row["state"] == "failed" and "could not reach 127.0.0.1" in row["answer"]
    later = utc_now() + timedelta(seconds=BACKOFF_SECONDS[0] + 1)
    assert flush(closed, now=later).failed == 1  # still down: retried, and kept
    (row,) = outbox_json(ciess, "--failed")
    assert row["attempts"] == 2

    much_later = later + timedelta(seconds=BACKOFF_SECONDS[1] + 1)
    assert flush(home_settings(ciess.home), now=much_later).sent == 1
    (message,) = smtp_server.mailbox.received
    assert message["Subject"].startswith("Accusé de réception : ")
    assert outbox_json(ciess)[0]["state"] == "sent"

"""A sender that dies after the server took its message, before it could record the outcome: the
notice is shown as uncertain and never sent again by itself; a person decides (`ciess outbox resolve`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES
from tests.notices.conftest import add_contact


def outbox_rows(ciess) -> dict[str, dict]:
    return {row["to"]: row for row in json.loads(ciess.run("outbox", "--json").stdout)}


def test_a_flush_killed_after_the_server_accepted_is_uncertain_and_not_resent(ciess, smtp_server):
    add_contact(ciess, "AR-ANSES", "first@anses.example.org", "es", "RECEIPT")
    add_contact(ciess, "AR-ANSES", "second@anses.example.org", "en", "RECEIPT")
    assert ciess.submit(EXAMPLES["staffing"] / "valid.csv", "AR-ANSES", "staffing").exit_code == 0

    ciess_command = Path(sys.executable).with_name("ciess")
    process = subprocess.Popen(
        [ciess_command, "--home", ciess.home, "outbox", "flush"],
        env={**os.environ, **smtp_server.env()}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    smtp_server.mailbox.kill_after_data = process.pid  # the first message in: the sender dies
    process.communicate(timeout=120)
    assert process.returncode == -9
    smtp_server.mailbox.kill_after_data = None
    (delivered,) = smtp_server.mailbox.received

    rows = outbox_rows(ciess)
    uncertain = rows[delivered["To"]]
    assert uncertain["state"] == "uncertain"
    assert uncertain["message_id"] == delivered["Message-ID"]  # recorded before it was sent
    other = next(row for address, row in rows.items() if address != delivered["To"])
    assert other["state"] == "pending"  # never claimed: not uncertain
    listing = ciess.run("outbox", "--failed").output
    assert "uncertain" in listing and "stopped before the server's answer was recorded" in listing

    assert "1 sent, 0 failed" in ciess.run("outbox", "flush").output  # the other one only
    assert [m["To"] for m in smtp_server.mailbox.received] == [delivered["To"], other["to"]]
    assert "0 sent" in ciess.run("outbox", "flush").output
    assert outbox_rows(ciess)[delivered["To"]]["state"] == "uncertain"

    # a person looks in the server's log and decides
    refused = ciess.run("outbox", "resolve", other["key"], "--email", other["to"], "--sent")
    assert refused.exit_code == 2 and "waits for a decision" in refused.output  # it is sent, not uncertain
    retried = ciess.run("outbox", "resolve", uncertain["key"], "--email", uncertain["to"], "--retry")
    assert retried.exit_code == 0, retried.output
    assert "1 sent" in ciess.run("outbox", "flush").output
    again = smtp_server.mailbox.received[-1]
    assert again["To"] == delivered["To"] and again["Message-ID"] == delivered["Message-ID"]
    assert {row["state"] for row in outbox_rows(ciess).values()} == {"sent"}


def test_resolve_sent_marks_an_uncertain_notice_received(ciess, smtp_server):
    add_contact(ciess, "AR-ANSES", "first@anses.example.org", "es", "RECEIPT")
    assert ciess.submit(EXAMPLES["staffing"] / "valid.csv", "AR-ANSES", "staffing").exit_code == 0
    process = subprocess.Popen(
        [Path(sys.executable).with_name("ciess"), "--home", ciess.home, "outbox", "flush"],
        env={**os.environ, **smtp_server.env()}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    smtp_server.mailbox.kill_after_data = process.pid
    process.communicate(timeout=120)
    smtp_server.mailbox.kill_after_data = None
    (row,) = outbox_rows(ciess).values()
    assert row["state"] == "uncertain"
    assert ciess.run("outbox", "resolve", row["key"], "--retry", "--sent").exit_code == 0  # the last flag wins
    assert ciess.run("outbox", "resolve", row["key"]).exit_code == 2  # no decision given
    (row,) = outbox_rows(ciess).values()
    assert row["state"] == "sent"
    assert "0 sent" in ciess.run("outbox", "flush").output
    assert len(smtp_server.mailbox.received) == 1

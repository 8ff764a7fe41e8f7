"""Reminders 14 and 3 days before the deadline and the overdue notice the day after: only to the
members whose return is really MISSING a kind; once per key, however often the check runs or the
process restarts; a day missed is caught up, but a 14-day reminder never goes once the 3-day one is due.
2026-Q2 ends on 30 June: with 45 days its deadline is 14 August 2026."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipelines.notices.reminders import reminders_due, stage
from tests.conftest import EXAMPLES
from tests.notices.conftest import add_contact, home_settings

DEADLINE = date(2026, 8, 14)


@pytest.fixture
def cycle(ciess, smtp_server):
    """AR-ANSES has both kinds of 2026-Q2, CL-IPS its roster only, BR-INSS nothing; AI-SSB became a
    member in 2026-Q2 (so owes nothing for 2026-Q1); each has one contact."""
    for institution, lang in (("AR-ANSES", "es"), ("CL-IPS", "es"), ("BR-INSS", "pt"), ("AI-SSB", "en")):
        add_contact(ciess, institution, f"datos@{institution.lower()}.example.org", lang)
    for kind in ("staffing", "training"):
        assert ciess.submit(EXAMPLES[kind] / "valid.csv", "AR-ANSES", kind).receipt["status"] == "ACCEPTED"
    assert ciess.submit(EXAMPLES["staffing"] / "valid.csv", "CL-IPS", "staffing").receipt["status"] == "ACCEPTED"
    assert "sent" in ciess.run("outbox", "flush").output  # the receipts
    smtp_server.mailbox.received.clear()
    return ciess


def remind(ciess, day: date) -> str:
    result = ciess.run("reminders", "--today", day.isoformat(), "--flush")
    assert result.exit_code == 0, result.output
    return result.output


def sent(smtp_server) -> Counter:
    """The reminders and overdue notices the server received (not the receipts)."""
    return Counter(
        (m["X-CIESS-Notice"], m["To"])
        for m in smtp_server.mailbox.received
        if m["X-CIESS-Notice"].startswith(("REMINDER:", "OVERDUE:"))
    )


@pytest.mark.parametrize(
    ("days_before", "expected"),
    [(30, None), (15, None), (14, "14"), (10, "14"), (4, "14"), (3, "3"), (1, "3"), (0, "3"), (-1, "OVERDUE"),
     (-30, "OVERDUE"), (-31, None)],
)  # fmt: skip
def test_which_notice_of_the_series_is_due(days_before, expected):
    assert stage(DEADLINE - timedelta(days=days_before), DEADLINE) == expected


def test_only_members_missing_a_kind_are_reminded(cycle, smtp_server):
    due = {item.institution: item for item in reminders_due(home_settings(cycle.home), DEADLINE - timedelta(days=14))}
    assert "AR-ANSES" not in due  # both kinds accepted
    assert due["CL-IPS"].missing == ("training",) and due["BR-INSS"].missing == ("staffing", "training")
    assert due["CL-IPS"].key == "REMINDER:2026-Q2:CL-IPS:14"

    remind(cycle, DEADLINE - timedelta(days=14))
    assert set(sent(smtp_server)) == {
        ("REMINDER:2026-Q2:CL-IPS:14", "datos@cl-ips.example.org"),
        ("REMINDER:2026-Q2:BR-INSS:14", "datos@br-inss.example.org"),
        ("REMINDER:2026-Q2:AI-SSB:14", "datos@ai-ssb.example.org"),  # a member since 2026-Q2
    }
    (to_chile,) = [m for m in smtp_server.mailbox.received if m["To"] == "datos@cl-ips.example.org"]
    assert to_chile["Subject"] == "Recordatorio: su entrega de 2026-Q2 vence el 14 de agosto de 2026"
    body = to_chile.get_content()
    assert "dentro de 14 días" in body
    assert "Aún falta: «Actividades de capacitación»." in body  # only what is missing

    smtp_server.mailbox.received.clear()
    remind(cycle, date(2026, 5, 1))  # 14 days before the deadline of 2026-Q1
    institutions = {key.split(":")[2] for key, _ in sent(smtp_server)}
    assert institutions == {"AR-ANSES", "CL-IPS", "BR-INSS"}  # AI-SSB was no member in 2026-Q1


def test_a_check_run_twice_or_by_a_restarted_process_sends_nothing_twice(cycle, smtp_server):
    day = DEADLINE - timedelta(days=10)
    remind(cycle, day)
    remind(cycle, day)
    process = subprocess.run(  # another process, the next day
        [Path(sys.executable).with_name("ciess"), "--home", cycle.home, "reminders", "--today",
         (day + timedelta(days=1)).isoformat(), "--flush"],
        env=os.environ, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    assert "0 new messages" in process.stdout
    counts = sent(smtp_server)
    assert len(counts) == 3 and set(counts.values()) == {1}


def test_a_missed_day_is_caught_up_but_no_14_day_reminder_after_the_3_day_one(cycle, smtp_server):
    cycle.run("reminders", "--today", (DEADLINE - timedelta(days=12)).isoformat())  # enqueued, the server not reached
    remind(cycle, DEADLINE - timedelta(days=2))  # the schedule stopped for ten days
    keys = {key for key, _ in sent(smtp_server)}
    assert keys == {"REMINDER:2026-Q2:CL-IPS:3", "REMINDER:2026-Q2:BR-INSS:3", "REMINDER:2026-Q2:AI-SSB:3"}
    assert "sent 6, superseded 3" in cycle.run("outbox").output  # the 14-day ones never went out

    assert ciess_submits_training(cycle)
    smtp_server.mailbox.received.clear()
    remind(cycle, DEADLINE + timedelta(days=5))  # the overdue notice, caught up five days late
    assert {key for key, _ in sent(smtp_server)} == {"OVERDUE:2026-Q2:BR-INSS", "OVERDUE:2026-Q2:AI-SSB"}
    (to_brazil,) = [m for m in smtp_server.mailbox.received if m["To"] == "datos@br-inss.example.org"]
    assert to_brazil["Subject"].startswith("Prazo vencido: sua entrega de 2026-Q2 vencia em 14 de agosto de 2026")
    smtp_server.mailbox.received.clear()
    remind(cycle, DEADLINE + timedelta(days=6))
    assert not sent(smtp_server)


def ciess_submits_training(ciess) -> bool:
    """CL-IPS sends its training file: its return is no longer MISSING."""
    return ciess.submit(EXAMPLES["training"] / "valid.csv", "CL-IPS", "training").receipt["status"] == "ACCEPTED"


def test_a_14_day_reminder_that_failed_is_not_sent_once_the_3_day_one_is_due(cycle, smtp_server):
    """An outage on the 14-day reminder's day: it fails, and is retried later; once the 3-day one is
    due, the failed one is replaced, so nobody gets "14 days left" three days before the deadline."""
    smtp_server.mailbox.refuse = "451 try again later"
    remind(cycle, DEADLINE - timedelta(days=14))
    assert "failed 3" in cycle.run("outbox").output
    smtp_server.mailbox.refuse = None
    remind(cycle, DEADLINE - timedelta(days=3))
    keys = {key for key, _ in sent(smtp_server)}
    assert keys == {"REMINDER:2026-Q2:CL-IPS:3", "REMINDER:2026-Q2:BR-INSS:3", "REMINDER:2026-Q2:AI-SSB:3"}
    assert "superseded 3" in cycle.run("outbox").output

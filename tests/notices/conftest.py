"""The notices' tests: a real SMTP server in-process (aiosmtpd on 127.0.0.1, a free port) that
receives every message, and homes with contacts and submissions made through the real CLI."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import EXAMPLES, Ciess


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """The SMTP handler: keeps every message it accepts; `refuse` answers DATA with that line instead;
    `kill_after_data` SIGKILLs that process once a message is kept, before answering."""

    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: str | None = None
    kill_after_data: int | None = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        if self.refuse:
            return self.refuse
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self.kill_after_data is not None:
            os.kill(self.kill_after_data, signal.SIGKILL)  # the sender dies with its message accepted
        return "250 2.0.0 Ok: queued"


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox

    def env(self) -> dict[str, str]:
        return {
            "CIESS_SMTP_HOST": self.host,
            "CIESS_SMTP_PORT": str(self.port),
            "CIESS_SMTP_FROM": "CIESS <avisos@ciess.example.org>",
        }


@pytest.fixture
def smtp_server(monkeypatch) -> SmtpServer:
    """A real SMTP server, and the CIESS_SMTP_* settings that point at it."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    server = SmtpServer("127.0.0.1", port, mailbox)
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    yield server
    controller.stop()


def add_contact(ciess: Ciess, institution: str, address: str, lang: str, *notices: str) -> None:
    extra = ["--notices", ",".join(notices)] if notices else []
    result = ciess.run("contacts", "add", "--institution", institution, "--email", address, "--lang", lang, *extra)
    assert result.exit_code == 0, result.output


def needs_explanation(ciess: Ciess, institution: str = "AR-ANSES") -> None:
    """Both kinds of 2026-Q2 in, the roster with an AGE_UNUSUAL warning: the return needs an explanation."""
    staffing = ciess.submit(EXAMPLES["staffing"] / "warning-AGE_UNUSUAL.csv", institution, "staffing")
    assert staffing.receipt["status"] == "ACCEPTED_WITH_WARNINGS", staffing.output
    training = ciess.submit(EXAMPLES["training"] / "valid.csv", institution, "training")
    assert training.receipt["status"].startswith("ACCEPTED"), training.output


def ready(ciess: Ciess, institution: str = "AR-ANSES") -> None:
    """Both kinds of 2026-Q2 in without a warning to explain: the return is READY."""
    assert ciess.submit(EXAMPLES["staffing"] / "valid.csv", institution, "staffing").receipt["status"] == "ACCEPTED"
    assert ciess.submit(EXAMPLES["training"] / "valid.csv", institution, "training").receipt["status"] == "ACCEPTED"


def staff_ids() -> set[str]:
    """Every staff identifier of the example files: none may appear in a notice."""
    ids = set()
    for folder in EXAMPLES.values():
        for path in folder.glob("*.csv"):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
                first = line.split(",")[0].strip()
                if first.startswith("E") and first[1:].isdigit():
                    ids.add(first)
    return ids


def home_settings(home: Path):
    from pipelines.common.settings import Settings

    return Settings.from_env(home)

"""How a notice leaves: by SMTP (`CIESS_SMTP_HOST` and the other `CIESS_SMTP_*` settings), or, with
no host configured, as an .eml file under <home>/outbox/ (the embedded default), which any mail
program opens and any mail server takes."""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol

from pipelines.common.atomic import replace_with
from pipelines.common.settings import Settings

SMTP_TIMEOUT_SECONDS = 30


class SendFailed(Exception):
    """The server refused the message or could not be reached; `answer` is what it said."""

    def __init__(self, answer: str):
        super().__init__(answer)
        self.answer = answer


class Transport(Protocol):
    def send(self, message: EmailMessage, name: str) -> str:
        """Hand the message over; the server's answer (raises SendFailed when it is not taken)."""
        ...


def sender_domain(settings: Settings) -> str:
    """The domain of the From address: the right side of every Message-ID we make."""
    address = parseaddr(settings.smtp_from)[1]
    return address.rpartition("@")[2] or "ciess.invalid"


@dataclass(frozen=True)
class EmlFolder:
    folder: Path

    def send(self, message: EmailMessage, name: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.eml"
        replace_with(path, lambda temporary: temporary.write_bytes(message.as_bytes()))
        return f"written to {path.name}"


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool

    def send(self, message: EmailMessage, name: str) -> str:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as server:
                if self.starttls:
                    server.starttls(context=ssl.create_default_context())
                if self.user:
                    server.login(self.user, self.password or "")
                refused = server.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise SendFailed("; ".join(_answer(code, text) for code, text in error.recipients.values())) from error
        except smtplib.SMTPResponseException as error:
            raise SendFailed(_answer(error.smtp_code, error.smtp_error)) from error
        except (smtplib.SMTPException, OSError) as error:
            raise SendFailed(f"could not reach {self.host}:{self.port}: {error}") from error
        if refused:
            raise SendFailed("; ".join(_answer(code, text) for code, text in refused.values()))
        return f"accepted by {self.host}:{self.port}"


def _answer(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_host:
        return Smtp(settings.smtp_host, settings.smtp_port, settings.smtp_user, settings.smtp_password,
                    settings.smtp_starttls)  # fmt: skip
    return EmlFolder(settings.outbox_dir)


def email_message(sender: str, to: str, subject: str, body: str, message_id: str, lang: str, key: str,
                  when) -> EmailMessage:  # fmt: skip
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message["X-CIESS-Notice"] = key
    message.set_content(body)
    message["Content-Language"] = lang  # after set_content, which sets the Content-* headers anew
    return message

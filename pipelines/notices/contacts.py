"""Who receives the notices of an institution (spec feedback.md: "Contacts"): any number of
addresses, each with its language and the notices it wants. Managed by `ciess contacts` and on
the portal by CIESS staff; addresses are personal data and go nowhere else (no mart, report or log)."""

from __future__ import annotations

import re
from contextlib import closing

from pipelines.common.registry import institutions
from pipelines.common.settings import Settings
from pipelines.common.timestamps import now
from pipelines.contract.model import LANGUAGES
from pipelines.intake.storing import outbox
from pipelines.intake.storing.ledger import Ledger
from pipelines.intake.storing.outbox import NOTICES, Contact
from pipelines.intake.submission import UsageError

# One address, as a person writes it: local@domain.tld, no display name, no spaces or commas.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def checked_institution(code: str) -> str:
    code = (code or "").strip()
    if code not in institutions():
        raise UsageError(f"unknown institution {code!r}; `ciess institutions` lists the codes")
    return code


def checked_address(address: str) -> str:
    address = (address or "").strip()
    if len(address) > 254 or not _ADDRESS.match(address):
        raise UsageError(f"{address!r} is not an e-mail address: write it as name@domain.org, one address alone")
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def checked_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    return lang


def checked_notices(names: list[str] | None) -> tuple[str, ...]:
    """The notices asked for (all when none is named), in the spec's order."""
    wanted = {name.strip().upper() for name in (names or []) if name.strip()}
    if not wanted or wanted == {"ALL"}:
        return NOTICES
    unknown = sorted(wanted - set(NOTICES))
    if unknown:
        raise UsageError(f"unknown notice {', '.join(unknown)}: use any of {', '.join(NOTICES)} (or all)")
    return tuple(name for name in NOTICES if name in wanted)


def add_contact(settings: Settings, institution: str, address: str, language: str,
                notices: list[str] | None = None) -> tuple[Contact, bool]:  # fmt: skip
    """Add an address (or change the language and notices of one already there); True when new."""
    contact = Contact(
        checked_institution(institution), checked_address(address), checked_language(language),
        checked_notices(notices), now(),
    )  # fmt: skip
    settings.ensure()
    with Ledger.of(settings).decision() as connection:
        return contact, outbox.put_contact(connection, contact)


def remove_contact(settings: Settings, institution: str, address: str) -> None:
    institution, address = checked_institution(institution), checked_address(address)
    with Ledger.of(settings).decision() as connection:
        if not outbox.delete_contact(connection, institution, address):
            raise UsageError(f"{address} is not a contact of {institution}; `ciess contacts list` shows them")


def contacts(settings: Settings, institution: str | None = None) -> list[Contact]:
    if institution is not None:
        institution = checked_institution(institution)
    with closing(Ledger.of(settings).connect()) as connection:
        return outbox.contacts_of(connection, institution)

"""The contacts' page: CIESS staff (operator token) add, change and remove the addresses of the
e-mail notices, in their own language; an institution's token can neither see nor change them (403)."""

from __future__ import annotations

import pytest

from pipelines.notices.contacts import contacts
from tests.portal.test_cycle_portal import signed_in, text_of
from tests.portal.test_portal import Portal


@pytest.fixture
def portal(tmp_path) -> Portal:
    return Portal(tmp_path / "home")


CONTACT = {"institution": "PE-ONP", "email": "datos@onp.example.org", "language": "es",
           "notices": ["RECEIPT", "REMINDER"]}  # fmt: skip


def test_staff_manage_the_contacts_on_their_page(portal):
    staff = signed_in(portal, "operator", "es")
    assert "/contacts" in staff.get("/").text
    empty = staff.get("/contacts")
    assert empty.status_code == 200 and "Aún no hay contactos" in text_of(empty.text)

    added = staff.post("/contacts", data=CONTACT)
    assert added.status_code == 200 and "Dirección agregada a PE-ONP." in text_of(added.text)
    (contact,) = contacts(portal.settings)
    assert (contact.address, contact.language, contact.notices) == ("datos@onp.example.org", "es",
                                                                     ("RECEIPT", "REMINDER"))  # fmt: skip
    page = text_of(staff.get("/contacts").text)
    assert "datos@onp.example.org" in page and "Comprobante de cada archivo" in page

    changed = staff.post("/contacts", data={**CONTACT, "language": "fr", "notices": ["OVERDUE"]})
    assert "Dirección de PE-ONP modificada." in text_of(changed.text)
    assert contacts(portal.settings)[0].notices == ("OVERDUE",)

    bad = staff.post("/contacts", data={**CONTACT, "email": "no es una dirección"})
    assert bad.status_code == 422 and "is not an e-mail address" in bad.text
    assert len(contacts(portal.settings)) == 1

    removed = staff.post("/contacts/remove", data={"institution": "PE-ONP", "email": "datos@onp.example.org"})
    assert removed.status_code == 200 and "Dirección quitada de PE-ONP." in text_of(removed.text)
    assert contacts(portal.settings) == []


def test_an_institution_can_neither_see_nor_change_the_contacts(portal):
    staff = signed_in(portal, "operator")
    staff.post("/contacts", data=CONTACT)
    officer = signed_in(portal, "AR-ANSES")
    assert "/contacts" not in officer.get("/").text
    seen = officer.get("/contacts")
    assert seen.status_code == 403 and "datos@onp.example.org" not in seen.text
    assert officer.post("/contacts", data={**CONTACT, "email": "intruder@example.org"}).status_code == 403
    assert (
        officer.post("/contacts/remove", data={"institution": "PE-ONP", "email": CONTACT["email"]}).status_code == 403
    )
    assert [c.address for c in contacts(portal.settings)] == ["datos@onp.example.org"]
    assert portal.client.get("/contacts", follow_redirects=False).status_code == 303  # not signed in: sign in first

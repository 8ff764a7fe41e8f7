"""The notices the cycle's events cause, enqueued in the event's own transaction, and written as .eml
files under <home>/outbox/ when no SMTP host is configured: RECEIPT, EXPLANATION_NEEDED, RETURNED
(with the comment) and APPROVED; FEEDBACK_READY through the function the feedback reports call."""

from __future__ import annotations

import email
import email.policy
import json

import pytest

from pipelines.intake.submission import UsageError
from pipelines.notices.feedback import enqueue_feedback_ready
from tests.notices.conftest import add_contact, home_settings, needs_explanation, staff_ids

COMMENT = "The roster lists a 95-year-old: check the birth years, please."


def eml_files(ciess) -> dict[str, email.message.EmailMessage]:
    folder = ciess.home / "outbox"
    return {
        message["X-CIESS-Notice"] + " " + message["To"]: message
        for message in (email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                        for p in sorted(folder.glob("*.eml")))
    }  # fmt: skip


def keys(ciess) -> list[str]:
    return [row["key"] for row in json.loads(ciess.run("outbox", "--json").stdout)]


def test_review_and_explanations_cause_their_notices_written_as_eml_files(ciess, monkeypatch):
    monkeypatch.delenv("CIESS_SMTP_HOST", raising=False)
    add_contact(ciess, "AR-ANSES", "datos@anses.example.org", "es", "EXPLANATION_NEEDED", "RETURNED", "APPROVED")
    needs_explanation(ciess)
    assert [key.split(":")[0] for key in keys(ciess)] == ["EXPLANATION_NEEDED"]  # no RECEIPT: not wanted

    period = ["--institution", "AR-ANSES", "--period", "2026-Q2"]
    assert ciess.run("review", "return", *period, "--comment", COMMENT).exit_code == 0
    submission = json.loads(ciess.run("audit", "--json").stdout)
    roster = next(e for e in submission if e["action"] == "submission" and e["kind"] == "staffing")
    explained = ciess.run("explain", roster["submission_id"], "--rule", "AGE_UNUSUAL",
                          "--text", "She is a consultant kept on the roster by a special decree.")  # fmt: skip
    assert explained.exit_code == 0, explained.output
    assert ciess.run("review", "approve", *period).exit_code == 0
    refused = ciess.run("review", "approve", *period)  # refused by the cycle: no notice
    assert refused.exit_code == 1
    assert [key.split(":")[0] for key in keys(ciess)] == ["EXPLANATION_NEEDED", "RETURNED", "APPROVED"]

    assert "3 sent" in ciess.run("outbox", "flush").output
    messages = eml_files(ciess)
    assert len(messages) == 3
    by_notice = {name.split(":")[0]: message for name, message in messages.items()}
    returned = by_notice["RETURNED"]
    assert returned["Subject"] == "2026-Q2: el CIESS devolvió su entrega"
    assert COMMENT in returned.get_content()
    assert by_notice["APPROVED"]["Subject"] == "2026-Q2: su entrega fue aprobada"
    for message in messages.values():
        body = message.get_content()
        assert "cli:" not in body and "token:" not in body  # never who at CIESS did it
        assert not [staff for staff in staff_ids() if staff in body]
        assert message["Message-ID"] in {row["message_id"] for row in json.loads(ciess.run("outbox", "--json").stdout)}
    assert "0 sent" in ciess.run("outbox", "flush").output
    assert len(list((ciess.home / "outbox").glob("*.eml"))) == 3


def test_every_submission_path_gets_a_receipt_notice_even_a_rejected_file(ciess):
    from tests.conftest import EXAMPLES

    add_contact(ciess, "AR-ANSES", "datos@anses.example.org", "en", "RECEIPT")
    rejected = ciess.submit(EXAMPLES["staffing"] / "invalid-VALUE_RANGE.csv", "AR-ANSES", "staffing")
    assert rejected.receipt["status"] == "REJECTED"
    assert keys(ciess) == [f"RECEIPT:{rejected.receipt['submission_id']}"]
    ciess.run("outbox", "flush")
    (message,) = eml_files(ciess).values()
    assert message["Subject"] == "Receipt: Staffing roster, 2026-Q2 — Rejected"
    body = message.get_content()
    assert "VALUE_RANGE" in body and "correct the errors and send it again" in body
    assert f"/receipts/{rejected.receipt['submission_id']}" in body
    assert not [staff for staff in staff_ids() if staff in body]


def test_feedback_ready_goes_in_each_contacts_language_with_its_link(ciess):
    add_contact(ciess, "PE-ONP", "datos@onp.example.org", "es")
    add_contact(ciess, "PE-ONP", "intl@onp.example.org", "fr")
    add_contact(ciess, "PE-ONP", "quiet@onp.example.org", "en", "RECEIPT")  # does not want it
    settings = home_settings(ciess.home)
    links = {"es": "/reports/2026-Q2/institutions/PE-ONP.es.html", "en": "https://ciess.example.org/r/PE-ONP.en.html"}
    assert enqueue_feedback_ready(settings, "PE-ONP", "2026-Q2", ["es", "en"], links) == 2
    assert enqueue_feedback_ready(settings, "PE-ONP", "2026-Q2", ["es", "en"], links) == 0  # a key goes once
    assert keys(ciess) == ["FEEDBACK_READY:2026-Q2:PE-ONP"] * 2
    ciess.run("outbox", "flush")
    messages = {message["To"]: message for message in eml_files(ciess).values()}
    spanish = messages["datos@onp.example.org"].get_content()
    assert messages["datos@onp.example.org"]["Subject"] == "2026-Q2: su informe de retroalimentación está listo"
    assert "Léalo: http://127.0.0.1:8000/reports/2026-Q2/institutions/PE-ONP.es.html" in spanish
    assert "También en inglés: https://ciess.example.org/r/PE-ONP.en.html" in spanish
    french = messages["intl@onp.example.org"].get_content()  # no French report: the first, and the other
    assert "Lisez-le : http://127.0.0.1:8000/reports/2026-Q2/institutions/PE-ONP.es.html" in french
    assert "Aussi en anglais : https://ciess.example.org/r/PE-ONP.en.html" in french


@pytest.mark.parametrize(
    ("institution", "period", "languages", "links", "says"),
    [("XX-NONE", "2026-Q2", ["es"], {"es": "/r"}, "unknown institution"),
     ("PE-ONP", "2026-13", ["es"], {"es": "/r"}, "YYYY-Qn"),
     ("PE-ONP", "2026-Q2", ["de"], {"de": "/r"}, "unknown language"),
     ("PE-ONP", "2026-Q2", ["es"], {}, "no report link for any of its languages")],
)  # fmt: skip
def test_feedback_ready_refuses_bad_input_and_changes_nothing(ciess, institution, period, languages, links, says):
    add_contact(ciess, "PE-ONP", "datos@onp.example.org", "es")
    with pytest.raises(UsageError, match=says):
        enqueue_feedback_ready(home_settings(ciess.home), institution, period, languages, links)
    assert keys(ciess) == []

"""Every notice is written whole in each of the four languages, from one text file, with the codes
as their labels and the dates as the language writes them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.common.settings import Settings
from pipelines.contract.model import LANGUAGES
from pipelines.intake.storing.outbox import NOTICES, OutboxRow
from pipelines.notices.wording import NOTICE_TEXTS, word

FACTS = {
    "RECEIPT": {"submission_id": "20260801T101500-ab12cd34ef", "kind": "training", "period": "2026-Q2",
                "status": "ACCEPTED_WITH_WARNINGS", "version": 2, "rows": 12345, "errors": 0, "warnings": 3,
                "late": True, "rule_counts": {"HOURS_UNUSUAL": 3}, "received_at": "2026-08-01T10:15:00Z"},
    "REMINDER": {"deadline": "2026-08-14", "days_left": 14, "missing": ["training"]},
    "OVERDUE": {"deadline": "2026-08-14", "days_left": -1, "missing": ["staffing", "training"]},
    "EXPLANATION_NEEDED": {"warnings": [{"kind": "staffing", "rule": "AGE_UNUSUAL", "count": 2, "submission_id": "x"}]},
    "RETURNED": {"comment": "Please check the hours of the July courses."},
    "APPROVED": {},
    "FEEDBACK_READY": {"report_links": {"en": "https://example.org/en", "es": "https://example.org/es"}},
}  # fmt: skip
DEADLINE_WRITTEN = {"en": "August 14, 2026", "es": "14 de agosto de 2026", "pt": "14 de agosto de 2026",
                    "fr": "14 août 2026"}  # fmt: skip


def row(notice: str, lang: str) -> OutboxRow:
    return OutboxRow(1, f"{notice}:key", "a@example.org", notice, "PE-ONP", "2026-Q2", lang, FACTS[notice],
                     "2026-08-01T00:00:00Z", "pending", 0, "2026-08-01T00:00:00Z", None, None, None, None)  # fmt: skip


def test_the_text_file_has_every_notice_in_every_language():
    texts = yaml.safe_load(Path(NOTICE_TEXTS.path).read_text(encoding="utf-8"))
    assert set(NOTICES) <= set(texts) and set(texts["names"]) == set(NOTICES)

    def leaves(node, path=""):
        if isinstance(node, dict) and "en" in node:
            yield path, node
        elif isinstance(node, dict):
            for key, value in node.items():
                yield from leaves(value, f"{path}.{key}".strip("."))

    for path, entry in leaves(texts):
        assert set(entry) == set(LANGUAGES), path
        assert all(entry[lang].strip() for lang in LANGUAGES), path


@pytest.mark.parametrize("notice", NOTICES)
def test_each_notice_reads_in_each_language(notice):
    written = {lang: word(row(notice, lang), Settings.from_env(Path("/nowhere"))) for lang in LANGUAGES}
    for lang, wording in written.items():
        assert wording.subject and "{" not in wording.subject + wording.body, (lang, wording)
        assert "Oficina de Normalización Previsional" in wording.body
        if lang != "en":
            assert wording.subject != written["en"].subject
            english_lines = set(written["en"].body.splitlines()) - {"", "-- "}
            same = [line for line in wording.body.splitlines() if line in english_lines and "http" not in line]
            assert not [line for line in same if not line.strip().startswith(("-", "Please check"))], (lang, same)
        if notice in ("REMINDER", "OVERDUE"):
            assert DEADLINE_WRITTEN[lang] in wording.subject
    if notice == "RECEIPT":
        assert "12.345" in written["es"].body and "12,345" in written["en"].body  # numbers as each language writes them
        assert "Actividades de capacitación" in written["es"].subject
        assert "HOURS_UNUSUAL" in written["pt"].body

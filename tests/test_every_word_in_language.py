"""Every word a Spanish-, Portuguese- or French-speaking reader reads is in their language: the
portal's pages, the receipt (page, command line, issues list), the templates, the regional
summaries and their index, the feedback reports and theirs, rendered from a built sample home,
hold no raw code where the code has a label and no English sentence of the product's texts.

A code may be shown beside its label (a rule code with its explanation, "F — Femenino" in a
drop-down list): an occurrence is allowed when the label is written near it. Proper names
(institutions, CIESS) and periods are not codes of a list."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
import yaml

from pipelines.common.paths import PROJECT_ROOT, SCHEMAS_DIR
from pipelines.contract import vocabulary
from pipelines.contract.model import KINDS, load_contract
from pipelines.contract.templates import TEMPLATE_TEXTS
from pipelines.portal.pages import TEMPLATES_DIR as PORTAL_TEMPLATES
from pipelines.reports.regional import TEMPLATES_DIR as REPORT_TEMPLATES
from tests.conftest import EXAMPLES, Ciess, copy_home, ledger_of, read_issues_csv
from tests.portal.browsing import Browser
from tests.portal.test_portal import Portal

LANGUAGES = ("es", "pt", "fr")
NEAR = 160  # characters around a code within which its label makes it "shown beside its label"
TEXT_FILES = [
    PORTAL_TEMPLATES / "portal_text.yaml",
    REPORT_TEMPLATES / "report_text.yaml",
    SCHEMAS_DIR / "receipt.yaml",
    SCHEMAS_DIR / "rules.yaml",
    SCHEMAS_DIR / "vocabulary.yaml",
    TEMPLATE_TEXTS.path,
    PROJECT_ROOT / "pipelines" / "notices" / "notice_text.yaml",
]


def raw_codes(lang: str) -> dict[str, set[str]]:
    """Code -> what the reader should read instead (a code of two lists has two labels), for every
    code that could be found in a text (at least four characters or with an underscore: F, M, IT
    would be found in words)."""
    found: dict[str, set[str]] = {}
    for code_list, codes in vocabulary.code_lists().items():
        if code_list == vocabulary.COUNTRY:
            continue  # two letters
        for code, labels in codes.items():
            label = labels.get(lang) or labels.get("en") or ""
            if (len(code) >= 4 or "_" in code) and code.lower() not in label.lower():  # not CIESS, Virtual
                found.setdefault(code, set()).add(label)
    for kind in KINDS:
        for column in load_contract(kind).columns:
            if "_" in column.name or column.name == "fte":
                found.setdefault(column.name, set()).add(column.label(lang))
    return found


def english_sentences(lang: str) -> set[str]:
    """Pieces of the product's English texts (between placeholders and punctuation, three words or
    more) whose text in `lang` is different: none may be read on a page in `lang`."""
    pieces = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("en"), str) and isinstance(node.get(lang), str) and node["en"] != node[lang]:
                for piece in re.split(r"\{[^}]*\}|[.;:!?]\s", node["en"]):
                    piece = piece.strip(" .,:;()\"'“”«»")
                    if len(piece.split()) >= 3 and len(piece) >= 15:
                        pieces.add(piece)
            for value in node.values():
                walk(value)

    for path in TEXT_FILES:
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return pieces


class _Visible(HTMLParser):
    """The text a reader sees: no tags, attributes, styles or scripts; the words of the charts
    (matplotlib writes each text of an SVG drawn as paths in a comment)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("style", "script")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("style", "script")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)

    def handle_comment(self, data):
        self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def problems(text: str, lang: str) -> list[str]:
    """Each raw code without its label near it, and each English sentence, found in `text`."""
    found = []
    for code, labels in raw_codes(lang).items():
        for match in re.finditer(rf"(?<![A-Za-z0-9_-]){re.escape(code)}(?![A-Za-z0-9_-])", text):
            around = text[max(0, match.start() - NEAR) : match.end() + NEAR]
            if not any(label in around for label in labels):
                where = text[max(0, match.start() - 60) : match.end() + 60]
                found.append(f"code {code} without “{' / '.join(sorted(labels))}”: …{where}…")
    found += [f"English: “{piece}”" for piece in english_sentences(lang) if piece in text]
    return found


def _signed_in(portal: Portal, who: str, lang: str) -> Browser:
    browser = Browser(portal.app)
    assert browser.sign_in(portal.tokens[who]).status_code == 303
    assert browser.get(f"/?lang={lang}").status_code == 200
    return browser


@pytest.fixture(scope="module")
def home(sample, tmp_path_factory) -> Ciess:
    """A copy of the built sample with its summaries of 2026-Q2 for one subregion in es, pt and fr."""
    ciess = copy_home(sample.home, tmp_path_factory.mktemp("languages"))
    languages = [part for lang in LANGUAGES for part in ("--lang", lang)]
    assert ciess.run("report", "--period", "2026-Q2", "--subregion", "SOUTHERN_CONE", *languages).exit_code == 0
    assert ciess.run("feedback", "--period", "2026-Q2", "--institution", "AR-ANSES", *languages).exit_code == 0
    return ciess


def portal_pages(home: Ciess, lang: str, tmp_path: Path) -> dict[str, str]:
    """Every page of the portal an officer or CIESS staff reads, in `lang`."""
    portal = Portal(home.home)
    pages = {"sign-in": Browser(portal.app).get(f"/?lang={lang}").text}
    officer = _signed_in(portal, "AR-ANSES", lang)
    pages["home"] = officer.get("/").text
    for row in ledger_of(home.home).all():
        if row.institution != "AR-ANSES":
            continue
        pages[f"receipt {row.status} {row.kind} {row.period}"] = officer.get(f"/receipts/{row.submission_id}").text
    bad_file = (EXAMPLES["training"] / "invalid-CODE_UNKNOWN.csv").read_bytes()
    bad = officer.post("/upload", data={"kind": "training", "period": "2026-Q2"}, files={"file": ("bad.csv", bad_file)})
    pages["receipt of an upload"] = bad.text
    replacement = tmp_path / f"replacement-{lang}.csv"
    replacement.write_bytes(
        (EXAMPLES["staffing"] / "valid.csv").read_bytes() + b"E0099,F,1990,2020-01-01,IT,PERMANENT,1\n"
    )
    pages["confirm a replacement"] = officer.post(
        "/upload", data={"kind": "staffing", "period": "2026-Q2"}, files={"file": ("r.csv", replacement.read_bytes())}
    ).text
    forged = Browser(portal.app)
    forged.sign_in(portal.tokens["AR-ANSES"])
    forged.get(f"/?lang={lang}")
    forged.csrf = None  # a form posted from elsewhere carries no secret
    pages["forged form"] = forged.post("/explanations", data={"submission_id": "x", "rule": "x", "text": "x"}).text
    staff = _signed_in(portal, "operator", lang)
    pages["review grid"] = staff.get("/review?period=2026-Q2").text
    return {name: visible(html) for name, html in pages.items()}


def workbook_texts(data: bytes) -> str:
    """Every string of a template a reader sees: sheet names, cells (but the instructions' column of
    contract names, which shows each beside its label), drop-down messages."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    texts = list(book.sheetnames)
    for index, sheet in enumerate(book.worksheets):
        for row in sheet.iter_rows(values_only=True):
            texts += [str(value) for position, value in enumerate(row)
                      if value is not None and not (index == 2 and position == 1)]  # fmt: skip
        for validation in sheet.data_validations.dataValidation:
            texts += [validation.error or "", validation.errorTitle or "", validation.prompt or ""]
    return " | ".join(texts)


@pytest.mark.warehouse
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_receipt_template_and_report_is_in_the_readers_language(home, lang, tmp_path):
    texts = portal_pages(home, lang, tmp_path)
    said = home.run("submit", EXAMPLES["training"] / "invalid-CODE_UNKNOWN.csv", "--institution", "AR-ANSES",
                    "--kind", "training", "--period", "2026-Q2", "--lang", lang)  # fmt: skip
    texts["command-line receipt"] = said.output
    newest = max((row for row in ledger_of(home.home).all() if row.institution == "AR-ANSES"),
                 key=lambda row: row.received_at)  # fmt: skip
    # every line of the full list of issues gives its rule's code beside the message that explains it
    listed = read_issues_csv(home.home / newest.issues_path, lang)
    texts["issues.csv"] = " | ".join(value for record in listed for name, value in record.items() if name != "rule")
    for kind in KINDS:
        portal = Portal(home.home)
        texts[f"{kind}.xlsx"] = workbook_texts(portal.client.get(f"/api/templates/{kind}.xlsx?lang={lang}").content)
        texts[f"{kind}.csv"] = portal.client.get(f"/api/templates/{kind}.csv?lang={lang}").text
    reports = home.home / "reports"
    texts["report"] = visible((reports / "2026-Q2" / f"SOUTHERN_CONE.{lang}.html").read_text(encoding="utf-8"))
    texts["report index"] = visible((reports / f"index.{lang}.html").read_text(encoding="utf-8"))
    feedback = reports / "2026-Q2" / "institutions"
    texts["feedback report"] = visible((feedback / f"AR-ANSES.{lang}.html").read_text(encoding="utf-8"))
    texts["feedback index"] = visible((feedback / f"index.{lang}.html").read_text(encoding="utf-8"))
    assert len([name for name in texts if name.startswith("receipt")]) >= 3
    found = {name: problems(text, lang) for name, text in texts.items()}
    assert not any(found.values()), "\n".join(f"{name}: {line}" for name, lines in found.items() for line in lines)


def test_the_check_finds_a_raw_code_and_an_english_sentence():
    """The check itself, on a page that got both wrong (and one that shows a code beside its label)."""
    page = "<p>Estado: ACCEPTED_WITH_WARNINGS</p><p>Nothing was loaded; fix them and send the file again.</p>"
    said = problems(visible(page), "es")
    assert any("ACCEPTED_WITH_WARNINGS" in line for line in said) and any(line.startswith("English") for line in said)
    assert (
        problems(
            visible("<td><strong>CODE_UNKNOWN</strong> Un valor no es uno de los códigos de la columna.</td>"), "es"
        )
        == []
    )

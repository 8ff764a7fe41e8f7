"""Regional summaries: the figures on the page are the marts' figures, formatted for the reader's
language; the PDF has its pages; the index lists every report."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pypdf
import pytest

from pipelines.common.periods import Period
from tests.conftest import Ciess, copy_home

PERIOD = "2026-Q2"
SUBREGION = "SOUTHERN_CONE"
MOST_PAGES = 3  # a subregion's summary flows: findings, headline and trend; institutions and coverage; the rest


@pytest.fixture(scope="module")
def reported(sample, tmp_path_factory) -> Ciess:
    """A small warehouse (two quarters, a few institutions: a copy of the built sample) and its reports."""
    ciess = copy_home(sample.home, tmp_path_factory.mktemp("reports"))
    languages = [part for lang in ("es", "en", "fr") for part in ("--lang", lang)]
    result = ciess.run("report", "--period", PERIOD, "--subregion", SUBREGION, *languages)
    assert result.exit_code == 0, result.output
    return ciess


class _Cells(HTMLParser):
    """Collects the text of cells marked with data-measure, per table row."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self.headline: dict[str, str] = {}
        self._row = None
        self._measure = None
        self._current = False
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self._row = attrs.get("data-institution") or (
                "headline:" + attrs["data-measure"] if "data-measure" in attrs else None
            )
        if tag == "td":
            self._measure = attrs.get("data-measure")
            self._current = attrs.get("class") == "current"
            self._text = ""

    def handle_data(self, data):
        self._text += data

    def handle_endtag(self, tag):
        if tag != "td" or self._row is None:
            return
        if self._row.startswith("headline:") and self._current:
            self.headline[self._row.removeprefix("headline:")] = self._text.strip()
        elif self._measure:
            self.rows.setdefault(self._row, {})[self._measure] = self._text.strip()
        self._measure, self._current = None, False


def _page(reported: Ciess, lang: str) -> _Cells:
    cells = _Cells()
    cells.feed((reported.home / "reports" / PERIOD / f"{SUBREGION}.{lang}.html").read_text(encoding="utf-8"))
    return cells


def _mart(reported: Ciess, sql: str) -> list[dict]:
    return json.loads(reported.run("query", sql, "--format", "json").stdout)


def _number(text: str, lang: str) -> float:
    """Read a figure as printed: es uses '.' for thousands and ',' for decimals, en the reverse."""
    raw = text.replace("\xa0", "").replace("\u202f", "").replace(" ", "").replace("%", "")
    raw = raw.replace(".", "").replace(",", ".") if lang == "es" else raw.replace(",", "")
    return float(raw)


@pytest.mark.warehouse
@pytest.mark.parametrize("lang", ["es", "en"])
def test_headline_figures_are_the_subregion_mart(reported, lang):
    (mart,) = _mart(
        reported, f"select * from capacity_by_subregion where subregion_code = '{SUBREGION}' and period = '{PERIOD}'"
    )
    page = _page(reported, lang)
    assert _number(page.headline["headcount"], lang) == mart["headcount"]
    assert _number(page.headline["staff_trained"], lang) == mart["staff_trained"]
    assert _number(page.headline["training_coverage"], lang) == pytest.approx(100 * mart["training_coverage"], abs=0.05)
    assert _number(page.headline["hours_per_employee"], lang) == pytest.approx(mart["hours_per_employee"], abs=0.005)
    assert _number(page.headline["completion_rate"], lang) == pytest.approx(100 * mart["completion_rate"], abs=0.05)


@pytest.mark.warehouse
def test_decimal_separators_follow_the_language(reported):
    assert "," in _page(reported, "es").headline["hours_per_employee"]
    assert "." in _page(reported, "en").headline["hours_per_employee"]


@pytest.mark.warehouse
@pytest.mark.parametrize("lang", ["es", "en"])
def test_institution_table_is_the_institution_mart(reported, lang):
    marts = _mart(
        reported, f"select * from capacity_by_institution where subregion_code = '{SUBREGION}' and period = '{PERIOD}'"
    )
    page = _page(reported, lang)
    assert set(page.rows) == {row["institution_code"] for row in marts}
    for row in marts:
        if row["headcount"] is not None:
            assert _number(page.rows[row["institution_code"]]["headcount"], lang) == row["headcount"]


@pytest.mark.warehouse
def test_names_and_dates_are_in_the_reader_language(reported):
    spanish = (reported.home / "reports" / PERIOD / f"{SUBREGION}.es.html").read_text(encoding="utf-8")
    english = (reported.home / "reports" / PERIOD / f"{SUBREGION}.en.html").read_text(encoding="utf-8")
    assert "Cono Sur" in spanish and "Southern Cone" in english
    assert "abril de 2026" in spanish and "April 1, 2026" in english
    assert "Brasil" in spanish and "Brazil" in english
    assert spanish.count("<svg") == 3  # the charts are inside the file
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', spanish) and "<link" not in spanish  # nothing fetched


@pytest.mark.warehouse
@pytest.mark.parametrize(
    ("lang", "title", "page_of"),
    [("es", "Capacitación en la subregión Cono Sur", "Página {} de {}"),
     ("en", "Capacity building in the Southern Cone subregion", "Page {} of {}")],
)  # fmt: skip
def test_the_pdf_flows_on_few_pages_each_with_its_running_header(reported, lang, title, page_of):
    pages = pypdf.PdfReader(reported.home / "reports" / PERIOD / f"{SUBREGION}.{lang}.pdf").pages
    assert len(pages) <= MOST_PAGES
    for number, page in enumerate(pages, start=1):
        text = " ".join(page.extract_text().split())
        assert f"{title} · {PERIOD}" in text and page_of.format(number, len(pages)) in text


def _findings(reported: Ciess, lang: str) -> list[str]:
    html = (reported.home / "reports" / PERIOD / f"{SUBREGION}.{lang}.html").read_text(encoding="utf-8")
    found = re.search(r'<ul class="findings">(.*?)</ul>', html, re.S)
    return [
        " ".join(re.sub("<[^>]+>", "", item).split()) for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)
    ]


def _percent(value: float, lang: str) -> str:
    """A share as the reader reads it, written here without the product's formatter."""
    text = f"{100 * value:.1f}"
    return (text.replace(".", ",") + "%") if lang == "es" else text + "%"


@pytest.mark.warehouse
@pytest.mark.parametrize(("lang", "up", "down"), [("en", "up", "down"), ("es", "más", "menos")])
def test_the_first_finding_gives_coverage_and_its_changes_from_the_mart(reported, lang, up, down):
    def coverage(period):
        rows = _mart(reported, f"select training_coverage from capacity_by_subregion "
                               f"where subregion_code = '{SUBREGION}' and period = '{period}'")  # fmt: skip
        return rows[0]["training_coverage"] if rows else None

    findings = _findings(reported, lang)
    assert 3 <= len(findings) <= 5
    now = coverage(PERIOD)
    first = findings[0]
    assert first.startswith(("Training coverage", "Cobertura de capacitación")) and _percent(now, lang) in first
    for before in (coverage(str(Period.parse(PERIOD).previous())), coverage("2025-Q2")):
        if before is None or round(100 * now, 1) == round(100 * before, 1):
            continue
        size = f"{abs(100 * now - 100 * before):.1f}".replace(".", "," if lang == "es" else ".")
        direction = up if now > before else down
        assert f"{size} " in first and _percent(before, lang) in first and direction in first


@pytest.mark.warehouse
def test_french_writes_the_first_of_the_month_as_an_ordinal(reported):
    french = (reported.home / "reports" / PERIOD / f"{SUBREGION}.fr.html").read_text(encoding="utf-8")
    assert "du 1er avril 2026 au 30 juin 2026" in french and "Renforcement des capacités dans la sous-région" in french


@pytest.mark.warehouse
def test_index_lists_every_report_in_each_language(reported):
    for index_name, title, name in [("index.html", "Regional summaries", "Southern Cone"),
                                    ("index.es.html", "Resúmenes regionales", "Cono Sur"),
                                    ("index.fr.html", "Synthèses régionales", "Cône Sud")]:  # fmt: skip
        index = (reported.home / "reports" / index_name).read_text(encoding="utf-8")
        assert title in index and name in index
        for lang in ("es", "en", "fr"):
            assert f'href="{PERIOD}/{SUBREGION}.{lang}.html"' in index
            assert f'href="{PERIOD}/{SUBREGION}.{lang}.pdf"' in index


@pytest.mark.warehouse
def test_report_of_a_quarter_without_data_says_so(reported):
    result = reported.run("report", "--period", "2019-Q1")
    assert result.exit_code == 2
    assert "no data for 2019-Q1" in result.output


def test_schedule_asks_for_the_closed_quarter_once_its_deadline_has_passed():
    from datetime import date

    from pipelines.common.periods import quarter_due

    assert quarter_due(date(2026, 11, 14), 45) is None  # 2026-Q3 deadline is 2026-11-14
    assert quarter_due(date(2026, 11, 15), 45) == Period(2026, 3)
    assert quarter_due(date(2026, 10, 2), 45) is None

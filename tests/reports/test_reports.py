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
EXPECTED_PAGES = 5  # headline and trend; institutions; coverage chart; themes, missing, late; data quality


@pytest.fixture(scope="module")
def reported(sample, tmp_path_factory) -> Ciess:
    """A small warehouse (two quarters, a few institutions: a copy of the built sample) and its reports."""
    ciess = copy_home(sample.home, tmp_path_factory.mktemp("reports"))
    result = ciess.run("report", "--period", PERIOD, "--subregion", SUBREGION, "--lang", "es", "--lang", "en")
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
@pytest.mark.parametrize("lang", ["es", "en"])
def test_pdf_has_the_expected_pages(reported, lang):
    pdf = reported.home / "reports" / PERIOD / f"{SUBREGION}.{lang}.pdf"
    assert len(pypdf.PdfReader(pdf).pages) == EXPECTED_PAGES


@pytest.mark.warehouse
def test_index_lists_every_report(reported):
    index = (reported.home / "reports" / "index.html").read_text(encoding="utf-8")
    for lang in ("es", "en"):
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

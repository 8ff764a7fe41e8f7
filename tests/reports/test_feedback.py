"""Institution feedback reports: the figures on the page are the marts' figures, the peers' medians
and quartiles agree with a computation of their own in the test, no other institution is named,
the data status is said, and only the institution itself (and CIESS staff) can download its report."""

from __future__ import annotations

import csv
import sqlite3
import statistics
from html.parser import HTMLParser

import dagster as dg
import duckdb
import pypdf
import pytest

from pipelines.common.paths import REFERENCE_DIR
from pipelines.common.periods import Period
from pipelines.common.settings import Settings
from pipelines.reports.feedback import feedback_due, feedback_file
from pipelines.reports.feedback_data import FEEDBACK_MEASURES, MIN_PEERS
from pipelines.reports.wording import Words
from tests.conftest import SAMPLE_INSTITUTIONS, Ciess, copy_home

PROVISIONAL, LOCKED = "2026-Q1", "2026-Q2"
SHOWN = ("AR-ANSES", "BR-INSS")  # two institutions of two subregions, each in two languages
LANGS = ("es", "en")
BANDS = ((1000, "UNDER_1000"), (10000, "FROM_1000_TO_9999"))
pytestmark = pytest.mark.warehouse


@pytest.fixture(scope="module")
def fed(sample, tmp_path_factory) -> Ciess:
    """A copy of the sample, its 2026-Q2 locked (final figures, revision 1), and the feedback reports
    of both quarters for two institutions in two languages, made with `ciess feedback`."""
    ciess = copy_home(sample.home, tmp_path_factory.mktemp("feedback"))
    for lang in LANGS:  # AR-ANSES's two contacts, each told in its own language
        added = ciess.run("contacts", "add", "--institution", "AR-ANSES", "--email", f"datos-{lang}@anses.example.org",
                          "--lang", lang, "--notices", "FEEDBACK_READY")  # fmt: skip
        assert added.exit_code == 0, added.output
    locked = ciess.run("period", "lock", LOCKED, "--reason", "Quarterly review done for the feedback test")
    assert locked.exit_code == 0, locked.output
    for period in (PROVISIONAL, LOCKED):
        asked = [part for code in SHOWN for part in ("--institution", code)]
        asked += [part for lang in LANGS for part in ("--lang", lang)]
        result = ciess.run("feedback", "--period", period, *asked)
        assert result.exit_code == 0, result.output
    return ciess


def _marts(ciess: Ciess):
    return duckdb.connect(str(ciess.home / "warehouse" / "published.duckdb"), read_only=True)


def _rows(connection, sql: str, params=()) -> list[dict]:
    cursor = connection.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _of(connection, mart: str, period: str, institution: str) -> list[dict]:
    return _rows(
        connection, f"select * from marts.{mart} where period = ? and institution_code = ?", [period, institution]
    )


def _institution_figures(connection, period: str) -> list[dict]:
    """Every institution's figures of the period as the report must give them: a locked period's
    newest final revision, else the current marts."""
    kept = _rows(connection, "select * from marts.final_capacity_by_institution where period = ?", [period])
    if kept:
        newest = max(row["revision"] for row in kept)
        return [row for row in kept if row["revision"] == newest]
    return _rows(connection, "select * from marts.capacity_by_institution where period = ?", [period])


def _band(headcount: int | None, institution: str) -> str:
    if headcount is None:
        with open(REFERENCE_DIR / "institutions.csv", encoding="utf-8") as handle:
            headcount = int(
                next(r for r in csv.DictReader(handle) if r["institution_code"] == institution)["approx_staff"]
            )
    return next((band for limit, band in BANDS if headcount < limit), "FROM_10000")


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    """Continuous quartiles (linear between the ordered values), written out independently."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def _expected_peers(connection, period: str) -> dict[tuple[str, str, str], tuple[int, float, float, float]]:
    figures = _institution_figures(connection, period)
    values: dict[tuple[str, str, str], list[float]] = {}
    for row in figures:
        band = _band(row["headcount"], row["institution_code"])
        for measure in FEEDBACK_MEASURES:
            if row[measure] is not None:
                for group in (("size_band", band), ("americas", "AMERICAS")):
                    values.setdefault((*group, measure), []).append(float(row[measure]))
    return {key: (len(found), *_quartiles(found)) for key, found in values.items()}


@pytest.mark.parametrize("period", [PROVISIONAL, LOCKED])
def test_peer_quartiles_agree_with_an_independent_computation(fed, period):
    with _marts(fed) as connection:
        expected = _expected_peers(connection, period)
        held = {
            (row["comparison"], row["group_code"], row["measure"]): (
                row["institutions"],
                row["q1"],
                row["median"],
                row["q3"],
            )
            for row in _rows(connection, "select * from marts.peer_comparison where period = ?", [period])
            if row["measure"] in FEEDBACK_MEASURES
        }
    assert expected.keys() == held.keys()
    for key, (count, *quartiles) in expected.items():
        assert held[key][0] == count, key
        assert held[key][1:] == pytest.approx(quartiles, rel=1e-9), key


class _Cells(HTMLParser):
    """The text of each cell of the rows marked data-measure, by the cell's class, per table."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict[str, dict[str, str]]] = []
        self._measure = self._cell = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append({})
        elif tag == "tr":
            self._measure = attrs.get("data-measure")
        elif tag == "td" and self._measure:
            self._cell, self._text = attrs.get("class"), ""
        else:
            self._text += " "  # a line break or a span: apart, as a reader sees them

    def handle_data(self, data):
        self._text += data

    def handle_endtag(self, tag):
        if tag == "td" and self._measure and self._cell:
            self.tables[-1].setdefault(self._measure, {})[self._cell] = " ".join(self._text.split())
            self._cell = None


def _cells(path) -> list[dict[str, dict[str, str]]]:
    parser = _Cells()
    parser.feed(path.read_text(encoding="utf-8"))
    return [table for table in parser.tables if table]


@pytest.mark.parametrize("period", [PROVISIONAL, LOCKED])
@pytest.mark.parametrize("institution", SHOWN)
@pytest.mark.parametrize("lang", LANGS)
def test_feedback_figures_agree_with_the_marts(fed, period, institution, lang):
    settings = Settings.from_env(fed.home)
    words = Words(lang)
    measures, return_measures = _cells(feedback_file(settings, period, institution, lang, "html"))
    with _marts(fed) as connection:
        own = next(row for row in _institution_figures(connection, period) if row["institution_code"] == institution)
        band = _band(own["headcount"], institution)
        final = bool(_rows(connection, "select 1 from marts.final_capacity_by_subregion where period = ?", [period]))
        rollup = "final_capacity_by_subregion" if final else "capacity_by_subregion"
        subregion = _rows(connection, f"select * from marts.{rollup} where period = ? and subregion_code = ?",
                          [period, own["subregion_code"]])[0]  # fmt: skip
        group = _of(connection, "institution_peer_groups", period, institution)[0]
        compliance = _of(connection, "submission_compliance", period, institution)
    peers = _expected_peers(duckdb.connect(str(fed.home / "warehouse" / "published.duckdb"), read_only=True), period)
    assert list(measures) == list(FEEDBACK_MEASURES)  # all 17, in the marts' order
    for measure in FEEDBACK_MEASURES:
        cells = measures[measure]
        assert cells["yours"] == words.value(measure, own[measure]), measure
        assert cells["subregion"] == words.value(measure, subregion[measure]), measure
        for cell, key in (("peers", ("size_band", band, measure)), ("americas", ("americas", "AMERICAS", measure))):
            if key not in peers or peers[key][0] < MIN_PEERS:
                assert cells[cell] == words("feedback.too_few")
                continue
            _count, q1, median, q3 = peers[key]
            assert (
                cells[cell] == f"{words.value(measure, median)} {words.value(measure, q1)} – {words.value(measure, q3)}"
            )
    assert return_measures["versions"]["yours"] == words.value("versions", sum(row["versions"] for row in compliance))
    assert group["versions"] == sum(row["versions"] for row in compliance)
    assert return_measures["days_late"]["yours"] == words.value("days_late", group["days_late"])


def test_no_other_institution_is_named(fed):
    settings = Settings.from_env(fed.home)
    with open(REFERENCE_DIR / "institutions.csv", encoding="utf-8") as handle:
        registry = {row["institution_code"]: row for row in csv.DictReader(handle)}
    for institution in SHOWN:
        for lang in LANGS:
            page = feedback_file(settings, LOCKED, institution, lang, "html").read_text(encoding="utf-8")
            assert registry[institution]["name"] in page
            for other in SAMPLE_INSTITUTIONS:
                if other != institution:
                    assert other not in page
                    assert registry[other]["name"] not in page and registry[other]["name_en"] not in page


def test_the_state_of_the_figures_is_said_on_every_page(fed):
    settings = Settings.from_env(fed.home)
    with _marts(fed) as connection:
        (locked_at,) = connection.execute(
            "select max(locked_at) from marts.final_capacity_by_institution where period = ?", [LOCKED]
        ).fetchone()
    for lang in LANGS:
        words = Words(lang)
        final = feedback_file(settings, LOCKED, "AR-ANSES", lang, "html").read_text(encoding="utf-8")
        assert words("feedback.status_final", revision=1, date=words.date(locked_at.date())) in final
        assert f'content: "{words("feedback.badge_final", revision=1)}"' in final  # the running header
        provisional = feedback_file(settings, PROVISIONAL, "AR-ANSES", lang, "html").read_text(encoding="utf-8")
        assert words("feedback.status_provisional") in provisional
        pdf = pypdf.PdfReader(feedback_file(settings, LOCKED, "AR-ANSES", lang, "pdf"))
        for page in pdf.pages:
            assert words("feedback.badge_final", revision=1) in page.extract_text()


def test_charts_are_drawn_once_for_every_language(fed):
    """The trend charts carry no words, so each language's page holds the same drawing; the
    legend is in the page's own words."""
    settings = Settings.from_env(fed.home)
    pages = {
        lang: feedback_file(settings, LOCKED, "BR-INSS", lang, "html").read_text(encoding="utf-8") for lang in LANGS
    }
    drawings = {lang: [part.split("</svg>")[0] for part in page.split("<svg")[1:]] for lang, page in pages.items()}
    assert len(drawings["es"]) == 3 and drawings["es"] == drawings["en"]
    for lang in LANGS:
        assert Words(lang)("feedback.legend_median") in pages[lang]


def test_the_index_lists_every_report_produced(fed):
    settings = Settings.from_env(fed.home)
    index = (feedback_file(settings, LOCKED, "x", "en", "html").parent / "index.html").read_text(encoding="utf-8")
    for institution in SHOWN:
        for lang in LANGS:
            assert f'href="{institution}.{lang}.pdf"' in index
    assert (feedback_file(settings, LOCKED, "x", "en", "html").parent / "index.es.html").exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--period", LOCKED, "--institution", "XX-NONE"), "unknown institution"),
        (("--period", "2019-Q4"), "no return for 2019-Q4"),
        (("--period", "2026-Q9"), "quarter"),
    ],
)
def test_a_wrong_request_is_a_usage_error_and_writes_nothing(fed, args, said):
    before = sorted((fed.home / "reports").rglob("*"))
    result = fed.run("feedback", *args)
    assert result.exit_code == 2 and said in result.output
    assert sorted((fed.home / "reports").rglob("*")) == before


def test_the_cycle_calls_for_a_report_of_every_locked_institution_once(fed):
    from pipelines.defs.reports.feedback import feedback_reports, feedback_when_reviewed
    from pipelines.defs.resources import CiessHome

    due = feedback_due(Settings.from_env(fed.home))
    with _marts(fed) as connection:
        rows = _rows(
            connection, "select institution_code from marts.return_status where period = ? order by 1", [LOCKED]
        )
    expected = [row["institution_code"] for row in rows]
    assert [(item.period, item.institution, item.occasion) for item in due if item.period == LOCKED] == [
        (LOCKED, code, "final-1") for code in expected
    ]
    resources = {"ciess": CiessHome(home=str(fed.home))}
    requests = feedback_when_reviewed(dg.build_sensor_context(resources=resources))
    keys = [request.run_key for request in requests]
    assert len(keys) == len(set(keys)) == len(due)  # one run per occasion: Dagster skips a run key it has seen

    partition = dg.MultiPartitionKey({"period": "2026-04", "institution": "HT-ONA"})
    result = dg.materialize([feedback_reports], partition_key=partition, resources=resources)
    assert result.success
    assert feedback_file(Settings.from_env(fed.home), Period.parse(LOCKED), "HT-ONA", "fr", "pdf").exists()


def test_each_production_of_a_report_tells_the_institution_once(fed):
    """FEEDBACK_READY goes to the institution's contacts once per edition of its report (provisional,
    then final-1 when the quarter is locked), with the link to its report on the portal; producing
    the same edition again adds nothing."""
    from pipelines.intake.storing import outbox

    def notices():
        with sqlite3.connect(fed.home / "ledger.sqlite") as connection:
            connection.row_factory = sqlite3.Row
            return sorted((row.key, row.address, row.language, row.params["report_links"][row.language])
                          for row in outbox.rows(connection, "where notice = 'FEEDBACK_READY'"))  # fmt: skip

    told = notices()
    assert [(key, address, lang) for key, address, lang, _link in told] == [
        (f"FEEDBACK_READY:{period}:AR-ANSES:{edition}", f"datos-{lang}@anses.example.org", lang)
        for period, edition in ((PROVISIONAL, "provisional"), (LOCKED, "final-1"))
        for lang in sorted(LANGS)
    ]
    assert all(link.endswith(f"/feedback/{key.split(':')[1]}/AR-ANSES.{lang}.pdf") for key, _a, lang, link in told)
    again = fed.run("feedback", "--period", LOCKED, "--institution", "AR-ANSES", "--lang", "es")
    assert again.exit_code == 0 and notices() == told

"""Regional summaries: one self-contained HTML file and its PDF per geo x period x language,
plus an index page. Read from the published marts only. `ciess report` and the Dagster report
assets both call `produce`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import jinja2
from babel import Locale

from pipelines.common.atomic import replace_text, replace_with
from pipelines.common.periods import Period
from pipelines.common.settings import Settings
from pipelines.contract.model import LANGUAGES
from pipelines.reports import charts
from pipelines.reports.data import AMERICAS, HEADLINE_MEASURES, ReportData, geos, load_report_data
from pipelines.reports.findings import key_findings
from pipelines.reports.wording import Words
from pipelines.warehouse.databases import open_published

TEMPLATES_DIR = Path(__file__).with_name("templates")


class UnknownReport(ValueError):
    """A period or subregion the published marts do not hold."""


# Compliance of each file in the institutions table (the spec's statuses; a legend explains them).
STATUS_MARKS = {"ACCEPTED": "✓", "ACCEPTED_WITH_WARNINGS": "✓!", "REJECTED": "✗", "NOT_SUBMITTED": "—"}


@dataclass(frozen=True)
class ReportFile:
    geo: str
    lang: str
    html: Path
    pdf: Path


def reports_dir(settings: Settings) -> Path:
    return settings.home / "reports"


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )


# The institutions table's measures: the headline's but two, so that a row fits a readable A4 line
# beside the institution's name.
INSTITUTION_MEASURES = tuple(m for m in HEADLINE_MEASURES if m not in ("mean_score_gain", "gender_parity_index"))


def render_html(data: ReportData, lang: str, today: date) -> str:
    words = Words(lang)
    whole = (data.headline.get("current") or {}).get("training_coverage")
    figures = {
        "trend": charts.trend(data.trend, words),
        "coverage": charts.coverage_by_institution(data.institutions, words, whole, data.geo),
        "themes": charts.hours_by_theme(data.hours_by_theme, words),
    }
    coverage_note = words("chart_coverage_note", geo=words.geo(data.geo), no_data=words("no_data"),
                          value=words.value("training_coverage", whole))  # fmt: skip
    period = data.period
    return (
        _templates()
        .get_template("report.html.j2")
        .render(
            w=words,
            data=data,
            title=words.title(data.geo),
            findings=key_findings(data, words),
            institution_measures=INSTITUTION_MEASURES,
            coverage_note=coverage_note,
            period=str(period),
            previous_period=str(period.previous()),
            year_before_period=str(Period(period.year - 1, period.quarter)),
            current=data.headline["current"],
            measures=HEADLINE_MEASURES,
            charts=figures,
            today=today,
            marks=STATUS_MARKS,
            figures_status=figures_status_text(data, words),
        )
    )


def figures_status_text(data: ReportData, words: Words) -> str:
    """FINAL with its revision and date, or PROVISIONAL with how many returns are approved."""
    status = data.status
    if status.get("final"):
        return words("figures_final", revision=status["revision"], date=words.date(status["locked_at"].date()))
    return words("figures_provisional", approved=status.get("approved", 0), expected=status.get("expected", 0))


def write_pdf(html: str, target: Path) -> None:
    from weasyprint import HTML  # imported here: it is slow to import and only reports need it

    replace_with(target, HTML(string=html, base_url=str(target.parent)).write_pdf)


def produce(
    settings: Settings,
    period: Period,
    only_geos: list[str] | None = None,
    languages: tuple[str, ...] = LANGUAGES,
    progress: Callable[[str], None] = lambda _line: None,
    today: date | None = None,
) -> list[ReportFile]:
    """Write the reports of `period` for the geos asked (default: every subregion and the Americas)."""
    today = today or date.today()
    produced = []
    with open_published(settings) as connection:
        known_geos = geos(connection)
        held = {row[0] for row in connection.execute("select period from marts.capacity_americas").fetchall()}
        if str(period) not in held:
            raise UnknownReport(
                f"the published marts hold no data for {period}; periods held: {', '.join(sorted(held)) or 'none'}"
            )
        for geo in only_geos or known_geos:
            if geo not in known_geos:
                raise UnknownReport(f"unknown subregion {geo!r}; use one of {', '.join(known_geos)}")
            data = load_report_data(connection, geo, period)
            folder = reports_dir(settings) / str(period)
            folder.mkdir(parents=True, exist_ok=True)
            for lang in languages:
                progress(f"{period} {geo} {lang}")
                html = render_html(data, lang, today)
                target = ReportFile(geo, lang, folder / f"{geo}.{lang}.html", folder / f"{geo}.{lang}.pdf")
                replace_text(target.html, html)
                write_pdf(html, target.pdf)
                produced.append(target)
    write_index(settings)
    return produced


# each language named in itself, as the CLDR writes it (English, Español, Português, Français)
LANGUAGE_NAMES = {lang: Locale.parse(lang).get_display_name(lang).capitalize() for lang in LANGUAGES}


def index_name(lang: str) -> str:
    """index.html in English, index.<lang>.html in the other languages."""
    return "index.html" if lang == "en" else f"index.{lang}.html"


def write_index(settings: Settings) -> Path:
    """The index pages, one per language: every report produced, per period (newest first), with
    the geos named and the words in that language. Returns the English one."""
    root = reports_dir(settings)
    root.mkdir(parents=True, exist_ok=True)
    periods = []
    for folder in sorted((p for p in root.iterdir() if p.is_dir()), reverse=True):
        found: dict[str, list[str]] = {}
        for html in sorted(folder.glob("*.html")):
            geo, lang = html.stem.rsplit(".", 1)
            found.setdefault(geo, []).append(lang)
        ordered = sorted(found, key=lambda geo: (geo != AMERICAS, geo))
        periods.append((folder.name, [(geo, found[geo]) for geo in ordered]))
    for lang in LANGUAGES:
        page = (
            _templates()
            .get_template("index.html.j2")
            .render(w=Words(lang), periods=periods, languages=LANGUAGE_NAMES, index_name=index_name)
        )
        replace_text(root / index_name(lang), page)
    return root / index_name("en")

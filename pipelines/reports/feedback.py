"""Institution feedback reports (spec feedback.md): one self-contained HTML file and its PDF per
institution x period x language, under reports/<period>/institutions/, and an index per language.
Read from the published marts only. `ciess feedback` and the Dagster feedback asset both call
`produce_feedback`.

The data are read once per institution and its charts drawn once (they carry no words), then each
language is written; the PDFs, which take most of the time, are written by a pool of processes,
one per core."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from pipelines.common.atomic import replace_text
from pipelines.common.periods import Period
from pipelines.common.registry import institutions as registry
from pipelines.common.settings import Settings
from pipelines.contract.model import LANGUAGES
from pipelines.cycle.states import EXPLAINABLE_RULES
from pipelines.notices.feedback import enqueue_feedback_ready
from pipelines.reports import charts
from pipelines.reports.feedback_data import (
    FEEDBACK_MEASURES,
    MIN_PEERS,
    RETURN_MEASURES,
    TREND_MEASURES,
    FeedbackData,
    NotExpected,
    expected_institutions,
    load_feedback_data,
)
from pipelines.reports.regional import LANGUAGE_NAMES, UnknownReport, _templates, index_name, reports_dir, write_pdf
from pipelines.reports.wording import Words
from pipelines.warehouse import catalog
from pipelines.warehouse.databases import open_published

PERCENT_MEASURES = {m for m in TREND_MEASURES if catalog.unit_of(m) == "ratio"}


@dataclass(frozen=True)
class FeedbackFile:
    institution: str
    lang: str
    html: Path
    pdf: Path


def feedback_dir(settings: Settings, period: Period | str) -> Path:
    return reports_dir(settings) / str(period) / "institutions"


def feedback_file(settings: Settings, period: Period | str, institution: str, lang: str, extension: str) -> Path:
    """reports/<period>/institutions/<institution>.<lang>.<html|pdf>"""
    return feedback_dir(settings, period) / f"{institution}.{lang}.{extension}"


def _status(data: FeedbackData, words: Words) -> tuple[bool, str, str]:
    """(final?, the running header's badge, the sentence of the status section)."""
    status = data.status
    if status["data_status"] == "final" and status.get("revision"):
        when = words.date(status["locked_at"].date())
        return (
            True,
            words("feedback.badge_final", revision=status["revision"]),
            words("feedback.status_final", revision=status["revision"], date=when),
        )
    if status["data_status"] == "approved":
        return False, words("feedback.badge_approved"), words("feedback.status_approved")
    return False, words("feedback.badge_provisional"), words("feedback.status_provisional")


def _track(own: float | None, peers: dict[str, Any] | None, americas: dict[str, Any] | None) -> dict | None:
    """Where the institution's value and its peers' quartiles fall on one scale (percent of its
    width) for the position column, or None when there are no peers to show."""
    if not peers:
        return None
    values = [v for v in (own, peers["q1"], peers["q3"], (americas or {}).get("q1"), (americas or {}).get("q3"))
              if v is not None]  # fmt: skip
    low, high = min(values), max(values)
    span = (high - low) or abs(high) or 1.0
    low, high = low - 0.08 * span, high + 0.08 * span

    def at(value: float | None) -> float | None:
        return None if value is None else round(100 * (value - low) / (high - low), 1)

    return {"q1": at(peers["q1"]), "q3": at(peers["q3"]), "median": at(peers["median"]), "own": at(own)}


def _stand(data: FeedbackData, words: Words) -> list[str]:
    """One sentence per trend measure: the institution's value against its peers' median."""
    sentences = []
    for measure in TREND_MEASURES:
        own, peers = data.figures.get(measure), data.peers.get(measure)
        name = words.measure(measure)
        if own is None:
            sentences.append(words("feedback.stand_none", measure=name))
        elif not peers:
            sentences.append(words("feedback.stand_no_peers", measure=name, value=words.value(measure, own)))
        else:
            shown, median = words.value(measure, own), words.value(measure, peers["median"])
            key = "same" if shown == median else ("above" if own > peers["median"] else "below")
            sentences.append(words(f"feedback.stand_{key}", measure=name, value=shown, median=median))
    return sentences


def draw_charts(data: FeedbackData) -> list[tuple[str, str, bool]]:
    """The trend charts of one report, shared by its languages: (measure, SVG, drawn in percent?)."""
    return [(m, charts.peer_trend(data.trend, m, m in PERCENT_MEASURES), m in PERCENT_MEASURES) for m in TREND_MEASURES]


def render_feedback_html(data: FeedbackData, lang: str, today: date, drawn: list | None = None) -> str:
    words = Words(lang)
    final, badge, status_text = _status(data, words)
    band = data.group["size_band"]
    peers_count = (data.peers.get("headcount") or {}).get("institutions") or 0
    groups_line = words(
        "feedback.groups",
        country=words.country(data.institution["country_iso2"]),
        subregion=words.geo(data.group["subregion_code"]),
        band=words.label("size_band", band),
        count=words.number(peers_count),
    )
    rows = [
        {
            "measure": m,
            "own": data.figures.get(m),
            "subregion": data.subregion.get(m),
            "peers": data.peers.get(m),
            "americas": data.americas.get(m),
            "track": _track(data.figures.get(m), data.peers.get(m), data.americas.get(m)),
        }
        for m in FEEDBACK_MEASURES
    ]
    return_rows = [
        {"measure": m, "own": data.group.get(m), "peers": data.peers.get(m), "americas": data.americas.get(m)}
        for m in RETURN_MEASURES
    ]
    return (
        _templates()
        .get_template("feedback.html.j2")
        .render(
            w=words,
            data=data,
            title=words("feedback.title", institution=data.institution["institution_name"]),
            period=str(data.period),
            groups_line=groups_line,
            stand=_stand(data, words),
            rows=rows,
            return_rows=return_rows,
            charts=drawn if drawn is not None else draw_charts(data),
            explainable=EXPLAINABLE_RULES,
            min_peers=MIN_PEERS,
            final=final,
            badge=badge,
            status_text=status_text,
            today=today,
        )
    )


def _write_pdf_job(job: tuple[str, str]) -> str:
    html, target = job
    write_pdf(html, Path(target))
    return target


def produce_feedback(
    settings: Settings,
    period: Period,
    only: Iterable[str] | None = None,
    languages: tuple[str, ...] | None = None,
    progress: Callable[[str], None] = lambda _line: None,
    today: date | None = None,
    workers: int | None = None,
) -> list[FeedbackFile]:
    """Write the feedback reports of `period` for the institutions asked (default: every expected
    one), each in the languages asked (default: the institution's own language)."""
    today = today or date.today()
    known = registry()
    produced: list[FeedbackFile] = []
    pdf_jobs: list[tuple[str, str]] = []
    editions: dict[str, str] = {}
    with open_published(settings) as connection:
        expected = expected_institutions(connection, period)
        if not expected:
            raise UnknownReport(f"the published marts hold no return for {period}")
        for code in only or expected:
            if code not in known:
                raise UnknownReport(f"unknown institution {code!r}: `ciess institutions` lists the codes")
            if code not in expected:
                raise UnknownReport(f"{code} is not expected in {period}: it is a {known[code].membership()}")
        folder = feedback_dir(settings, period)
        folder.mkdir(parents=True, exist_ok=True)
        for code in only or expected:
            try:
                data = load_feedback_data(connection, code, period)
            except NotExpected as error:
                raise UnknownReport(str(error)) from None
            drawn = draw_charts(data)
            editions[code] = edition(data)
            for lang in languages or (known[code].language,):
                progress(f"{period} {code} {lang}")
                target = FeedbackFile(
                    code, lang, feedback_file(settings, period, code, lang, "html"),
                    feedback_file(settings, period, code, lang, "pdf"),
                )  # fmt: skip
                html = render_feedback_html(data, lang, today, drawn)
                replace_text(target.html, html)
                pdf_jobs.append((html, str(target.pdf)))
                produced.append(target)
    _write_pdfs(pdf_jobs, workers, progress)
    write_feedback_index(settings, period)
    for code, made in itertools.groupby(produced, key=lambda item: item.institution):
        langs = [item.lang for item in made]
        links = {lang: portal_link(period, code, lang) for lang in langs}
        enqueue_feedback_ready(settings, code, str(period), langs, links, edition=editions[code])
    return produced


def edition(data: FeedbackData) -> str:
    """Which production of an institution's report this is, for its FEEDBACK_READY notice (one
    notice each): provisional, approved, or final-<revision>."""
    status = data.status
    if status["data_status"] == "final" and status.get("revision"):
        return f"final-{status['revision']}"
    return status["data_status"]


def portal_link(period: Period | str, institution: str, lang: str) -> str:
    """Where the institution downloads its report on the portal (pipelines/portal/feedback_pages.py)."""
    return f"/feedback/{period}/{institution}.{lang}.pdf"


def _write_pdfs(jobs: list[tuple[str, str]], workers: int | None, progress: Callable[[str], None]) -> None:
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers <= 1:
        for job in jobs:
            _write_pdf_job(job)
        return
    # spawned, not forked: the parent holds DuckDB's and matplotlib's threads
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        for done, target in enumerate(pool.map(_write_pdf_job, jobs, chunksize=1), start=1):
            progress(f"PDF {done}/{len(jobs)}: {Path(target).name}")


def write_feedback_index(settings: Settings, period: Period | str) -> Path:
    """The index of one period's feedback reports, one page per language (index.html in English):
    every institution with the languages its report exists in. Returns the English one."""
    folder = feedback_dir(settings, period)
    found: dict[str, list[str]] = {}
    for html in sorted(folder.glob("*.*.html")):
        code, lang = html.stem.rsplit(".", 1)
        if code != "index":
            found.setdefault(code, []).append(lang)
    names = {code: known.name for code, known in registry().items()}
    for lang in LANGUAGES:
        page = (
            _templates()
            .get_template("feedback_index.html.j2")
            .render(
                w=Words(lang),
                period=str(period),
                found=found,
                names=names,
                languages=LANGUAGE_NAMES,
                index_name=index_name,
            )
        )
        replace_text(folder / index_name(lang), page)
    return folder / index_name("en")


def held_reports(settings: Settings, institution: str | None = None) -> list[dict[str, Any]]:
    """The feedback reports on disk (newest period first), of one institution or of all: period,
    institution, lang and the formats held. What the portal lists."""
    root = reports_dir(settings)
    held: dict[tuple[str, str, str], list[str]] = {}
    for path in root.glob(f"*/institutions/{institution or '*'}.*.*"):
        code, lang, extension = path.name.rsplit(".", 2)
        if extension in ("html", "pdf") and lang in LANGUAGES and code != "index":
            held.setdefault((path.parent.parent.name, code, lang), []).append(extension)
    ordered = sorted(sorted(held.items()), key=lambda item: item[0][0], reverse=True)  # newest period first
    return [
        {"period": period, "institution": code, "lang": lang, "formats": sorted(formats, reverse=True)}
        for (period, code, lang), formats in ordered
    ]


@dataclass(frozen=True)
class FeedbackDue:
    """A feedback report the cycle calls for (spec feedback.md: when a return is approved, and again
    when its period is locked), as the published marts show it; `occasion` tells one from the next
    (the approval's time, or the final revision), so that each is produced once."""

    period: str
    institution: str
    occasion: str


def feedback_due(settings: Settings) -> list[FeedbackDue]:
    """Every approved return and every expected institution of a locked period, in the published
    marts (so the report says approved or final). Nothing published yet: none."""
    from pipelines.warehouse.databases import NothingPublished

    try:
        connection = open_published(settings)
    except NothingPublished:
        return []
    with connection:
        rows = connection.execute(
            """with newest as (
                   select period, max(revision) as revision from marts.final_capacity_by_institution group by period)
               select r.period, r.institution_code,
                      case when c.data_status = 'final' then 'final-' || n.revision
                           else 'approved-' || strftime(r.approved_at, '%Y%m%dT%H%M%S') end as occasion
               from marts.return_status r
               join marts.capacity_by_institution c on c.institution_code = r.institution_code and c.period = r.period
               left join newest n on n.period = r.period
               where c.data_status = 'final' and n.revision is not null
                  or c.data_status = 'approved' and r.approved_at is not null
               order by r.period, r.institution_code"""
        ).fetchall()
    return [FeedbackDue(period, institution, occasion) for period, institution, occasion in rows]

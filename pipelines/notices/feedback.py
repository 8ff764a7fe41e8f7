"""FEEDBACK_READY: the notice the feedback reports' code sends when an institution's report for a
quarter is produced (spec feedback.md: "Institution feedback report")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pipelines.common.settings import Settings
from pipelines.common.timestamps import now
from pipelines.intake.storing import outbox
from pipelines.intake.storing.ledger import Ledger
from pipelines.intake.submission import UsageError, written_period
from pipelines.notices.contacts import checked_institution, checked_language


def feedback_key(institution: str, period: str, edition: str = "") -> str:
    return f"FEEDBACK_READY:{period}:{institution}" + (f":{edition}" if edition else "")


def enqueue_feedback_ready(
    settings: Settings,
    institution: str,
    period: str,
    languages: Iterable[str],
    report_links: Mapping[str, str],
    edition: str = "",
) -> int:
    """Tell the institution's contacts that its feedback report for `period` is ready.

    `languages`: those the report was produced in; `report_links`: language -> where to read it (a
    full URL, or a path of the portal such as `/reports/2026-Q2/institutions/PE-ONP.es.html`, which
    is joined to CIESS_PORTAL_URL). Each contact reads the notice in its own language, with the link
    in that language when there is one (else in the institution's, else English), and the others
    beside it. `edition` tells apart two productions worth a notice each (e.g. "approved", "final-1"):
    one key is sent once.
    Returns how many messages were added to the outbox (0 when it was already there, or nobody wants it)."""
    institution = checked_institution(institution)
    period = str(written_period(period))
    languages = [checked_language(lang) for lang in languages]
    for lang in report_links:
        checked_language(lang)
    links = {lang: _absolute(settings, report_links[lang]) for lang in languages if lang in report_links}
    if not links:
        raise UsageError(
            f"no report link for any of its languages ({', '.join(languages) or 'none given'}; links given for: "
            f"{', '.join(report_links) or 'none'}): pass a link for at least one of them"
        )
    with Ledger.of(settings).decision() as connection:
        return outbox.enqueue(
            connection, key=feedback_key(institution, period, edition), notice="FEEDBACK_READY",
            institution=institution, period=period, params={"report_links": links}, at=now(),
        )  # fmt: skip


def _absolute(settings: Settings, link: str) -> str:
    return link if "://" in link else f"{settings.portal_url}/{link.lstrip('/')}"

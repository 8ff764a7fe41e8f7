"""The subject and body of a notice in its contact's language (pipelines/notices/notice_text.yaml),
from the facts its outbox row holds; codes (statuses, kinds, rules) read as their labels
(`pipelines.contract.vocabulary`), dates and numbers as the language writes them (Babel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import babel
from babel.dates import format_date
from babel.numbers import format_decimal

from pipelines.common.registry import institutions
from pipelines.common.settings import Settings
from pipelines.common.texts import Texts
from pipelines.contract.vocabulary import KIND, SUBMISSION_STATUS, label, rule_with_explanation
from pipelines.intake.storing.outbox import OutboxRow

NOTICE_TEXTS = Texts(Path(__file__).with_name("notice_text.yaml"))


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


def say(key: str, lang: str, **values) -> str:
    return NOTICE_TEXTS.say(key, lang, **values)


def notice_name(notice: str, lang: str) -> str:
    return say(f"names.{notice}", lang)


def written_date(day: date | str, lang: str) -> str:
    return format_date(date.fromisoformat(str(day)[:10]), format="long", locale=lang)


def number(value: int, lang: str) -> str:
    return format_decimal(value, locale=lang)


def language_name(lang: str, in_lang: str) -> str:
    return babel.Locale.parse(lang).get_display_name(in_lang)


def kinds_list(kinds: list[str], lang: str) -> str:
    return ", ".join(f"«{label(KIND, kind, lang)}»" for kind in kinds)


def word(row: OutboxRow, settings: Settings) -> Wording:
    """What the notice of `row` says."""
    lang, facts, period = row.language, row.params, row.period or ""
    institution = institutions()[row.institution]
    portal = settings.portal_url
    values = {"period": period}
    if row.notice == "RECEIPT":
        values |= {"kind": label(KIND, facts["kind"], lang), "status": label(SUBMISSION_STATUS, facts["status"], lang)}
        lines = [say("RECEIPT.received", lang, date=written_date(facts["received_at"], lang), **values)]
        if facts.get("version"):
            lines.append(say("RECEIPT.version", lang, version=number(facts["version"], lang)))
        if facts.get("late"):
            lines.append(say("RECEIPT.late", lang))
        counts = {name: number(facts[name], lang) for name in ("rows", "errors", "warnings")}
        lines.append(say("RECEIPT.counts", lang, **counts))
        if facts["rule_counts"]:
            lines += ["", say("RECEIPT.by_rule", lang)]
            lines += [
                f"  - {rule_with_explanation(rule, lang)} — {number(count, lang)}"
                for rule, count in sorted(facts["rule_counts"].items())
            ]
        if facts["status"] == "REJECTED":
            lines += ["", say("RECEIPT.rejected", lang)]
        lines += ["", say("RECEIPT.details", lang)]
        link = f"{portal}/receipts/{facts['submission_id']}"
    elif row.notice in ("REMINDER", "OVERDUE"):
        deadline = date.fromisoformat(facts["deadline"])
        values |= {"deadline": written_date(deadline, lang), "days": number(max(facts["days_left"], 0), lang)}
        lines = [say(f"{row.notice}.body", lang, **values), say("common.missing_kinds", lang,
                 kinds=kinds_list(facts["missing"], lang))]  # fmt: skip
        link = f"{portal}/"
    elif row.notice == "EXPLANATION_NEEDED":
        lines = [say("EXPLANATION_NEEDED.body", lang, **values)]
        lines += [
            "  - " + say("EXPLANATION_NEEDED.line", lang, kind=label(KIND, item["kind"], lang),
                         rule=rule_with_explanation(item["rule"], lang), count=number(item["count"], lang))
            for item in facts["warnings"]
        ]  # fmt: skip
        link = f"{portal}/returns/{row.institution}/{period}"
    elif row.notice == "RETURNED":
        quoted = "\n".join(f"    {line}" for line in facts["comment"].splitlines())
        lines = [say("RETURNED.body", lang, **values), "", quoted, "", say("RETURNED.next", lang)]
        link = f"{portal}/returns/{row.institution}/{period}"
    elif row.notice == "APPROVED":
        lines = [say("APPROVED.body", lang, **values)]
        link = f"{portal}/returns/{row.institution}/{period}"
    elif row.notice == "FEEDBACK_READY":
        links: dict[str, str] = facts["report_links"]
        # the contact's language, else the institution's, else English, else any
        own = next(choice for choice in (lang, institution.language, "en", *links) if choice in links)
        lines = [say("FEEDBACK_READY.body", lang, **values), say("FEEDBACK_READY.link", lang, url=links[own])]
        lines += [
            say("FEEDBACK_READY.other", lang, language=language_name(other, lang), url=url)
            for other, url in links.items()
            if other != own
        ]
        link = f"{portal}/"
    else:
        raise ValueError(f"no wording for notice {row.notice!r}")
    footer = say("common.footer", lang, helpdesk=settings.helpdesk)
    greeting = say("common.greeting", lang, institution=institution.name)
    body = [greeting, "", *lines, "", say("common.portal", lang, url=link), "", "-- ", footer]
    return Wording(say(f"{row.notice}.subject", lang, **values), "\n".join(body) + "\n")

"""Numbers, dates, names and words of a report in its language (Babel + report_text.yaml; the
codes' labels from `pipelines.contract.vocabulary`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from pipelines.common.periods import Period
from pipelines.common.texts import Texts
from pipelines.contract import vocabulary
from pipelines.reports.data import AMERICAS
from pipelines.warehouse import catalog

REPORT_TEXTS = Texts(Path(__file__).with_name("templates") / "report_text.yaml")


class Words:
    """Everything a template needs to say things in one language."""

    def __init__(self, lang: str):
        self.lang = lang
        self.locale = Locale.parse(lang)

    def __call__(self, key: str, **values: Any) -> str:
        return REPORT_TEXTS.say(key, self.lang, **values)

    def measure(self, name: str) -> str:
        return REPORT_TEXTS.say(f"measures.{name}", self.lang)

    def label(self, code_list: str, code: str | None) -> str:
        """A code as the reader reads it (a thematic area, a status, a kind, a rule's explanation)."""
        return vocabulary.label(code_list, code, self.lang)

    def geo(self, geo: str) -> str:
        """A subregion's name, or the Americas'."""
        return vocabulary.label(vocabulary.REGION if geo == AMERICAS else vocabulary.SUBREGION, geo, self.lang)

    def title(self, geo: str) -> str:
        if geo == AMERICAS:
            return self("title_americas")
        return self("title_subregion", geo=self.geo(geo))

    def value(self, name: str, value: Any) -> str:
        """A measure as a reader expects it, by its unit in the dbt project (meta unit of the marts'
        columns): shares as percentages, counts as whole numbers, anything else with two decimals."""
        if value is None:
            return self("not_available")
        unit = catalog.unit_of(name)
        if unit == "ratio":
            return format_percent(value, format="#,##0.0%", locale=self.locale)
        if unit in ("count", "days"):  # a median of counts may fall between two: 2.5
            return format_decimal(value, format="#,##0.#", locale=self.locale)
        return format_decimal(value, format="#,##0.00", locale=self.locale)

    def number(self, value: Any, digits: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value or 0, format=pattern, locale=self.locale)

    def date(self, value: date | None) -> str:
        if not value:
            return self("not_available")
        written = format_date(value, format="long", locale=self.locale)
        if self.lang == "fr" and value.day == 1:  # le 1er juillet: French writes the first day as an ordinal
            written = written.replace("1 ", "1er ", 1)
        return written

    def quarter(self, period: Period) -> str:
        return self("quarter", start=self.date(period.start), end=self.date(period.end))

    def country(self, iso2: str) -> str:
        return vocabulary.label(vocabulary.COUNTRY, iso2, self.lang)

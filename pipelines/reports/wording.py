"""Numbers, dates, names and words of a report in its language (Babel + report_text.yaml)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from pipelines.common.periods import Period
from pipelines.common.texts import Texts
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

    def value(self, name: str, value: Any) -> str:
        """A measure as a reader expects it, by its unit in the dbt project (meta unit of the marts'
        columns): shares as percentages, counts as whole numbers, anything else with two decimals."""
        if value is None:
            return self("not_available")
        unit = catalog.unit_of(name)
        if unit == "ratio":
            return format_percent(value, format="#,##0.0%", locale=self.locale)
        if unit == "count":
            return format_decimal(value, format="#,##0", locale=self.locale)
        return format_decimal(value, format="#,##0.00", locale=self.locale)

    def number(self, value: Any, digits: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value or 0, format=pattern, locale=self.locale)

    def date(self, value: date | None) -> str:
        return format_date(value, format="long", locale=self.locale) if value else self("not_available")

    def quarter(self, period: Period) -> str:
        return self("quarter", start=self.date(period.start), end=self.date(period.end))

    def country(self, iso2: str) -> str:
        return self.locale.territories.get(iso2, iso2)

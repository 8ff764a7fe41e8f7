"""The registry: institutions, countries and subregions (sources/reference, the dbt seeds too)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from pipelines.common.paths import REFERENCE_DIR


@dataclass(frozen=True)
class Institution:
    code: str
    name: str
    name_en: str
    country_iso2: str
    branch: str
    approx_staff: int
    subregion_code: str
    language: str
    currency: str
    member_from: str  # first quarter it is expected to report, YYYY-Qn (spec cycle.md: membership)
    member_to: str | None  # last quarter, or None while it is a member

    def expected_in(self, period: str) -> bool:
        """A member in `period` (YYYY-Qn strings compare as the quarters do)."""
        return self.member_from <= period and (self.member_to is None or period <= self.member_to)

    def membership(self) -> str:
        return f"member from {self.member_from}" + (f" to {self.member_to}" if self.member_to else " (still a member)")


def _rows(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def institutions() -> dict[str, Institution]:
    countries = {row["country_iso2"]: row for row in _rows("countries.csv")}
    result = {}
    for row in _rows("institutions.csv"):
        country = countries[row["country_iso2"]]
        result[row["institution_code"]] = Institution(
            code=row["institution_code"],
            name=row["name"],
            name_en=row["name_en"],
            country_iso2=row["country_iso2"],
            branch=row["branch"],
            approx_staff=int(row["approx_staff"]),
            subregion_code=country["subregion_code"],
            language=country["default_language"],
            currency=country["currency_iso"],
            member_from=row["member_from"],
            member_to=row["member_to"].strip() or None,
        )
    return result


def expected_in(period: str) -> list[Institution]:
    """The institutions expected to report in `period`: its members then."""
    return [institution for institution in institutions().values() if institution.expected_in(period)]


@cache
def subregions() -> dict[str, dict[str, str]]:
    return {row["subregion_code"]: row for row in _rows("subregions.csv")}

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
        )
    return result


@cache
def subregions() -> dict[str, dict[str, str]]:
    return {row["subregion_code"]: row for row in _rows("subregions.csv")}

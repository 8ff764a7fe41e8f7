"""What a person reads for a code, in en/es/pt/fr: one lookup for every code list the product shows.

The code lists and where their labels are written (once each):

- `kind`: each contract's `labels`;
- a contract column's name (`sex`, `thematic_area`...): that column's `codes`;
- `rule`: schemas/rules.yaml, the rule's one-line `explanation`;
- `submission_status`, `return_status`, `data_status`, `severity`, `region` (the Americas), `size_band`:
  schemas/vocabulary.yaml;
- `subregion`: sources/reference/subregions.csv (the registry, dbt's seed too);
- `country`: the CLDR's country names (Babel).

Codes stay what files, the JSON receipt, the API and the marts carry; people read `label()`.
"""

from __future__ import annotations

from functools import cache

import babel
import yaml

from pipelines.common.paths import SCHEMAS_DIR
from pipelines.common.registry import institutions, subregions
from pipelines.contract.model import KINDS, LANGUAGES, load_contract, rule_catalog

KIND = "kind"
RULE = "rule"
SUBREGION = "subregion"
COUNTRY = "country"
SUBMISSION_STATUS = "submission_status"
RETURN_STATUS = "return_status"
DATA_STATUS = "data_status"
SEVERITY = "severity"
REGION = "region"
SIZE_BAND = "size_band"


@cache
def _vocabulary() -> dict[str, dict[str, dict[str, str]]]:
    with open(SCHEMAS_DIR / "vocabulary.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def _column_lists() -> dict[str, dict[str, dict[str, str]]]:
    """Each code column's labels, by column name (a column shared by two contracts must label alike)."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for kind in KINDS:
        for column in load_contract(kind).columns:
            for code in column.codes:
                labels = column.code_labels.get(code, {})
                held = found.setdefault(column.name, {}).setdefault(code, labels)
                if held != labels:
                    raise ValueError(f"{column.name} {code} is labelled {held} and {labels} in two contracts")
    return found


@cache
def code_lists() -> dict[str, dict[str, dict[str, str]]]:
    """Every code list a person may read: list name -> code -> language -> label."""
    lists: dict[str, dict[str, dict[str, str]]] = {
        KIND: {kind: load_contract(kind).labels for kind in KINDS},
        RULE: {code: rule["explanation"] for code, rule in rule_catalog().rules.items()},
        SUBREGION: {
            code: {lang: row[f"name_{lang}"] for lang in LANGUAGES if row.get(f"name_{lang}")}
            for code, row in subregions().items()
        },
        COUNTRY: {code: _country_names(code) for code in _country_codes()},
    }
    for more in (_vocabulary(), _column_lists()):
        for name, codes in more.items():
            if name in lists:
                raise ValueError(f"two code lists are named {name!r}: rename one in schemas/vocabulary.yaml")
            lists[name] = codes
    return lists


def _country_codes() -> list[str]:
    return sorted({institution.country_iso2 for institution in institutions().values()})


def _country_names(code: str) -> dict[str, str]:
    return {lang: babel.Locale.parse(lang).territories.get(code, code) for lang in LANGUAGES}


def label(code_list: str, code: str | None, lang: str) -> str:
    """What a person reads for `code` of `code_list` in `lang`: its label, English when the language
    has none, the code itself when the list does not know it (a value as sent, say)."""
    if code is None:
        return ""
    labels = code_lists().get(code_list, {}).get(str(code))
    if not labels:
        return str(code)
    return labels.get(lang) or labels.get("en") or str(code)


def labeller(lang: str):
    """`label` in one language, for templates: `label("submission_status", row.status)`."""

    def in_language(code_list: str, code: str | None) -> str:
        return label(code_list, code, lang)

    return in_language


def rule_with_explanation(rule: str, lang: str) -> str:
    """A rule code as people read it: the code (what the spec and the issues list name) and its line."""
    return f"{rule}: {label(RULE, rule, lang)}"

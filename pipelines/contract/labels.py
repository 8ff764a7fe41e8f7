"""The code labels as rows (code_list, code, lang, label): what the warehouse's mart `code_labels`
holds, so that analysts and BI tools can show names instead of codes in any of the four languages.

Every code list of `pipelines.contract.vocabulary` but the subregions, which dbt adds from its seed
of the registry: the contracts' code columns (code_list is the column's name, e.g. `thematic_area`,
as in the marts), the kinds, the rule codes (their one-line explanation), the statuses and
severities of schemas/vocabulary.yaml, and the countries.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.contract.model import LANGUAGES
from pipelines.contract.vocabulary import SUBREGION, code_lists


@dataclass(frozen=True)
class CodeLabel:
    code_list: str  # the column the code is a value of
    code: str
    lang: str  # one of LANGUAGES
    label: str | None  # None: no label in this language


def code_labels() -> list[CodeLabel]:
    """Every code of every code list but the subregions, once per language, in the lists' order."""
    return [
        CodeLabel(code_list, code, lang, (labels.get(lang) or "").strip() or None)
        for code_list, codes in code_lists().items()
        if code_list != SUBREGION
        for code, labels in codes.items()
        for lang in LANGUAGES
    ]

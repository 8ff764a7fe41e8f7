"""The contracts' words for their codes, as rows (code_list, code, lang, label): what the warehouse's
mart `code_labels` holds of the contracts, so that analysts and BI tools can show names instead of
codes in any of the four languages.

Two code lists come from here: every code column of every contract (code_list is the column's
name, e.g. `thematic_area`, as in the marts), and the kinds (code_list `kind`, labelled with each
contract's `labels`). The subregions' names are the registry's (dbt's seed), added by dbt.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.contract.model import KINDS, LANGUAGES, load_contract

KIND_CODE_LIST = "kind"  # the column name of the kinds in the marts (submission_compliance, ...)


@dataclass(frozen=True)
class CodeLabel:
    code_list: str  # the column the code is a value of
    code: str
    lang: str  # one of LANGUAGES
    label: str | None  # None: the contract gives this code no label in this language


def code_labels() -> list[CodeLabel]:
    """Every code of every code column of the contracts and every kind, once per language, in the
    contracts' order. A code list shared by two contracts must label its codes the same in both."""
    found: dict[tuple[str, str, str], CodeLabel] = {}

    def add(code_list: str, code: str, labels: dict[str, str]) -> None:
        for lang in LANGUAGES:
            row = CodeLabel(code_list, code, lang, (labels.get(lang) or "").strip() or None)
            held = found.setdefault((code_list, code, lang), row)
            if held != row:
                raise ValueError(f"{code_list} {code} ({lang}) is labelled {held.label!r} and {row.label!r}")

    for kind in KINDS:
        contract = load_contract(kind)
        add(KIND_CODE_LIST, contract.kind, contract.labels)
    for kind in KINDS:
        for column in load_contract(kind).columns:
            for code in column.codes:
                add(column.name, code, column.code_labels.get(code, {}))
    return list(found.values())

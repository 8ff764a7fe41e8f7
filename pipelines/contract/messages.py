"""The words of an issue in the receipt's language, from schemas/rules.yaml and the contract."""

from __future__ import annotations

from pipelines.common.periods import Period
from pipelines.contract.issues import Issue
from pipelines.contract.model import Contract, load_contract, rule_catalog


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def period_values(period: Period) -> dict[str, str]:
    return {
        "period": str(period),
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "max_birth_year": str(period.year - 15),
    }


def expected_text(issue: Issue, contract: Contract, period: Period, lang: str) -> str:
    catalog = rule_catalog()
    if issue.column not in contract.column_names:
        return ""
    column = contract.column(issue.column)
    for rule in contract.rules:
        if rule.code == issue.rule and rule.column == column.name and rule.expected:
            template = rule.expected.get(lang) or rule.expected["en"]
            return template.format(**period_values(period))
    if issue.rule == "VALUE_TYPE":
        return catalog.expected_type(column.type, lang)
    if issue.rule == "CODE_UNKNOWN":  # each code with its label, either of which a file may carry
        return ", ".join(f"{code} ({column.code_label(code, lang)})" for code in column.codes)
    if issue.rule == "VALUE_RANGE":
        if column.type == "text":
            return catalog.range_text("length", lang, min=column.min_length or 1, max=column.max_length)
        low, high = _number(column.min), _number(column.max)
        if column.min is not None and column.max is not None:
            word = "above_up_to" if column.min_exclusive else "between"
        else:
            word = "above" if column.min_exclusive else "at_least"
        return catalog.range_text(word, lang, min=low, max=high)
    return ""


def describe(issue: Issue, contract: Contract, period: Period, lang: str) -> str:
    catalog = rule_catalog()
    values = dict(period_values(period))
    values.update({key: value for key, value in issue.params.items()})
    if "detail_key" in issue.params:  # a file-level refusal's detail, in the reader's language
        values["detail"] = catalog.detail(issue.params["detail_key"], lang, **issue.params.get("detail_values", {}))
    values["value"] = issue.value if issue.value is not None else ""
    if issue.column in contract.column_names:
        column = contract.column(issue.column)
        values["column"] = column.label(lang)
        values["accepted"] = ", ".join(f'"{name}"' for name in dict.fromkeys([column.name, *column.labels.values()]))
    else:
        values.setdefault("column", issue.column or "")
    values["expected"] = expected_text(issue, contract, period, lang)
    values["kind"] = contract.labels.get(lang, contract.kind)
    if "other_kind" in issue.params:  # the file is another kind's
        values["other"] = load_contract(issue.params["other_kind"]).labels.get(lang, issue.params["other_kind"])
    return catalog.message(issue.rule, lang, variant=issue.variant, **values)

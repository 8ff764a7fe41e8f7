"""The receipt of one submission: the JSON the spec fixes, the full issues CSV, and the short
text a person reads (verdict, counts per rule, first problems with row and column).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from functools import cache
from typing import Any

import yaml

from pipelines.contracts import Contract
from pipelines.issues import Issue, sort_key
from pipelines.messages import describe
from pipelines.periods import Period
from pipelines.project import SCHEMAS_DIR

ISSUES_PER_RULE_IN_RECEIPT = 100
ISSUES_SHOWN_IN_TEXT = 10
ISSUE_FIELDS = ("rule", "severity", "row", "column", "value", "message")


def issue_records(issues: list[Issue], contract: Contract, period: Period, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "rule": issue.rule,
            "severity": issue.severity,
            "row": issue.row,
            "column": issue.column,
            "value": issue.value,
            "message": describe(issue, contract, period, lang),
        }
        for issue in sorted(issues, key=sort_key)
    ]


def rule_counts(issues: list[Issue]) -> dict[str, int]:
    return dict(sorted(Counter(issue.rule for issue in issues).items()))


def capped(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most ISSUES_PER_RULE_IN_RECEIPT per rule, in row order (rule_counts stays exact)."""
    seen: Counter = Counter()
    kept = []
    for record in records:
        seen[record["rule"]] += 1
        if seen[record["rule"]] <= ISSUES_PER_RULE_IN_RECEIPT:
            kept.append(record)
    return kept


def issues_csv(records: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ISSUE_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue().encode("utf-8-sig")  # BOM so that Excel opens accents correctly


def receipt_json(receipt: dict[str, Any]) -> bytes:
    return (json.dumps(receipt, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@cache
def _wording() -> dict:
    with open(SCHEMAS_DIR / "receipt.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _say(group: str, key: str, lang: str, **values: Any) -> str:
    texts = _wording()[group][key]
    return (texts.get(lang) or texts["en"]).format(**values)


def headline(receipt: dict[str, Any], contract: Contract, lang: str, deadline: str) -> dict[str, str | None]:
    """The receipt's first lines in the reader's language: verdict, late, supersedes, counts."""
    kind = contract.labels.get(lang, contract.kind)
    return {
        "verdict": _say("verdict", receipt["status"], lang, kind=kind, period=receipt["period"],
                        version=receipt["version"], errors=receipt["errors"]),
        "late": _say("labels", "late", lang, deadline=deadline) if receipt["late"] else None,
        "supersedes": _say("labels", "supersedes", lang, supersedes=receipt["supersedes"])
        if receipt["supersedes"] else None,
        "counts": _say("labels", "counts", lang, rows=receipt["rows"], errors=receipt["errors"],
                       warnings=receipt["warnings"]),
    }  # fmt: skip


def first_problems(receipt: dict[str, Any]) -> list[dict[str, Any]]:
    """Errors before warnings, in row order: what a person should fix first."""
    ordered = sorted(receipt["issues"], key=lambda r: (r["severity"] != "error", r["row"] or 0))
    return ordered[:ISSUES_SHOWN_IN_TEXT]


def render_text(
    receipt: dict[str, Any], contract: Contract, lang: str, receipt_path: str, issues_path: str, deadline: str
) -> str:
    """What `ciess submit` prints for a person."""
    top = headline(receipt, contract, lang, deadline)
    lines = [line for line in (top["verdict"], top["late"], top["supersedes"], top["counts"]) if line]
    if receipt["rule_counts"]:
        lines.append(_say("labels", "by_rule", lang))
        width = max(len(rule) for rule in receipt["rule_counts"])
        lines.extend(f"  {rule:<{width}}  {count}" for rule, count in receipt["rule_counts"].items())
        lines.append(_say("labels", "first", lang))
        for record in first_problems(receipt):
            where = (
                f"{_say('labels', 'row', lang)} {record['row']}"
                if record["row"] is not None
                else _say("labels", "file", lang)
            )
            column = f", {record['column']}" if record["column"] else ""
            severity = _say("labels", record["severity"], lang)
            lines.append(f"  [{where}{column}] {severity} {record['rule']}: {record['message']}")
        total = sum(receipt["rule_counts"].values())
        if total > ISSUES_SHOWN_IN_TEXT:
            lines.append("  " + _say("labels", "more", lang, count=total - ISSUES_SHOWN_IN_TEXT))
        lines.append(_say("labels", "full_list", lang, path=issues_path))
    lines.append(_say("labels", "receipt", lang, path=receipt_path))
    return "\n".join(lines)

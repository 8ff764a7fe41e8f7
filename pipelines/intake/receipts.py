"""The receipt of one submission: the JSON the spec fixes, the full issues CSV, and the short
text a person reads (verdict, counts per rule, first problems with row and column).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.common.paths import SCHEMAS_DIR
from pipelines.common.periods import Period
from pipelines.common.spreadsheet_safe import inert_text_columns
from pipelines.common.texts import Texts
from pipelines.contract.issues import Issue
from pipelines.contract.messages import describe
from pipelines.contract.model import Contract, rule_catalog

ISSUES_PER_RULE_IN_RECEIPT = 100
ISSUES_SHOWN_IN_TEXT = 10
ISSUE_FIELDS = ("rule", "severity", "row", "column", "value", "message")


def issue_records(
    issues: list[Issue], row_issues: pl.DataFrame, contract: Contract, period: Period, lang: str
) -> pl.DataFrame:
    """Every issue with its severity and message, file-level issues first, then by row, column and
    rule. Row issues are worded once per (rule, column) and their values put in afterwards, so a
    file with a million bad rows costs a few string replacements, not a million messages."""
    catalog = rule_catalog()
    whole_file = pl.DataFrame(
        [
            {
                "rule": issue.rule,
                "severity": issue.severity,
                "row": issue.row,
                "column": issue.column,
                "value": issue.value,
                "message": describe(issue, contract, period, lang),
            }
            for issue in issues
        ],
        schema=RECORD_SCHEMA,
    )
    kinds = row_issues.select("rule", "column").unique()
    wording = pl.DataFrame(
        [
            {
                "rule": rule,
                "column": column,
                "severity": catalog.severity(rule),
                "template": describe(
                    Issue(rule, row=0, column=column, value=_VALUE, params={"first_row": _FIRST_ROW}),
                    contract,
                    period,
                    lang,
                ),
            }
            for rule, column in kinds.iter_rows()
        ],
        schema={"rule": pl.String, "column": pl.String, "severity": pl.String, "template": pl.String},
    )
    by_row = row_issues.join(wording, on=["rule", "column"], how="left").select(
        "rule",
        "severity",
        "row",
        "column",
        "value",
        pl.col("template")
        .str.replace_all(_VALUE, pl.col("value").fill_null(""), literal=True)
        .str.replace_all(_FIRST_ROW, pl.col("first_row").cast(pl.String).fill_null(""), literal=True)
        .alias("message"),
    )
    records = pl.concat([whole_file, by_row.cast(RECORD_SCHEMA)])
    return records.sort(pl.col("row").is_not_null(), pl.col("row").fill_null(0), pl.col("column").fill_null(""), "rule")


RECORD_SCHEMA = {
    "rule": pl.String,
    "severity": pl.String,
    "row": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "message": pl.String,
}
_VALUE, _FIRST_ROW = "\u27e6value\u27e7", "\u27e6first_row\u27e7"  # placeholders no file holds


def rule_counts(records: pl.DataFrame) -> dict[str, int]:
    counts = records.group_by("rule").len().sort("rule")
    return dict(counts.iter_rows())


def capped(records: pl.DataFrame) -> list[dict[str, Any]]:
    """At most ISSUES_PER_RULE_IN_RECEIPT per rule, in row order (rule_counts stays exact)."""
    kept = records.filter(pl.int_range(pl.len()).over("rule") < ISSUES_PER_RULE_IN_RECEIPT)
    return kept.to_dicts()


def issues_csv(records: pl.DataFrame, path: Path) -> None:
    """The full list, for Excel: UTF-8 with a BOM (so that accents show), CRLF line ends, and no
    cell that a spreadsheet would run as a formula (a value such as `=HYPERLINK(...)` is written
    `'=HYPERLINK(...)`)."""
    inert_text_columns(records.select(ISSUE_FIELDS)).write_csv(path, include_bom=True, line_terminator="\r\n")


def receipt_json(receipt: dict[str, Any]) -> bytes:
    return (json.dumps(receipt, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


RECEIPT_TEXTS = Texts(SCHEMAS_DIR / "receipt.yaml")


def _say(group: str, key: str, lang: str, **values: Any) -> str:
    return RECEIPT_TEXTS.say(f"{group}.{key}", lang, **values)


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

"""The receipt of one submission: the JSON the spec fixes, the full issues CSV, and the short
text a person reads (verdict, counts per rule, first problems with row and column).
"""

from __future__ import annotations

import codecs
import json
import string
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.common.paths import SCHEMAS_DIR
from pipelines.common.periods import Period
from pipelines.common.spreadsheet_safe import csv_separator, inert_text_columns
from pipelines.common.texts import Texts
from pipelines.contract.issues import KEY_SEPARATOR, Issue
from pipelines.contract.messages import describe
from pipelines.contract.model import Contract, rule_catalog
from pipelines.contract.vocabulary import RULE, SEVERITY, label

ISSUES_PER_RULE_IN_RECEIPT = 100
ISSUES_SHOWN_IN_TEXT = 10
CSV_SLICE_ROWS = 100_000  # issues worded and written at once
ISSUE_FIELDS = ("rule", "severity", "row", "column", "value", "message")


class IssueRecords:
    """Every issue of a submission with its severity and message: file-level issues first, then by
    row, column and rule. Lazy: the messages of row issues are worded once per (rule, column) and
    filled in only where they are written (the issues CSV, streamed; the receipt's capped list), so a
    file whose every row is bad costs its issues, not a message per issue held in memory."""

    def __init__(self, issues: list[Issue], row_issues: pl.LazyFrame | pl.DataFrame, contract: Contract,
                 period: Period, lang: str):  # fmt: skip
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
        self._contract, self._lang = contract, lang
        self._whole_file = whole_file.sort(pl.col("column").fill_null(""), "rule")  # they have no row
        self._row_issues = row_issues.lazy()  # in row, column and rule order (pipelines.intake.checking.issue_order)
        self._counts: dict[str, int] | None = None
        self._templates = {
            _pair(rule, column): describe(
                Issue(rule, row=0, column=column, value=_VALUE, params={"first_row": _FIRST_ROW}),
                contract,
                period,
                lang,
            )
            for rule, column in _distinct(self._row_issues.select("rule", "column").unique()).iter_rows()
        }

    def drop_all(self) -> None:
        """None to write (a duplicate's receipt lists nothing)."""
        self._whole_file, self._row_issues = self._whole_file.clear(), self._row_issues.clear()
        self._counts = None

    def counts(self) -> dict[str, int]:
        """Issues per rule, sorted by rule code."""
        if self._counts is None:
            rules = pl.concat([self._whole_file.lazy().select("rule"), self._row_issues.select("rule")])
            self._counts = dict(_distinct(rules.group_by("rule").len()).sort("rule").iter_rows())
        return dict(self._counts)

    def errors(self) -> int:
        catalog = rule_catalog()
        return sum(count for rule, count in self.counts().items() if catalog.severity(rule) == "error")

    def total(self) -> int:
        return sum(self.counts().values())

    def capped(self) -> list[dict[str, Any]]:
        """At most ISSUES_PER_RULE_IN_RECEIPT per rule, in row order (counts() stays exact)."""
        first = [
            self._row_issues.filter(pl.col("rule") == rule).head(ISSUES_PER_RULE_IN_RECEIPT)
            for rule in self.counts()  # the few rules found
        ]
        empty = pl.LazyFrame(schema=self._row_issues.collect_schema())
        kept = pl.concat([empty, *first]).sort("row", "column", "rule")
        return self._with_messages(kept).collect().to_dicts()

    def write_csv(self, path: Path) -> None:
        """The full list, for the reader's spreadsheet program: UTF-8 with a BOM (so that accents
        show), CRLF line ends, headers, severities and columns in the receipt's language, `;`
        between fields where the decimal mark is a comma (es, pt, fr: `csv_separator`), and no cell
        that a spreadsheet would run as a formula (a value such as `=HYPERLINK(...)` is written
        `'=HYPERLINK(...)`). Worded and written a slice at a time: polars' streaming sink held every
        message of an in-memory frame at once."""
        row_issues = self._row_issues.collect(engine="streaming")
        separator = csv_separator(self._lang)
        with open(path, "wb") as handle:
            handle.write(codecs.BOM_UTF8)
            handle.write((separator.join(issues_csv_headers(self._lang)) + "\r\n").encode("utf-8"))
            self._write(self._whole_file.lazy(), handle, separator)
            for piece in row_issues.iter_slices(CSV_SLICE_ROWS):
                self._write(self._worded(piece.lazy()), handle, separator)

    def _write(self, records: pl.LazyFrame, handle, separator: str) -> None:
        shown = records.select(ISSUE_FIELDS).with_columns(
            pl.col("severity").replace({code: label(SEVERITY, code, self._lang) for code in ("error", "warning")}),
            pl.col("column").replace(
                {name: column_label(self._contract, name, self._lang) for name in self._contract.column_names}
            ),
        )
        inert = inert_text_columns(shown).collect()
        inert.write_csv(handle, include_header=False, separator=separator, line_terminator="\r\n")

    def _with_messages(self, row_issues: pl.LazyFrame) -> pl.LazyFrame:
        """The file-level records, then `row_issues` worded."""
        return pl.concat([self._whole_file.lazy(), self._worded(row_issues)])

    def _worded(self, row_issues: pl.LazyFrame) -> pl.LazyFrame:
        """`row_issues` with their severity and message (order kept: an element-wise mapping)."""
        catalog = rule_catalog()
        rules = self.counts()
        severity = pl.col("rule").replace_strict({rule: catalog.severity(rule) for rule in rules},
                                                 return_dtype=pl.String)  # fmt: skip
        template = pl.concat_str(pl.col("rule"), pl.col("column").fill_null(""), separator=KEY_SEPARATOR)
        worded = row_issues.select(
            "rule",
            severity.alias("severity"),
            "row",
            "column",
            "value",
            template.replace_strict(self._templates, return_dtype=pl.String)
            .str.replace_all(_VALUE, pl.col("value").fill_null(""), literal=True)
            .str.replace_all(_FIRST_ROW, pl.col("first_row").cast(pl.String).fill_null(""), literal=True)
            .alias("message"),
        )
        return worded.cast(RECORD_SCHEMA)


def issues_csv_headers(lang: str) -> list[str]:
    return [_say("issues_csv", field, lang) for field in ISSUE_FIELDS]


def _distinct(query: pl.LazyFrame) -> pl.DataFrame:
    """A few distinct values or counts out of millions of issues, streamed: the same at once on the
    whole frame hashes every row into memory first."""
    return query.collect(engine="streaming")


def _pair(rule: str, column: str | None) -> str:
    return f"{rule}{KEY_SEPARATOR}{column or ''}"


RECORD_SCHEMA = {
    "rule": pl.String,
    "severity": pl.String,
    "row": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "message": pl.String,
}
_VALUE, _FIRST_ROW = "\u27e6value\u27e7", "\u27e6first_row\u27e7"  # placeholders no file holds


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


def first_problems(receipt: dict[str, Any], contract: Contract, lang: str) -> list[dict[str, Any]]:
    """Errors before warnings, in row order: what a person should fix first, each column named by
    its label in `lang` (`column_label`) and each message in `lang` where it can be worded again
    (`message_in`)."""
    ordered = sorted(receipt["issues"], key=lambda r: (r["severity"] != "error", r["row"] or 0))
    period = Period.parse(receipt["period"])
    return [
        {**record, "column_label": column_label(contract, record["column"], lang),
         "message": message_in(record, contract, period, lang)}
        for record in ordered[:ISSUES_SHOWN_IN_TEXT]
    ]  # fmt: skip


# What a row issue's message may hold that its record (rule, row, column, value) gives back.
_FROM_THE_RECORD = {"column", "value", "expected", "kind", "accepted", "period", "period_start", "period_end",
                    "max_birth_year"}  # fmt: skip


def message_in(record: dict[str, Any], contract: Contract, period: Period, lang: str) -> str:
    """A receipt's issue in `lang`, for a reader of another language than the receipt's: a row
    issue whose message needs nothing but its record is worded again; any other keeps the words
    it was written with (they name what only the intake saw: a detail, a first row, a header)."""
    rule = rule_catalog().rules.get(record["rule"])
    if record["row"] is None or rule is None:  # a file-level issue, or a rule the catalogue no longer has
        return record["message"]
    template = rule["message"]["en"]
    if not {name for _, name, _, _ in string.Formatter().parse(template) if name} <= _FROM_THE_RECORD:
        return record["message"]
    issue = Issue(record["rule"], row=record["row"], column=record["column"], value=record["value"])
    return describe(issue, contract, period, lang)


def column_label(contract: Contract, column: str | None, lang: str) -> str:
    """A contract column by its label in `lang`; a header the contract does not know, as sent."""
    if not column:
        return ""
    return contract.column(column).label(lang) if column in contract.column_names else column


def diff_lines(diff: dict[str, Any] | None, contract: Contract, lang: str) -> list[str]:
    """The resubmission diff in words: against which version, the counts, the changed rows by column
    (each column by its label in `lang`); none without a diff."""
    if not diff:
        return []
    lines = [
        _say("diff", "against", lang, version=diff["previous_version"]),
        "  " + _say("diff", "counts", lang, **{name: diff[name] for name in DIFF_COUNT_NAMES}),
    ]
    if diff["changed_by_column"]:
        lines.append("  " + _say("diff", "by_column", lang))
        lines.extend(f"    {label}: {count}" for label, count in changed_by_column_labels(diff, contract, lang))
    return lines


DIFF_COUNT_NAMES = ("added", "removed", "changed", "unchanged")


def diff_summary(diff: dict[str, Any] | None, contract: Contract, lang: str) -> dict[str, Any] | None:
    """The resubmission diff for a page, in `lang`: against which version, each count with its
    label, the changed rows by column; None without a diff."""
    if not diff:
        return None
    return {
        "against": _say("diff", "against", lang, version=diff["previous_version"]),
        "counts": [(_say("diff", name, lang), diff[name]) for name in DIFF_COUNT_NAMES],
        "by_column_title": _say("diff", "by_column", lang),
        "by_column": changed_by_column_labels(diff, contract, lang),
    }


def changed_by_column_labels(diff: dict[str, Any], contract: Contract, lang: str) -> list[tuple[str, int]]:
    """(column label in `lang`, changed rows), in the contract's order of columns."""
    order = {name: i for i, name in enumerate(contract.column_names)}
    ordered = sorted(diff["changed_by_column"].items(), key=lambda item: order.get(item[0], len(order)))
    return [(column_label(contract, name, lang), count) for name, count in ordered]


def render_text(
    receipt: dict[str, Any], contract: Contract, lang: str, receipt_path: str, issues_path: str, deadline: str,
    diff_path: str | None = None,
) -> str:  # fmt: skip
    """What `ciess submit` prints for a person."""
    top = headline(receipt, contract, lang, deadline)
    lines = [line for line in (top["verdict"], top["late"], top["supersedes"], top["counts"]) if line]
    lines.extend(diff_lines(receipt.get("diff"), contract, lang))
    if diff_path:
        lines.append("  " + _say("diff", "full_list", lang, path=diff_path))
    if receipt["rule_counts"]:
        lines.append(_say("labels", "by_rule", lang))
        width = max(len(rule) for rule in receipt["rule_counts"])
        digits = max(len(str(count)) for count in receipt["rule_counts"].values())
        lines.extend(
            f"  {rule:<{width}}  {count:>{digits}}  {label(RULE, rule, lang)}"
            for rule, count in receipt["rule_counts"].items()
        )
        lines.append(_say("labels", "first", lang))
        for record in first_problems(receipt, contract, lang):
            where = (
                f"{_say('labels', 'row', lang)} {record['row']}"
                if record["row"] is not None
                else _say("labels", "file", lang)
            )
            column = f", {record['column_label']}" if record["column"] else ""
            severity = label(SEVERITY, record["severity"], lang)
            lines.append(f"  [{where}{column}] {severity} {record['rule']}: {record['message']}")
        total = sum(receipt["rule_counts"].values())
        if total > ISSUES_SHOWN_IN_TEXT:
            lines.append("  " + _say("labels", "more", lang, count=total - ISSUES_SHOWN_IN_TEXT))
        lines.append(_say("labels", "full_list", lang, path=issues_path))
    lines.append(_say("labels", "receipt", lang, path=receipt_path))
    return "\n".join(lines)

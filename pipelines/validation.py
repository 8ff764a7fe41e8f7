"""The contract applied to one file: every rule, every row, all issues in one pass, in batches.

The file is read in batches of at most `batch_rows` rows (pipelines.reading); each batch is typed
(pipelines.conversion) and checked against the rules derived from the contract: codes, ranges,
lengths and the cross-field rules of `schemas/<kind>/contract.yaml`, as polars expressions. Key
uniqueness spans batches (pipelines.key_index), so the issues found do not depend on where the
batches are cut. Memory is bounded by the batch size, not by the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.contracts import Column, Contract, rule_catalog
from pipelines.conversion import TypedBatch, convert_batch, flagged_issues
from pipelines.expressions import rule_expression
from pipelines.headers import HeaderMap, map_headers
from pipelines.issues import Issue, no_row_issues
from pipelines.key_index import KeyIndex
from pipelines.periods import Period
from pipelines.reading import FileRefused, Source, open_submission

BATCH_ROWS = 250_000
SAMPLE_ROWS = 200  # rows looked at to recognise personal identifiers by their content

# Called with each checked batch and whether no error has been found so far; returns more row
# issues (ROW_ISSUE_SCHEMA) or None. The intake uses it to stage rows for the lake and to compare
# them with other submissions.
BatchHandler = Callable[[TypedBatch, bool], pl.DataFrame | None]


@dataclass
class FileValidation:
    issues: list[Issue] = field(default_factory=list)  # about the file as a whole
    row_issues: pl.DataFrame = field(default_factory=no_row_issues)  # ROW_ISSUE_SCHEMA
    rows: int = 0
    typed: pl.DataFrame | None = None  # with keep_rows, when no error was found
    source: Source | None = None

    @property
    def has_errors(self) -> bool:
        return any(issue.severity == "error" for issue in self.issues) or has_error_rules(self.row_issues)


def has_error_rules(row_issues: pl.DataFrame) -> bool:
    errors = [code for code in row_issues.get_column("rule").unique().to_list() if _is_error(code)]
    return bool(errors)


def _is_error(code: str) -> bool:
    return rule_catalog().severity(code) == "error"


def period_context(period: Period) -> dict:
    return {"period_year": period.year, "period_start": period.start, "period_end": period.end}


class RowRules:
    """Every per-row rule of a contract for one period, as (rule, column, failing-row expression)."""

    def __init__(self, contract: Contract, period: Period):
        context = period_context(period)
        self.checks: list[tuple[str, str, pl.Expr]] = []
        for column in contract.columns:
            self.checks.extend((rule, column.name, fails) for rule, fails in _column_checks(column))
        for rule in contract.rules:
            skip = pl.any_horizontal(pl.col(name).is_null() for name in rule.columns)
            holds = rule_expression(rule.check, context).fill_null(False)
            self.checks.append((rule.code, rule.column, ~(holds | skip)))

    def check(self, batch: TypedBatch) -> pl.DataFrame:
        flagged = batch.typed.select("row", *(fails.alias(f"__flag{i}") for i, (_, _, fails) in enumerate(self.checks)))
        found = flagged_issues(flagged, batch.text, self.checks)
        return found.unique(subset=["row", "rule", "column"], keep="first")


def _column_checks(column: Column) -> list[tuple[str, pl.Expr]]:
    value = pl.col(column.name)
    checks = []
    if column.codes:
        checks.append(("CODE_UNKNOWN", value.is_not_null() & ~value.is_in(list(column.codes))))
    if column.min is not None or column.max is not None:
        within = pl.lit(True)
        if column.min is not None:
            within &= (value > column.min) if column.min_exclusive else (value >= column.min)
        if column.max is not None:
            within &= value <= column.max
        checks.append(("VALUE_RANGE", value.is_not_null() & ~within))
    if column.max_length is not None:
        checks.append(("VALUE_RANGE", value.str.len_chars() > column.max_length))
    return checks


def validate_file(
    path: Path,
    contract: Contract,
    period: Period,
    batch_rows: int = BATCH_ROWS,
    on_batch: BatchHandler | None = None,
    keep_rows: bool = False,
) -> FileValidation:
    """Read, map headers, convert types and check every rule of the contract, batch by batch.
    `keep_rows`: also return the typed rows (small files: tests and checks of the marts)."""
    result = FileValidation()
    try:
        source = open_submission(path, contract)
        result.source = source
        _check_batches(source, contract, period, batch_rows, on_batch, keep_rows, result)
    except FileRefused as refused:  # the whole file, even when found after some batches
        return FileValidation(issues=[Issue(refused.rule, params=dict(refused.details))])
    return result


def _check_batches(
    source: Source,
    contract: Contract,
    period: Period,
    batch_rows: int,
    on_batch: BatchHandler | None,
    keep_rows: bool,
    result: FileValidation,
) -> None:
    rules = RowRules(contract, period)
    columns = _ColumnsSeen(source.headers)
    found: list[pl.DataFrame] = []
    kept: list[pl.DataFrame] = []
    clean = True
    header_map: HeaderMap | None = None
    with KeyIndex(contract) as keys:
        for header_map, cells in _with_header_map(source.batches(batch_rows), columns, contract):
            result.rows += cells.height
            if _header_errors(header_map):
                continue  # rows cannot be read against a header that is wrong; they are only counted
            batch = convert_batch(cells, header_map.positions, contract)
            issues = [batch.issues, rules.check(batch)]
            keys.add(batch.typed, batch.text)
            clean = clean and not any(has_error_rules(part) for part in issues)
            if on_batch is not None and (more := on_batch(batch, clean)) is not None:
                issues.append(more)
            found.extend(part for part in issues if not part.is_empty())
            if keep_rows:
                kept.append(batch.typed)
        if header_map is None:
            raise FileRefused("FILE_EMPTY")
        if not _header_errors(header_map):
            found.append(keys.duplicates())
    result.issues.extend(columns.header_map(contract).issues)  # with every column's content now seen
    result.row_issues = pl.concat(found).sort("row", "column", "rule") if found else no_row_issues()
    if keep_rows and not result.has_errors:
        result.typed = pl.concat(kept)


def _header_errors(header_map: HeaderMap) -> bool:
    return any(issue.severity == "error" for issue in header_map.issues)


def _with_header_map(
    batches: Iterator[pl.DataFrame], columns: _ColumnsSeen, contract: Contract
) -> Iterator[tuple[HeaderMap, pl.DataFrame]]:
    """Each batch with the header mapping, decided once the sample rows have been seen (so that
    it does not depend on the batch size)."""
    held: list[pl.DataFrame] = []
    header_map: HeaderMap | None = None
    for cells in batches:
        columns.add(cells)
        if header_map is None:
            held.append(cells)
            if columns.sampled_rows < SAMPLE_ROWS:
                continue
            header_map = columns.header_map(contract)
            yield from ((header_map, part) for part in held)
            held = []
        else:
            yield header_map, cells
    if header_map is None and held:
        header_map = columns.header_map(contract)
        yield from ((header_map, part) for part in held)


class _ColumnsSeen:
    """What the header mapping needs to know about the file's columns: the header padded to the
    widest row, which columns hold data, and sample values (to recognise identifiers)."""

    def __init__(self, headers: list[str]):
        self.headers = list(headers)
        self.has_data: list[bool] = []
        self.samples: list[list[str]] = []
        self.sampled_rows = 0

    def add(self, cells: pl.DataFrame) -> None:
        width = cells.width - 1
        while len(self.has_data) < width:
            self.has_data.append(False)
            self.samples.append([])
        filled = cells.select((pl.col(f"c{i}") != "").any() for i in range(width)).row(0)
        self.has_data = [seen or bool(now) for seen, now in zip(self.has_data, filled, strict=False)] + self.has_data[
            len(filled) :
        ]
        if self.sampled_rows < SAMPLE_ROWS:
            head = cells.head(SAMPLE_ROWS - self.sampled_rows)
            for i in range(width):
                self.samples[i].extend(value for value in head.get_column(f"c{i}").to_list() if value)
            self.sampled_rows += head.height

    def header_map(self, contract: Contract) -> HeaderMap:
        width = max(len(self.headers), len(self.has_data))
        headers = self.headers + [""] * (width - len(self.headers))  # cells right of the header: unknown columns
        has_data = self.has_data + [False] * (width - len(self.has_data))
        samples = self.samples + [[] for _ in range(width - len(self.samples))]
        return map_headers(headers, contract, has_data, samples)

"""The contract applied to one file: every rule, every row, all issues in one pass, in batches.

The file is read in batches of at most `batch_rows` rows (pipelines.intake.reading); each batch is typed
(pipelines.intake.checking.conversion) and checked against the rules derived from the contract: codes, ranges,
lengths and the cross-field rules of `schemas/<kind>/contract.yaml`, as polars expressions. Key
uniqueness spans batches (pipelines.intake.checking.key_index), so the issues found do not depend on where the
batches are cut. Memory is bounded by the batch size, not by the file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from pipelines.common.periods import Period, period_of
from pipelines.contract.issues import Issue, compact
from pipelines.contract.model import Column, Contract, rule_catalog
from pipelines.contract.rule_expressions import rule_expression
from pipelines.intake.checking.conversion import BatchPlan, one_of
from pipelines.intake.checking.issue_order import merged, sorted_run
from pipelines.intake.checking.key_index import KeyIndex
from pipelines.intake.reading.cells import trimmed_text
from pipelines.intake.reading.errors import FileRefused
from pipelines.intake.reading.headers import HeaderMap, map_headers
from pipelines.intake.reading.opening import open_submission
from pipelines.intake.reading.source import Source

BATCH_ROWS = 100_000
WORDED_AT_ONCE = 20_000  # failing rows turned into issues together (one row per flag on the way)
CHECKING = 2  # batches checked at once: polars releases the GIL, so one's gaps are filled by the other
SAMPLE_ROWS = 200  # rows looked at to recognise personal identifiers by their content

# Called, in file order and only while no error has been found, with each checked batch's typed
# rows (`row` and the contract's columns); returns more row issues (ROW_ISSUE_SCHEMA) or None. The
# intake uses it to stage rows for the lake and to compare them with other submissions.
BatchHandler = Callable[[pl.DataFrame], pl.DataFrame | None]


@dataclass
class FileValidation:
    issues: list[Issue] = field(default_factory=list)  # about the file as a whole
    # issues on rows (ROW_ISSUE_SCHEMA), as runs each in row, column and rule order (issue_order)
    runs: list[pl.DataFrame] = field(default_factory=list)
    rows: int = 0
    typed: pl.DataFrame | None = None  # with keep_rows, when no error was found
    source: Source | None = None

    @property
    def row_issues(self) -> pl.DataFrame:
        """Every row issue in order, in memory at once (small files; the intake streams `row_issue_plan`)."""
        return self.row_issue_plan().collect()

    def row_issue_plan(self) -> pl.LazyFrame:
        return merged(self.runs)

    @property
    def has_errors(self) -> bool:
        return any(issue.severity == "error" for issue in self.issues) or any(map(has_error_rules, self.runs))


def has_error_rules(row_issues: pl.DataFrame) -> bool:
    rules = row_issues.lazy().select(pl.col("rule").unique()).collect(engine="streaming").get_column("rule")
    return any(_is_error(code) for code in rules)


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


def _column_checks(column: Column) -> list[tuple[str, pl.Expr]]:
    value = pl.col(column.name)
    checks = []
    if column.codes:
        checks.append(("CODE_UNKNOWN", value.is_not_null() & ~one_of(value, column.codes)))
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
    scratch: Path | None = None,
) -> FileValidation:
    """Read, map headers, convert types and check every rule of the contract, batch by batch.
    `keep_rows`: also return the typed rows (small files: tests and checks of the marts).
    `scratch`: where the key index spills (the home's scratch folder; else the system's temporary one)."""
    result = FileValidation()
    try:
        source = open_submission(path, contract)
        result.source = source
        _check_batches(source, contract, period, batch_rows, on_batch, keep_rows, result, scratch)
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
    scratch: Path | None = None,
) -> None:
    columns = _ColumnsSeen(source.headers)
    columns.add(source.sample(SAMPLE_ROWS), sampling=True)
    header_map = columns.header_map(contract)
    if any(issue.severity == "error" for issue in header_map.issues):
        for cells in source.batches(batch_rows):  # rows cannot be read against a wrong header: only counted
            columns.add(cells)
            result.rows += cells.height
        if result.rows == 0:
            raise FileRefused("FILE_EMPTY")
        result.issues.extend(columns.header_map(contract).issues)
        return
    plan = BatchPlan(contract, header_map.positions, RowRules(contract, period).checks)
    # three streams of issues, each in file order: worded from failing rows, handed back by on_batch,
    # and the duplicate keys (known only at the end)
    worded: list[pl.DataFrame] = []
    handed: list[pl.DataFrame] = []
    failing: list[pl.DataFrame] = []
    kept: list[pl.DataFrame] = []
    clean = True
    wants_rows = on_batch is not None or keep_rows
    keys = KeyIndex(contract, source.path.stat().st_size, scratch)
    span = _DateSpan()
    with keys, ThreadPoolExecutor(CHECKING, thread_name_prefix="check") as pool:
        checking: deque[Future] = deque()

        def check(batch: pl.LazyFrame, wants_typed: bool, unseen: list[str]) -> dict[str, pl.DataFrame]:
            """One batch's plan, run in a thread of the pool."""
            derived = plan.derive(batch)
            plans = {
                "rows": plan.rows(derived),
                "failing": plan.failing(derived),
                "keys": keys.spilled(derived, plan.text),
            }
            if wants_typed:
                plans["typed"] = plan.typed_rows(derived)
            if unseen:
                plans["filled"] = derived.select((trimmed_text(pl.col(name)) != "").any() for name in unseen)
            return dict(zip(plans, pl.collect_all(list(plans.values())), strict=True))

        def take_one() -> None:
            nonlocal clean
            got = checking.popleft().result()
            if "filled" in got:
                columns.saw(got["filled"])
            result.rows += got["rows"].item()
            if got["failing"].height:
                span.add(*plan.date_span(got["failing"], "DATE_OUT_OF_PERIOD"))
                got["failing"] = plan.without_dates(got["failing"])
                failing.append(compact(got["failing"]))  # a few rows: their text no longer holds the batch
                clean = clean and not plan.has_errors(got["failing"])
                if sum(frame.height for frame in failing) >= WORDED_AT_ONCE:
                    worded.append(plan.issues(pl.concat(failing)))
                    failing.clear()
            keys.add(got["keys"])
            typed = plan.kept_rows(got["typed"]) if "typed" in got and clean else None
            if on_batch is not None and typed is not None and (more := on_batch(typed)) is not None:
                handed.append(more)
            if keep_rows and typed is not None:
                kept.append(typed)

        for batch in source.lazy_batches(batch_rows, trimmed=False):  # the plan trims what it needs
            unseen = columns.unseen(batch.collect_schema().names())
            # the typed rows are only of use while the file may be accepted
            checking.append(pool.submit(check, batch, wants_rows and clean, unseen))
            if len(checking) >= CHECKING:
                take_one()
        while checking:
            take_one()
        if failing:
            worded.append(plan.issues(pl.concat(failing)))
        duplicates = [keys.duplicates()]
    if result.rows == 0:
        raise FileRefused("FILE_EMPTY")
    result.issues.extend(columns.header_map(contract).issues)  # with every column's content now seen
    result.issues.extend(span.summary(period, result.rows))
    result.runs = [run for pieces in (worded, handed, duplicates) if (run := sorted_run(pieces)) is not None]
    if keep_rows and not result.has_errors:
        result.typed = pl.concat(kept)


@dataclass
class _DateSpan:
    """The rows out of the period (DATE_OUT_OF_PERIOD) and the earliest and latest of their dates: a
    file whose every row is out of the period, its dates all in one other quarter, gets one summary
    line naming that quarter on top of its row issues (it was most likely sent for the wrong one)."""

    rows: int = 0
    first: date | None = None
    last: date | None = None

    def add(self, rows: int, first: date | None, last: date | None) -> None:
        self.rows += rows
        if first is not None:
            self.first = first if self.first is None else min(self.first, first)
        if last is not None:
            self.last = last if self.last is None else max(self.last, last)

    def summary(self, period: Period, rows: int) -> list[Issue]:
        if self.rows < rows or self.first is None or self.last is None:
            return []
        quarter = period_of(self.first)
        if quarter != period_of(self.last) or quarter == period:
            return []
        return [Issue("DATE_OUT_OF_PERIOD", variant="whole_file", params={"found": str(quarter)})]


class _ColumnsSeen:
    """What the header mapping needs to know about the file's columns: the header padded to the
    widest row, which columns hold data, and sample values (to recognise identifiers)."""

    def __init__(self, headers: list[str]):
        self.headers = list(headers)
        self.has_data: list[bool] = []
        self.samples: list[list[str]] = []

    def add(self, cells: pl.DataFrame, sampling: bool = False) -> None:
        """A batch's cells (`c0`, `c1`...; other columns are ignored); `sampling`: these are the
        first rows, whose values are kept as samples."""
        names = self._cell_names(cells.columns)
        todo = names if sampling else self.unseen(cells.columns)
        if todo:
            self.saw(cells.select((pl.col(name) != "").any() for name in todo))
        if sampling:
            for i, name in enumerate(names):
                self.samples[i].extend(value for value in cells.get_column(name).to_list() if value)

    def unseen(self, names: list[str]) -> list[str]:
        """The cell columns among `names` that have no header and no data seen yet."""
        width = len(self._cell_names(names))
        unnamed = [i for i in range(width) if i >= len(self.headers) or not self.headers[i]]
        return [f"c{i}" for i in unnamed if not self.has_data[i]]

    def saw(self, filled: pl.DataFrame) -> None:
        """`filled`: one row, a boolean per cell column (`c<i>`), true when it holds data."""
        for name, now in zip(filled.columns, filled.row(0), strict=True):
            self.has_data[int(name[1:])] |= bool(now)

    def _cell_names(self, names: list[str]) -> list[str]:
        cells = [name for name in names if name.startswith("c") and name[1:].isdigit()]
        while len(self.has_data) < len(cells):
            self.has_data.append(False)
            self.samples.append([])
        return cells

    def header_map(self, contract: Contract) -> HeaderMap:
        width = max(len(self.headers), len(self.has_data))
        headers = self.headers + [""] * (width - len(self.headers))  # cells right of the header: unknown columns
        has_data = self.has_data + [False] * (width - len(self.has_data))
        samples = self.samples + [[] for _ in range(width - len(self.samples))]
        return map_headers(headers, contract, has_data, samples)

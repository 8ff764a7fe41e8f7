"""The contract applied to one file: every rule, every row, all issues in one pass.

The pandera schema is derived from the contract (codes, ranges, lengths, cross-field rules, the
key) and run lazily so that every failure is collected; its failure cases become issues with the
spreadsheet row number, the column and the value as sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from pipelines.contracts import Column, Contract, CrossRule
from pipelines.conversion import TypedTable, convert_table
from pipelines.headers import map_headers
from pipelines.issues import Issue
from pipelines.periods import Period
from pipelines.reading import FileRefused, RawTable, read_submission

_DTYPES = {
    "text": "string",
    "code": "string",
    "integer": "Int64",
    "decimal": "Float64",
    "date": "datetime64[us]",
    "boolean": "boolean",
}
_SEP = "@"  # pandera check names are RULE@column
SAMPLE_ROWS = 200  # rows looked at to recognise personal identifiers by their content


@dataclass
class FileValidation:
    issues: list[Issue] = field(default_factory=list)
    rows: int = 0
    typed: pd.DataFrame | None = None  # only when no error was found
    source: RawTable | None = None

    @property
    def has_errors(self) -> bool:
        return any(issue.severity == "error" for issue in self.issues)


def period_context(period: Period) -> dict:
    return {
        "period_year": period.year,
        "period_start": pd.Timestamp(period.start),
        "period_end": pd.Timestamp(period.end),
    }


def _column_checks(column: Column) -> list[pa.Check]:
    checks = []
    if column.codes:
        codes = list(column.codes)
        checks.append(pa.Check(lambda s, codes=codes: s.isin(codes), name=f"CODE_UNKNOWN{_SEP}{column.name}"))
    if column.min is not None or column.max is not None:
        low, high, exclusive = column.min, column.max, column.min_exclusive

        def within_bounds(s: pd.Series, low=low, high=high, exclusive=exclusive) -> pd.Series:
            ok = pd.Series(True, index=s.index)
            if low is not None:
                ok &= (s > low) if exclusive else (s >= low)
            if high is not None:
                ok &= s <= high
            return ok

        checks.append(pa.Check(within_bounds, name=f"VALUE_RANGE{_SEP}{column.name}"))
    if column.max_length is not None:
        longest = column.max_length
        checks.append(pa.Check(lambda s, n=longest: s.str.len() <= n, name=f"VALUE_RANGE{_SEP}{column.name}"))
    return checks


def _cross_check(rule: CrossRule, context: dict) -> pa.Check:
    expression = rule.check
    columns = list(rule.columns)

    def holds(frame: pd.DataFrame) -> pd.Series:
        skip = frame[columns].isna().any(axis=1)
        result = frame.eval(expression, local_dict=context).astype("boolean").fillna(False)
        return result | skip

    return pa.Check(holds, name=f"{rule.code}{_SEP}{rule.column}")


def _key_check(key: list[str]) -> pa.Check:
    def unique(frame: pd.DataFrame) -> pd.Series:
        return ~frame.duplicated(subset=key, keep="first") | frame[key].isna().any(axis=1)

    return pa.Check(unique, name=f"KEY_DUPLICATE{_SEP}{key[0]}")


def build_schema(contract: Contract, period: Period) -> pa.DataFrameSchema:
    """The pandera schema of a kind for one period (period-dependent bounds come from the period)."""
    context = period_context(period)
    return pa.DataFrameSchema(
        {
            column.name: pa.Column(_DTYPES[column.type], checks=_column_checks(column), nullable=True)
            for column in contract.columns
        },
        checks=[_cross_check(rule, context) for rule in contract.rules] + [_key_check(list(contract.key))],
        name=contract.kind,
        strict=True,
    )


def check_rows(table: TypedTable, contract: Contract, period: Period) -> list[Issue]:
    """Run the derived schema; one issue per failing (row, rule, column)."""
    try:
        build_schema(contract, period).validate(table.typed, lazy=True)
        return []
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    broken = cases[cases["index"].isna()]
    if not broken.empty:  # a check that raised or a dtype the converter did not produce: a bug, not a finding
        raise RuntimeError(f"contract {contract.kind} could not be checked: {broken.to_dict('records')}")
    named = cases["check"].astype(str).str.split(_SEP, n=1, expand=True)
    found = pd.DataFrame({"rule": named[0], "column": named[1], "row": cases["index"].astype(int)})
    found = found.drop_duplicates().sort_values(["row", "column", "rule"])
    first_rows = _first_rows_of_keys(table.typed, list(contract.key))
    issues = []
    for rule, column, row in found.itertuples(index=False):
        if rule == "KEY_DUPLICATE":
            value = " / ".join(table.text.at[row, name] for name in contract.key)
            issues.append(Issue(rule, row=row, column=column, value=value, params={"first_row": first_rows[row]}))
        else:
            issues.append(Issue(rule, row=row, column=column, value=str(table.text.at[row, column])))
    return issues


def _first_rows_of_keys(frame: pd.DataFrame, key: list[str]) -> dict[int, int]:
    dupes = frame[frame.duplicated(subset=key, keep=False) & frame[key].notna().all(axis=1)]
    if dupes.empty:
        return {}
    first = dupes.reset_index(names="_row").groupby(key, dropna=True)["_row"].transform("min")
    return dict(zip(dupes.index.astype(int), first.astype(int), strict=True))


def cells_frame(source: RawTable, positions: dict[str, int]) -> pd.DataFrame:
    """The file's cells under canonical names, indexed by spreadsheet row number."""
    width = max(positions.values()) + 1 if positions else 0
    padded = [row + [None] * (width - len(row)) if len(row) < width else row for row in source.rows]
    frame = pd.DataFrame({name: [row[pos] for row in padded] for name, pos in positions.items()}, dtype=object)
    frame.index = pd.Index(source.row_numbers, name="row")
    return frame


def _filled(cell) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def validate_file(path: Path, contract: Contract, period: Period) -> FileValidation:
    """Read, map headers, convert types and check every rule of the contract."""
    result = FileValidation()
    try:
        source = read_submission(path, contract)
    except FileRefused as refused:
        result.issues.append(Issue(refused.rule, params=dict(refused.details)))
        return result
    result.source = source
    result.rows = len(source.rows)
    width = max([len(source.headers), *map(len, source.rows)])
    headers = source.headers + [""] * (width - len(source.headers))  # cells right of the header are unknown columns
    has_data = [any(pos < len(row) and _filled(row[pos]) for row in source.rows) for pos in range(width)]
    samples = [
        [row[pos] for row in source.rows[:SAMPLE_ROWS] if pos < len(row) and _filled(row[pos])] for pos in range(width)
    ]
    header_map = map_headers(headers, contract, has_data, samples)
    result.issues.extend(header_map.issues)
    if any(issue.severity == "error" for issue in header_map.issues):
        return result  # rows cannot be read against a header that is wrong
    table = convert_table(cells_frame(source, header_map.positions), contract, all_text=source.format == "csv")
    result.issues.extend(table.issues)
    result.issues.extend(check_rows(table, contract, period))
    if not result.has_errors:
        result.typed = table.typed
    return result

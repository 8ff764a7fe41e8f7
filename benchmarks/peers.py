"""The peers the intake is measured against, on the same file and the same rules, each collecting
every failing (row, rule): pandas + pandera (the schema derived from the contract, as the intake
did until it became batched) and Great Expectations 1.x on pandas. Both read the whole file into
memory, type it column by column with pandas, then check. Each returns the number of findings, so
the benchmark can show that every approach found the same.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.common.periods import Period
from pipelines.contract.model import Column, Contract, normalise_header, rule_catalog

_INTEGER = r"^[+-]?\d+(?:\.0+)?$"
_DECIMAL = r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$"
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
_DTYPES = {"text": "string", "code": "string", "integer": "Int64", "decimal": "Float64",
           "date": "datetime64[us]", "boolean": "boolean"}  # fmt: skip


def typed_frame(path: Path, contract: Contract) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The file's cells as text and as typed columns (index: spreadsheet row), and how many cells
    are empty where required or do not convert (VALUE_REQUIRED, VALUE_TYPE)."""
    text = pd.read_csv(path, dtype=str, keep_default_na=False).apply(lambda s: s.str.strip())
    text.index = pd.RangeIndex(2, len(text) + 2, name="row")
    typed = pd.DataFrame(index=text.index)
    findings = 0
    for column in contract.columns:
        values = _convert(text[column.name], column)
        empty = text[column.name] == ""
        findings += int((~empty & values.isna()).sum()) + (int(empty.sum()) if column.required else 0)
        if column.default is not None:
            values = values.mask(empty, column.default)
        typed[column.name] = values
    return text, typed, findings


def _convert(text: pd.Series, column: Column) -> pd.Series:
    empty = text == ""
    if column.type == "text":
        return text.mask(empty).astype("string")
    if column.type == "code":  # the code, or its label in any language (schemas CHANGELOG 1.2.0)
        spelled = text.map(lambda value: column.spellings.get(normalise_header(value), value.upper()))
        return spelled.mask(empty).astype("string")
    if column.type in ("integer", "decimal"):
        ok = text.str.match(_INTEGER if column.type == "integer" else _DECIMAL)
        number = pd.to_numeric(text.where(ok).str.replace(",", ".", regex=False), errors="coerce")
        return number.round().astype("Int64") if column.type == "integer" else number.astype("Float64")
    if column.type == "date":
        result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
        for form in _DATE_FORMATS:
            todo = result.isna() & ~empty
            result[todo] = pd.to_datetime(text[todo], format=form, errors="coerce")
        return result
    if column.type == "boolean":
        catalog = rule_catalog()
        folded = text.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii").str.lower()
        result = pd.Series(pd.NA, index=text.index, dtype="boolean")
        result[folded.isin(catalog.true_words)] = True
        result[folded.isin(catalog.false_words)] = False
        return result
    raise ValueError(column.type)


def _context(period: Period) -> dict:
    return {"period_year": period.year, "period_start": pd.Timestamp(period.start),
            "period_end": pd.Timestamp(period.end)}  # fmt: skip


def pandas_pandera(path: Path, contract: Contract, period: Period) -> int:
    import pandera.pandas as pa

    _, typed, findings = typed_frame(path, contract)
    context = _context(period)

    def column_checks(column: Column) -> list:
        checks = []
        if column.codes:
            checks.append(pa.Check.isin(list(column.codes), name="CODE_UNKNOWN"))
        if column.min is not None or column.max is not None:
            low = column.min if column.min is not None else float("-inf")
            high = column.max if column.max is not None else float("inf")
            checks.append(pa.Check.in_range(low, high, include_min=not column.min_exclusive, name="VALUE_RANGE"))
        if column.max_length is not None:
            checks.append(pa.Check.str_length(max_value=column.max_length, name="VALUE_RANGE"))
        return checks

    def cross(expression: str, columns: list[str], code: str):
        def holds(frame: pd.DataFrame) -> pd.Series:
            skip = frame[columns].isna().any(axis=1)
            return frame.eval(expression, local_dict=context).astype("boolean").fillna(False) | skip

        return pa.Check(holds, name=code)

    key = list(contract.key)
    schema = pa.DataFrameSchema(
        {c.name: pa.Column(_DTYPES[c.type], checks=column_checks(c), nullable=True) for c in contract.columns},
        checks=[cross(rule.check, list(rule.columns), rule.code) for rule in contract.rules]
        + [pa.Check(lambda f: ~f.duplicated(subset=key) | f[key].isna().any(axis=1), name="KEY_DUPLICATE")],
        strict=True,
    )
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases.copy()
        cases.loc[cases["schema_context"] == "DataFrameSchema", "column"] = None  # one finding a row, not a cell
        findings += len(cases[["index", "check", "column"]].drop_duplicates())
    return findings


def great_expectations(path: Path, contract: Contract, period: Period) -> int:
    """The training contract's rules as expectations (cross-field rules written out by hand:
    GE has no expectation for an arbitrary row expression)."""
    import great_expectations as gx

    if contract.kind != "training":
        raise ValueError("the Great Expectations peer knows the training contract's rules only")
    _, typed, findings = typed_frame(path, contract)
    typed = typed.reset_index()
    expect = gx.expectations
    suite = []
    for column in contract.columns:
        if column.codes:
            suite.append(expect.ExpectColumnValuesToBeInSet(column=column.name, value_set=list(column.codes)))
        if column.min is not None or column.max is not None:
            suite.append(expect.ExpectColumnValuesToBeBetween(
                column=column.name, min_value=column.min, max_value=column.max,
                strict_min=column.min_exclusive))  # fmt: skip
        if column.max_length is not None:
            suite.append(expect.ExpectColumnValueLengthsToBeBetween(column=column.name, max_value=column.max_length))
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    suite += [
        expect.ExpectColumnPairValuesAToBeGreaterThanB(column_A="end_date", column_B="start_date", or_equal=True,
                                                       ignore_row_if="either_value_is_missing"),
        expect.ExpectColumnValuesToBeBetween(column="end_date", min_value=start, max_value=end,
                                             row_condition='status!="ENROLLED"', condition_parser="pandas"),
        expect.ExpectColumnValuesToBeBetween(column="end_date", min_value=end, strict_min=True,
                                             row_condition='status=="ENROLLED"', condition_parser="pandas"),
        expect.ExpectColumnValuesToBeInSet(column="status", value_set=["COMPLETED", "FAILED"],
                                           row_condition="post_score.notna()", condition_parser="pandas"),
        expect.ExpectCompoundColumnsToBeUnique(column_list=list(contract.key), ignore_row_if="any_value_is_missing"),
    ]  # fmt: skip
    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("bench")
        .add_dataframe_asset("training")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": typed})
    )
    for expectation in suite:
        outcome = batch.validate(
            expectation, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row"]}
        )
        findings += int(outcome.result.get("unexpected_count") or 0)
        if isinstance(expectation, expect.ExpectCompoundColumnsToBeUnique):  # GE flags the first row of a key too
            rows = [entry["row"] for entry in outcome.result.get("unexpected_index_list", [])]
            findings -= len(typed[typed["row"].isin(rows)][list(contract.key)].drop_duplicates())
    return findings

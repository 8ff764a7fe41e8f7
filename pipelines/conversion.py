"""From raw cells to typed columns, keeping the text as sent for messages.

Each contract column becomes a typed pandas column (string, Int64, Float64, datetime64, boolean)
beside its raw text. A value that does not convert is VALUE_TYPE; an empty required value is
VALUE_REQUIRED. Types are converted here, before pandera sees the frame, so that one bad value
never turns a whole column into text (pandera's coerce=True would).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from pipelines.contracts import Column, Contract, rule_catalog
from pipelines.issues import Issue

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
_INTEGER = r"^[+-]?\d+(?:\.0+)?$"
_DECIMAL = r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$"


@dataclass
class TypedTable:
    typed: pd.DataFrame  # canonical columns, index = spreadsheet row number
    text: pd.DataFrame  # the same cells as text, as sent
    issues: list[Issue] = field(default_factory=list)


def cell_text(value) -> str:
    """A cell as the person sees it: Excel numbers without '.0', dates as ISO, text trimmed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def to_text(raw: pd.Series, all_text: bool = False) -> pd.Series:
    """`all_text`: every cell is already text or empty (CSV), so no cell needs looking at one by one."""
    if all_text:
        return raw.fillna("").astype("string").str.strip()
    return raw.map(cell_text).astype("string")


def _fold(text: pd.Series) -> pd.Series:
    """Lower case without accents ("Sí" -> "si"), column-wise."""
    return text.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii").str.lower()


def convert_column(raw: pd.Series, text: pd.Series, column: Column, all_text: bool = False) -> pd.Series:
    """Typed values; NA where the text is empty or does not convert."""
    empty = text == ""
    if column.type == "text":
        return text.mask(empty)
    if column.type == "code":
        return text.str.upper().mask(empty)
    if column.type == "integer":
        ok = text.str.match(_INTEGER)
        return pd.to_numeric(text.where(ok), errors="coerce").round().astype("Int64")
    if column.type == "decimal":
        ok = text.str.match(_DECIMAL)
        return pd.to_numeric(text.where(ok).str.replace(",", ".", regex=False), errors="coerce").astype("Float64")
    if column.type == "date":
        return _convert_dates(raw, text, all_text)
    if column.type == "boolean":
        catalog = rule_catalog()
        folded = _fold(text)
        result = pd.Series(pd.NA, index=text.index, dtype="boolean")
        result[folded.isin(catalog.true_words)] = True
        result[folded.isin(catalog.false_words)] = False
        return result
    raise ValueError(f"contract column {column.name} has unknown type {column.type!r}")


def _convert_dates(raw: pd.Series, text: pd.Series, all_text: bool) -> pd.Series:
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    native = pd.Series(False, index=raw.index) if all_text else raw.map(lambda v: isinstance(v, date))
    if native.any():
        result[native] = pd.to_datetime(
            raw[native].map(lambda v: v if isinstance(v, datetime) else datetime(v.year, v.month, v.day))
        )
        result[native] = result[native].dt.normalize()
    for fmt in DATE_FORMATS:
        todo = result.isna() & ~native & (text != "")
        if not todo.any():
            break
        result[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    return result


def convert_table(frame: pd.DataFrame, contract: Contract, all_text: bool = False) -> TypedTable:
    """`frame` holds the file's cells under canonical column names (missing optional columns absent);
    `all_text` says every cell is text or empty (a CSV), which lets whole columns be converted at once."""
    typed = pd.DataFrame(index=frame.index)
    text = pd.DataFrame(index=frame.index)
    issues: list[Issue] = []
    for column in contract.columns:
        if column.name not in frame:
            text[column.name] = pd.Series("", index=frame.index, dtype="string")
            typed[column.name] = _default_series(column, frame.index)
            continue
        raw = frame[column.name]
        col_text = to_text(raw, all_text)
        values = convert_column(raw, col_text, column, all_text)
        empty = col_text == ""
        if column.required:
            issues.extend(
                Issue("VALUE_REQUIRED", row=int(row), column=column.name, value="") for row in col_text.index[empty]
            )
        bad = ~empty & values.isna()
        issues.extend(
            Issue("VALUE_TYPE", row=int(row), column=column.name, value=str(col_text[row]))
            for row in col_text.index[bad]
        )
        if column.default is not None:
            values = values.mask(empty, column.default)
        text[column.name] = col_text
        typed[column.name] = values
    return TypedTable(typed=typed, text=text, issues=issues)


def _default_series(column: Column, index: pd.Index) -> pd.Series:
    dtype = {"text": "string", "code": "string", "integer": "Int64", "decimal": "Float64", "boolean": "boolean"}.get(
        column.type, "datetime64[us]"
    )
    if column.default is None:
        return pd.Series(pd.NA if dtype != "datetime64[us]" else np.datetime64("NaT"), index=index, dtype=dtype)
    return pd.Series(column.default, index=index, dtype=dtype)

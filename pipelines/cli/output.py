"""Query results as a table for people, CSV for spreadsheets, JSON (one array of objects) for scripts.

Every value DuckDB returns prints in every format (tests/cli/test_query_results.py runs DuckDB's
`test_all_types()`, the minimum, maximum and NULL of every type, through all three):

- table: numbers right-aligned; doubles to 4 decimals, in exponent form when that would hide them
  (1e+20, 1e-10), and inf, -inf, nan; NULL as NULL; True/False; dates and timestamps in ISO 8601
  (2026-05-02T10:00:00, +00:00 offsets, as Python's isoformat; inside a list or a struct as DuckDB
  writes them, 2026-05-02 10:00:00); blobs as DuckDB shows them (printable ASCII as is, other
  bytes and the quote and backslash characters as \\xNN); everything else as DuckDB's own text:
  lists and arrays [1, 2, NULL], structs {'a': 1}, maps {k=v}, intervals 1 month 2 days 03:00:00,
  infinite dates and timestamps infinity and -infinity, years past 9999 or BC as DuckDB writes
  them. Line breaks, tabs and other control characters in text show as \\n, \\t, \\xNN.
- csv: one cell per value, quoted as RFC 4180 says (a cell holding a comma, a double quote or a
  line break is in double quotes, its double quotes doubled; the empty string is "" so that it is
  not NULL, which is an empty cell); lines end with LF. The cells are the table's texts, except
  doubles, which keep every digit (Python's repr: 0.8333333333333334, 1e+20, inf, nan), and text,
  which is written as it is, except that a text beginning with =, +, -, @, a tab or a carriage
  return gets a leading apostrophe so that no spreadsheet runs it as a formula (OWASP, CSV injection).
- json: valid JSON (RFC 8259): NaN and Infinity, which JSON cannot hold, become null, and
  `render_result` returns a note naming the columns they were in (`ciess query` prints it on
  stderr). DECIMAL, HUGEINT, UHUGEINT and BIGNUM values are JSON numbers written with every digit
  (a reader that parses numbers as doubles rounds them; Python's json.loads(parse_float=Decimal)
  keeps them all). Blobs are base64 strings (RFC 4648; a blob nested inside a list or a struct is
  DuckDB's to_json text, \\xNN escapes). Lists and arrays are arrays, structs and maps objects
  (map keys as their text), unions {"tag": value}, JSON values themselves; dates and timestamps
  ISO 8601 strings as in the table (DuckDB's text where ISO has none: "infinity", BC years);
  times, intervals, UUIDs, bits and enums strings as in the table. A column name that appears
  twice is the second time name_1, as DuckDB names it in a subquery (with a note).
"""

from __future__ import annotations

import base64
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import click

from pipelines.common.spreadsheet_safe import inert
from pipelines.warehouse.queries import DuckText

FORMATS = ("table", "csv", "json")
# The --format of every command that prints rows (query, tables, describe).
FORMAT_OPTION = click.option(
    "--format", "output_format", type=click.Choice(FORMATS), default="table", show_default=True,
    help="table for reading, csv for spreadsheets, json for scripts.",
)  # fmt: skip


@dataclass
class Rendered:
    text: str
    notes: list[str] = field(default_factory=list)  # one line each, for stderr


def render(columns: list[str], rows: list[tuple], output_format: str) -> str:
    return render_result(columns, rows, output_format).text


def render_result(columns: list[str], rows: list[tuple], output_format: str) -> Rendered:
    if output_format == "json":
        return _json_document(columns, rows)
    if output_format == "csv":
        lines = [",".join(_csv_cell(c) for c in columns)]
        lines += [",".join(_csv_cell(_csv_text(v)) for v in row) for row in rows]
        return Rendered("".join(line + "\n" for line in lines))
    return Rendered(_table(columns, rows))


# table


def _table(columns: list[str], rows: list[tuple]) -> str:
    if not columns:  # a statement that returns nothing
        return "(0 rows)"
    heads = [_printable(c) for c in columns]
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([_width(h)] + [_width(row[i][0]) for row in cells]) for i, h in enumerate(heads)]
    lines = ["  ".join(_pad(h, w, right=False) for h, w in zip(heads, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(text, w, right) for (text, right), w in zip(row, widths, strict=True)) for row in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def _cell(value) -> tuple[str, bool]:
    """The text of a value in the table, and whether it is right-aligned (numbers)."""
    if value is None:
        return "NULL", False
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, float):
        return _float(value), True
    if isinstance(value, int | Decimal):
        return _decimal(value) if isinstance(value, Decimal) else str(value), True
    text = _printable(_text(value))
    return text, (isinstance(value, DuckText) and value.kind == "number") or _numeric(text)


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if abs(value) >= 1e16:
        return repr(value)
    if value == int(value):
        return str(int(value))
    if abs(value) < 0.00005:  # 4 decimals would show 0
        return f"{value:.4g}"
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _numeric(text: str) -> bool:
    return text.replace(".", "", 1).replace("-", "", 1).isdigit()


def _printable(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(ch, f"\\x{ord(ch):02X}") for ch in text
    )


def _width(text: str) -> int:
    """Columns on a terminal: wide characters (CJK, most emoji) take two, combining marks none."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


# text shared by the table and the CSV


def _text(value) -> str:
    if isinstance(value, DuckText):
        return _iso(value.text) if value.kind == "temporal" else value.text
    if isinstance(value, bytes | bytearray | memoryview):
        return _blob(bytes(value))
    if isinstance(value, datetime | date):  # values that did not come from `query` (the demo's own)
        return value.isoformat()
    if isinstance(value, Decimal):
        return _decimal(value)
    return str(value)


_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))?(?:([+-]\d\d)(:\d\d(?::\d\d)?)?)?")


def _iso(text: str) -> str:
    """DuckDB's '2026-05-02 10:00:00.5+00' as ISO 8601 '2026-05-02T10:00:00.500000+00:00', the form
    Python's isoformat() writes (what `ciess query` printed before); what ISO cannot write
    (infinity, years past 9999, BC) stays as DuckDB writes it."""
    match = _TIMESTAMP.fullmatch(text)
    if not match:
        return text
    day, time, fraction, hours, rest = match.groups()
    return (
        f"{day}T{time}"
        + (f".{fraction.ljust(6, '0')}" if fraction else "")
        + (f"{hours}{rest or ':00'}" if hours else "")
    )


def _blob(data: bytes) -> str:
    """As DuckDB casts a blob to text: printable ASCII as is, other bytes and " ' \\ as \\xNN."""
    return "".join(chr(b) if 32 <= b <= 126 and b not in b"\"'\\" else f"\\x{b:02X}" for b in data)


def _decimal(value: Decimal) -> str:
    return format(value, "f")


# CSV


def _csv_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):  # text from a submitted file must not run as a formula in a spreadsheet
        return inert(value)
    return _text(value)


def _csv_cell(text: str | None) -> str:
    if text is None:
        return ""
    if text == "" or any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


# JSON


class _Raw(str):
    """A JSON number as DuckDB wrote it, kept digit for digit."""


_NOT_A_NUMBER = object()  # NaN or Infinity in DuckDB's to_json
_JSON_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")


def _json_document(columns: list[str], rows: list[tuple]) -> Rendered:
    keys, notes = _keys(columns)
    lost: dict[int, int] = {}  # column -> values that were NaN/Infinity
    objects = []
    for row in rows:
        members = []
        for i, (key, value) in enumerate(zip(keys, row, strict=True)):
            members.append(f"{json.dumps(key, ensure_ascii=False)}:{_json(value, i, lost)}")
        objects.append("{" + ",".join(members) + "}")
    if lost:
        parts = [f"{n} value{'s' if n != 1 else ''} in column {columns[i]}" for i, n in sorted(lost.items())]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        notes.append(f"note: {listed} {'were' if sum(lost.values()) != 1 else 'was'} NaN/Infinity and "
                     f"{'are' if sum(lost.values()) != 1 else 'is'} null in the JSON")  # fmt: skip
    return Rendered("[" + ",".join(objects) + "]", notes)


def _keys(columns: list[str]) -> tuple[list[str], list[str]]:
    """Column names as JSON keys, each once: a repeated name becomes name_1, name_2 (as DuckDB does)."""
    keys, seen, notes = [], set(columns), []
    for i, name in enumerate(columns):
        key, n = name, 0
        while key in keys or (key != name and key in seen):
            n += 1
            key = f"{name}_{n}"
        if key != name:
            notes.append(f"note: column {i + 1} is a second {name}; the JSON calls it {key}")
        keys.append(key)
    return keys, notes


def _json(value, column: int, lost: dict[int, int]) -> str:
    if value is None:
        return "null"
    if value is _NOT_A_NUMBER or (isinstance(value, float) and not math.isfinite(value)):
        lost[column] = lost.get(column, 0) + 1
        return "null"
    if isinstance(value, _Raw):
        return str.__str__(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return _decimal(value) if value.is_finite() else "null"
    if isinstance(value, str) and not isinstance(value, DuckText):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes | bytearray | memoryview):
        return json.dumps(base64.b64encode(bytes(value)).decode("ascii"))
    if isinstance(value, dict):
        value = _Pairs(value.items())
    if isinstance(value, _Pairs):
        return "{" + ",".join(f"{_json(str(k), column, lost)}:{_json(v, column, lost)}" for k, v in value) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_json(item, column, lost) for item in value) + "]"
    if isinstance(value, DuckText):
        if value.kind == "nested" and value.json is not None:
            try:
                tree = json.loads(
                    value.json, parse_float=_Raw, parse_int=_Raw, parse_constant=lambda _: _NOT_A_NUMBER,
                    object_pairs_hook=_Pairs,
                )  # fmt: skip
            except ValueError:
                return json.dumps(value.text, ensure_ascii=False)
            return _json(tree, column, lost)
        if value.kind == "number" and _JSON_NUMBER.fullmatch(value.text):
            return value.text
        return json.dumps(_text(value), ensure_ascii=False)
    return json.dumps(_text(value), ensure_ascii=False)


class _Pairs(list):
    """A JSON object's members in order, repeated names kept (object_pairs_hook)."""

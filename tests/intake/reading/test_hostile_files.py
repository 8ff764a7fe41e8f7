"""Hostile and damaged files (issue "Hostile input"): each gets a receipt, never a traceback; a
sheet's false `<dimension>` neither drops rows nor pads them; a part that would inflate in memory is
refused before openpyxl reads it. Real files, built by rewriting the parts of a real workbook."""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pipelines.contract.model import load_contract
from tests.conftest import EXAMPLES, read_issues_csv

SHEET = "xl/worksheets/sheet1.xml"


def valid_rows() -> list[list[str]]:
    with open(EXAMPLES["staffing"] / "valid.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = load_contract("staffing").sheet_names[0]
    for row in valid_rows():
        sheet.append(row)
    book.save(path)
    return path


def _replace_part(good: Path, target: Path, part: str, data: bytes) -> Path:
    with zipfile.ZipFile(good) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            copy.writestr(info.filename, data if info.filename == part else original.read(info))
        if part not in original.namelist():  # an extra part: every XML part is looked at, referenced or not
            copy.writestr(part, data)
    return target


def with_dimension(ref: str):
    return lambda xml: re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), xml)


@pytest.mark.parametrize("ref", ["A1:G3", "A1", "A1:XFD1048576"])
def test_a_false_dimension_neither_drops_nor_pads_rows(ciess, tmp_path, ref):
    good = workbook(tmp_path / "good.xlsx")
    with zipfile.ZipFile(good) as archive:
        sheet = with_dimension(ref)(archive.read(SHEET))
    lying = _replace_part(good, tmp_path / "lying.xlsx", SHEET, sheet)
    submitted = ciess.submit(lying, kind="staffing")
    assert submitted.receipt["status"] == "ACCEPTED", submitted.receipt["issues"][:3]
    assert submitted.receipt["rows"] == len(valid_rows()) - 1  # every data row, whatever the sheet claims


BROKEN = b"<?xml version='1.0'?><broken><unclosed></broken>"


@pytest.mark.parametrize(
    "part",
    ["xl/workbook.xml", "xl/styles.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
     "xl/sharedStrings.xml", "docProps/core.xml", "_rels/.rels"],
)  # fmt: skip
def test_broken_xml_in_any_part_gets_a_receipt(ciess, tmp_path, part):
    damaged = _replace_part(workbook(tmp_path / "good.xlsx"), tmp_path / "damaged.xlsx", part, BROKEN)
    submitted = ciess.submit(damaged, kind="staffing")
    assert submitted.exit_code == 1 and submitted.receipt["status"] == "REJECTED"
    (issue,) = submitted.receipt["issues"]
    assert issue["rule"] == "FILE_FORMAT" and part in issue["message"]


def test_a_cell_that_inflates_is_refused_before_it_is_read(ciess, tmp_path):
    good = workbook(tmp_path / "good.xlsx")
    opening = b"<?xml version='1.0'?><sst xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main'><si><t>"
    huge = opening + b"A" * (64 << 20) + b"</t></si></sst>"
    bomb = _replace_part(good, tmp_path / "bomb.xlsx", "xl/sharedStrings.xml", huge)
    assert bomb.stat().st_size < 1 << 20  # a small file that unpacks to 64 MB
    submitted = ciess.submit(bomb, kind="staffing")
    assert submitted.receipt["status"] == "REJECTED"
    (issue,) = submitted.receipt["issues"]
    assert issue["rule"] == "FILE_FORMAT" and "32,767" in issue["message"]


def test_a_sheet_of_whitespace_is_refused_before_it_is_read(ciess, tmp_path):
    good = workbook(tmp_path / "good.xlsx")
    with zipfile.ZipFile(good) as archive:
        sheet = archive.read(SHEET)
    padded = sheet.replace(b"<sheetData>", b"<sheetData>" + b" " * (64 << 20))
    spaced = _replace_part(good, tmp_path / "spaces.xlsx", SHEET, padded)
    submitted = ciess.submit(spaced, kind="staffing")
    assert submitted.receipt["status"] == "REJECTED" and "32,767" in submitted.receipt["issues"][0]["message"]


def test_entity_declarations_are_refused(ciess, tmp_path):
    good = workbook(tmp_path / "good.xlsx")
    laughs = (
        b"<?xml version='1.0'?><!DOCTYPE sst [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;'>]>"
        b"<sst xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main'><si><t>&b;</t></si></sst>"
    )
    hostile = _replace_part(good, tmp_path / "laughs.xlsx", "xl/sharedStrings.xml", laughs)
    submitted = ciess.submit(hostile, kind="staffing")
    assert submitted.receipt["status"] == "REJECTED"
    assert "entity declaration in xl/sharedStrings.xml" in submitted.receipt["issues"][0]["message"]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_a_quote_that_never_closes_gets_a_receipt(ciess, tmp_path, encoding):
    header, first, *rest = (EXAMPLES["staffing"] / "valid.csv").read_text(encoding="utf-8").splitlines()
    text = "\n".join([header, '"' + first.replace("LEGAL", "LÉGAL"), *rest]) + "\n"
    path = tmp_path / "quote.csv"
    path.write_bytes(text.encode(encoding))
    submitted = ciess.submit(path, kind="staffing")
    assert submitted.exit_code == 1 and submitted.receipt["status"] == "REJECTED"
    (issue,) = submitted.receipt["issues"]
    assert issue["rule"] == "FILE_FORMAT" and "nunca se cierra" in issue["message"]  # AR-ANSES reads Spanish


FORMULAS = ['=HYPERLINK("http://example.com","x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]


def test_values_that_a_spreadsheet_would_run_are_written_inert(ciess, tmp_path):
    header, first = (EXAMPLES["staffing"] / "valid.csv").read_text(encoding="utf-8").splitlines()[:2]
    rows = [first.split(",") for _ in FORMULAS]
    for row, formula in zip(rows, FORMULAS, strict=True):
        row[1] = formula  # the sex code: CODE_UNKNOWN names the value
    path = tmp_path / "formulas.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header.split(","), *rows])
    submitted = ciess.submit(path, kind="staffing")
    assert submitted.receipt["status"] == "REJECTED"
    issues_path = next((ciess.home / "archive").glob("*/*/*/issues.csv"))
    values = [record["value"] for record in read_issues_csv(issues_path, "es") if record["rule"] == "CODE_UNKNOWN"]
    assert sorted(values) == sorted("'" + formula for formula in FORMULAS)


def _damage_deflate(path: Path, part: str) -> Path:
    """The part's compressed bytes overwritten where they start: an invalid deflate block, as a
    broken transfer or disk leaves, with the ZIP's tables intact."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(part)
    data = bytearray(path.read_bytes())
    name_length = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_length = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length
    data[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("part", [SHEET, "xl/workbook.xml", "xl/styles.xml"])
def test_a_damaged_deflate_stream_gets_a_receipt(ciess, tmp_path, part):
    damaged = _damage_deflate(workbook(tmp_path / "damaged.xlsx"), part)
    submitted = ciess.submit(damaged, kind="staffing")
    assert submitted.exit_code == 1 and submitted.receipt["status"] == "REJECTED"
    (issue,) = submitted.receipt["issues"]
    assert issue["rule"] == "FILE_FORMAT" and part in issue["message"]


def _widened_csv(path: Path, tail: str, on_row: int | None = None) -> Path:
    lines = (EXAMPLES["staffing"] / "valid.csv").read_text(encoding="utf-8").splitlines()
    out = [line + (tail if on_row in (None, number) else "") for number, line in enumerate(lines, start=1)]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("on_row", [None, 1, 3], ids=["every row", "the header", "one data row"])
def test_rows_of_40000_trailing_delimiters_are_read_as_the_rows_they_are(ciess, tmp_path, on_row):
    wide = _widened_csv(tmp_path / "wide.csv", "," * 40_000, on_row)
    submitted = ciess.submit(wide, kind="staffing")
    assert submitted.receipt["status"] == "ACCEPTED", submitted.receipt["issues"][:3]
    assert submitted.receipt["rows"] == len(valid_rows()) - 1


def test_a_value_beyond_the_thousandth_column_refuses_the_file(ciess, tmp_path):
    far = _widened_csv(tmp_path / "far.csv", "," * 1_500 + "x", on_row=4)
    submitted = ciess.submit(far, kind="staffing")
    assert submitted.exit_code == 1 and submitted.receipt["status"] == "REJECTED"
    (issue,) = submitted.receipt["issues"]
    column = len(valid_rows()[3]) + 1_500
    in_spanish = f"{column:,}".replace(",", ".")  # AR-ANSES reads Spanish, thousands with a point
    assert issue["rule"] == "FILE_FORMAT" and f"la fila 4 tiene un valor en la columna {in_spanish}" in issue["message"]

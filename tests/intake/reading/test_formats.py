"""Every accepted form of the same training file gives the same accepted rows in the lake:
encodings, delimiters, line ends, decimal commas, date forms, localised headers, XLSX."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipelines.contract.model import load_contract
from tests.conftest import EXAMPLES


def _valid_rows() -> tuple[list[str], list[list[str]]]:
    with open(EXAMPLES["training"] / "valid.csv", encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    return records[0], records[1:]


def _localised(header: list[str], lang: str) -> list[str]:
    contract = load_contract("training")
    return [contract.column(name).label(lang) for name in header]


def _dmy(text: str, sep: str) -> str:
    return datetime.strptime(text, "%Y-%m-%d").strftime(f"%d{sep}%m{sep}%Y") if text else text


def _write_csv(path: Path, header, rows, delimiter=",", encoding="utf-8", newline="\n", decimal=".", dates=None):
    contract = load_contract("training")
    types = {column.name: column.type for column in contract.columns}
    names = _valid_rows()[0]
    out = []
    for row in rows:
        cells = []
        for name, cell in zip(names, row, strict=True):
            if types[name] == "decimal" and decimal == ",":
                cell = cell.replace(".", ",")
            if types[name] == "date" and dates:
                cell = _dmy(cell, dates)
            cells.append(cell)
        out.append(cells)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(out)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _variants(tmp: Path) -> dict[str, Path]:
    header, rows = _valid_rows()
    return {
        "utf8-comma-lf": _write_csv(tmp / "a.csv", header, rows),
        "utf8-bom-crlf": _write_csv(tmp / "b.csv", header, rows, encoding="utf-8-sig", newline="\r\n"),
        "cp1252-semicolon-decimal-comma-es": _write_csv(
            tmp / "c.csv", _localised(header, "es"), rows, ";", "cp1252", "\r\n", ",", "/"
        ),
        "latin1-tab-pt": _write_csv(tmp / "d.csv", _localised(header, "pt"), rows, "\t", "latin-1", dates="-"),
        "utf8-semicolon-fr-upper": _write_csv(
            tmp / "e.csv", [h.upper() for h in _localised(header, "fr")], rows, ";", decimal=","
        ),
        "xlsx-title-rows": _write_xlsx(tmp / "f.xlsx", header, rows, title_rows=True),
        "xlsx-named-sheet-second": _write_xlsx(tmp / "g.xlsx", _localised(header, "es"), rows, sheet_first=False),
    }


def _write_xlsx(path: Path, header, rows, title_rows=False, sheet_first=True):
    contract = load_contract("training")
    types = [contract.column(name).type for name in _valid_rows()[0]]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if not sheet_first:
        sheet.title = "Instrucciones"
        sheet.append(["Complete la hoja 'training'"])
        sheet = workbook.create_sheet("training")
    if title_rows:
        sheet.append(["Informe trimestral de capacitación - 2026-Q2"])
        sheet.append([])
    sheet.append(header)
    for row in rows:
        cells = []
        for kind, cell in zip(types, row, strict=True):
            if cell == "":
                cells.append(None)
            elif kind == "date":
                cells.append(datetime.strptime(cell, "%Y-%m-%d"))
            elif kind == "decimal":
                cells.append(float(cell))
            else:
                cells.append(cell)
        sheet.append(cells)
    workbook.save(path)
    return path


def _lake_rows(home: Path, version: int) -> pd.DataFrame:
    (path,) = sorted((home / "lake" / "training").rglob(f"version={version}/*.parquet"))
    return pd.read_parquet(path).drop(columns=["submission_id", "source_row"])


@pytest.mark.parametrize("variant", [
    "utf8-comma-lf", "utf8-bom-crlf", "cp1252-semicolon-decimal-comma-es", "latin1-tab-pt",
    "utf8-semicolon-fr-upper", "xlsx-title-rows", "xlsx-named-sheet-second",
])  # fmt: skip
def test_every_accepted_form_gives_the_same_rows(roster_accepted, tmp_path, variant):
    reference = roster_accepted.submit(EXAMPLES["training"] / "valid.csv")
    assert reference.receipt["status"] == "ACCEPTED"
    result = roster_accepted.submit(_variants(tmp_path)[variant])
    assert (result.exit_code, result.receipt["status"], result.receipt["rule_counts"]) == (0, "ACCEPTED", {})
    assert (result.receipt["rows"], result.receipt["version"]) == (6, 2)
    pd.testing.assert_frame_equal(_lake_rows(roster_accepted.home, 2), _lake_rows(roster_accepted.home, 1))


def test_embedded_newline_in_quoted_field_is_one_row(roster_accepted):
    result = roster_accepted.submit(EXAMPLES["training"] / "invalid-KEY_DUPLICATE.csv")
    (issue,) = result.receipt["issues"]
    # the record with "Atención al público,\nbuenas prácticas" spans two lines but is spreadsheet row 7
    assert issue["row"] == 8 and issue["rule"] == "KEY_DUPLICATE"
    assert "2" in issue["message"]  # names the first row with the same key


def test_xlsx_row_numbers_are_the_sheet_rows(roster_accepted, tmp_path):
    header, rows = _valid_rows()
    rows[2][4] = "ONLINE"  # modality of the third data row
    path = _write_xlsx(tmp_path / "title.xlsx", header, rows, title_rows=True)
    result = roster_accepted.submit(path)
    (issue,) = result.receipt["issues"]
    assert (issue["rule"], issue["row"], issue["column"]) == ("CODE_UNKNOWN", 6, "modality")


def test_mixed_utf8_and_cp1252_is_an_encoding_error(ciess, tmp_path):
    valid = (EXAMPLES["training"] / "valid.csv").read_bytes()
    mixed = valid + "E0009,X-1,Formación en gestión,CIESS,VIRTUAL,OTHER,2026-04-01,2026-04-02,2,COMPLETED,,,,\n".encode(
        "cp1252"
    )
    path = tmp_path / "mixed.csv"
    path.write_bytes(mixed)
    result = ciess.submit(path)
    assert result.exit_code == 1 and result.receipt["rule_counts"] == {"FILE_ENCODING": 1}


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"", "FILE_EMPTY"),
        (b"\n\n  \n", "FILE_EMPTY"),
        (b"%PDF-1.4 not a table", "FILE_FORMAT"),
        (b"PK\x03\x04 broken zip", "FILE_FORMAT"),
        (b"staff_id,activity_code\x00\x01\x02", "FILE_FORMAT"),
    ],
)
def test_unreadable_files_are_refused_whole(ciess, tmp_path, content, rule):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    result = ciess.submit(path)
    assert result.exit_code == 1 and result.receipt["rule_counts"] == {rule: 1}
    assert result.receipt["issues"][0]["row"] is None


def test_file_over_the_size_limit_is_refused(ciess, tmp_path, monkeypatch):
    monkeypatch.setenv("CIESS_MAX_UPLOAD_MB", "1")
    path = tmp_path / "big.csv"
    path.write_bytes((EXAMPLES["training"] / "valid.csv").read_bytes() * 2500)
    result = ciess.submit(path)
    assert result.exit_code == 1 and result.receipt["rule_counts"] == {"FILE_TOO_LARGE": 1}
    assert "1 MB" in result.receipt["issues"][0]["message"] or "1 Mo" in result.receipt["issues"][0]["message"]

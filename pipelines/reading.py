"""Reading a submitted file into a raw table: format, encoding, delimiter and header row are
detected, never asked for. Values stay as sent (text, or Excel's own cell values) so that every
message can quote them; typing happens in pipelines.typing_.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import charset_normalizer
import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from pipelines.contracts import Contract, normalise_header

DELIMITERS = (",", ";", "\t")
HEADER_SEARCH_ROWS = 30
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]{1,3}")
_MAGIC = {
    b"%PDF": "PDF document",
    b"\xd0\xcf\x11\xe0": "old Excel 97-2003 (.xls) or other Office binary file",
    b"\x1f\x8b": "gzip archive",
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"Rar!": "RAR archive",
    b"7z\xbc\xaf": "7-Zip archive",
}


class FileRefused(Exception):
    """The file as a whole cannot be read; `rule` is the spec's file-level rule code."""

    def __init__(self, rule: str, **details: Any):
        super().__init__(f"{rule}: {details}")
        self.rule = rule
        self.details = details


@dataclass
class RawTable:
    headers: list[str]
    header_row: int
    rows: list[list[Any]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


def read_submission(path: Path, contract: Contract) -> RawTable:
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, contract)
    for magic, description in _MAGIC.items():
        if head.startswith(magic):
            raise FileRefused("FILE_FORMAT", detail=description)
    data = path.read_bytes()
    text, encoding = decode_text(data)
    return _read_csv_text(text, encoding, contract)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode as UTF-8 (with or without BOM), else Windows-1252 or Latin-1 when the detector agrees."""
    if not data.strip():
        raise FileRefused("FILE_EMPTY")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data):
        raise FileRefused("FILE_ENCODING", detail='UTF-16 text, as Excel\'s "Unicode text" saves it')
    if b"\x00" in data:
        raise FileRefused("FILE_FORMAT", detail="binary content")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    if _mixes_utf8(data):
        raise FileRefused(
            "FILE_ENCODING",
            detail=f"UTF-8 and Windows-1252 text mixed in one file (byte {utf8_error.start + 1})",
        )
    match = charset_normalizer.from_bytes(data, cp_isolation=["cp1252", "latin_1"]).best()
    if match is None:
        raise FileRefused("FILE_ENCODING", detail=f"not UTF-8, Windows-1252 or Latin-1 (byte {utf8_error.start + 1})")
    encoding = "windows-1252" if match.encoding == "cp1252" else "latin-1"
    return data.decode("cp1252" if encoding == "windows-1252" else "latin-1"), encoding


def _looks_utf16(data: bytes) -> bool:
    sample = data[:4000]
    return len(sample) >= 4 and (sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4)


def _mixes_utf8(data: bytes) -> bool:
    """Valid UTF-8 sequences in a file that is not UTF-8 mean two encodings were mixed."""
    for match in _UTF8_SEQUENCE.finditer(data):
        try:
            match.group().decode("utf-8")
            return True
        except UnicodeDecodeError:
            continue
    return False


def _read_csv_text(text: str, encoding: str, contract: Contract) -> RawTable:
    best: tuple[int, str] | None = None
    for delimiter in DELIMITERS:
        head = _csv_records(text, delimiter, limit=HEADER_SEARCH_ROWS)
        score = max((_header_matches(record, contract) for record in head), default=0)
        if best is None or score > best[0]:
            best = (score, delimiter)
    delimiter = best[1] if best and best[0] > 0 else _sniff_delimiter(text)
    records = _csv_records(text, delimiter)
    table = _table_from_records(records, contract)
    table.format, table.encoding, table.delimiter = "csv", encoding, delimiter
    return table


def _csv_records(text: str, delimiter: str, limit: int | None = None) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    try:
        for record in reader:
            records.append(record)
            if limit is not None and len(records) >= limit:
                break
    except csv.Error as error:
        if limit is None:
            raise FileRefused("FILE_FORMAT", detail=f"CSV could not be parsed: {error}") from error
    return records


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        first = next((line for line in text.splitlines() if line.strip()), "")
        return max(DELIMITERS, key=first.count)


def _header_matches(record: list[Any], contract: Contract) -> int:
    index = contract.header_index
    return sum(1 for cell in record if cell is not None and normalise_header(cell) in index)


def _is_blank(record: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in record)


def _table_from_records(records: list[list[Any]], contract: Contract) -> RawTable:
    """Find the header row (title rows above it are skipped) and keep the data rows below it."""
    non_blank = [(number, record) for number, record in enumerate(records, start=1) if not _is_blank(record)]
    if not non_blank:
        raise FileRefused("FILE_EMPTY")
    candidates = non_blank[:HEADER_SEARCH_ROWS]
    scored = [(_header_matches(record, contract), number, record) for number, record in candidates]
    best_score = max(score for score, _, _ in scored)
    if best_score >= 2:
        header_number, header = next((number, record) for score, number, record in scored if score == best_score)
    else:
        header_number, header = candidates[0]
    headers = ["" if cell is None else str(cell).strip() for cell in header]
    table = RawTable(headers=headers, header_row=header_number)
    for number, record in non_blank:
        if number > header_number:
            table.rows.append(list(record))
            table.row_numbers.append(number)
    if not table.rows:
        raise FileRefused("FILE_EMPTY")
    return table


def _read_xlsx(path: Path, contract: Contract) -> RawTable:
    with open(path, "rb") as handle:  # a file object: openpyxl would judge a path by its extension
        return _read_workbook(handle, contract)


def _read_workbook(handle, contract: Contract) -> RawTable:
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise FileRefused("FILE_FORMAT", detail="a ZIP file that is not an Excel workbook") from error
    try:
        wanted = {normalise_header(name) for name in contract.sheet_names}
        sheet = next(
            (ws for ws in workbook.worksheets if normalise_header(ws.title) in wanted),
            workbook.worksheets[0] if workbook.worksheets else None,
        )
        if sheet is None:
            raise FileRefused("FILE_EMPTY")
        try:
            records = [list(row) for row in sheet.iter_rows(min_row=1, values_only=True)]
        except Exception as error:  # a damaged sheet: any parser error means the workbook cannot be read
            raise FileRefused("FILE_FORMAT", detail="a damaged Excel workbook") from error
    finally:
        workbook.close()
    table = _table_from_records(records, contract)
    table.format, table.sheet = "xlsx", sheet.title
    return table

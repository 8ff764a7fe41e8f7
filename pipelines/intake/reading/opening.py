"""Opening a submission: how the file is written (format, encoding, delimiter, header row) is
detected from its head, and the `Source` to read it from is made."""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

from pipelines.contract.model import Contract
from pipelines.intake.reading.detection import (
    DELIMITERS,
    MAGIC,
    looks_utf16,
    python_codec,
    refuse_binary,
    refuse_binary_file,
    sniff_delimiter,
    whole_file_encoding,
)
from pipelines.intake.reading.errors import FileRefused, refused
from pipelines.intake.reading.header_row import HEADER_SEARCH_ROWS, find_header, header_matches, numbered
from pipelines.intake.reading.polars_csv import read_in_pieces
from pipelines.intake.reading.source import Source
from pipelines.intake.reading.xlsx import sheet_rows, submission_sheet, workbook
from pipelines.intake.reading.xlsx_guard import check_workbook

HEAD_BYTES = 1 << 20  # what is looked at to guess the encoding and find the header


def open_submission(path: Path, contract: Contract) -> Source:
    """Detect how the file is written, from its head (the encoding is checked again on the whole
    file if a later byte contradicts the guess)."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(path, contract)
    for magic, description in MAGIC.items():
        if head.startswith(magic):
            raise refused("FILE_FORMAT", description)
    if not head.strip() and len(head) < HEAD_BYTES:
        raise FileRefused("FILE_EMPTY")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or looks_utf16(head):
        raise refused("FILE_ENCODING", "utf16")
    refuse_binary(head)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        refuse_binary_file(path)
        source = _open_csv(path, whole_file_encoding(path), contract)
        source.encoding_decided = True
        return source
    source = _open_csv(path, "utf-8", contract)  # a guess from the head, checked as the file is read
    if not read_in_pieces(source):
        refuse_binary_file(path)
    return source


def _open_csv(path: Path, encoding: str, contract: Contract) -> Source:
    """Choose the delimiter that makes the most header cells match the contract, find the header
    row, and note the byte where the data records start; all from the file's head."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    codec = python_codec(encoding)
    head_text = codecs.getincrementaldecoder(codec)(errors="replace").decode(head, final=False)
    best: tuple[int, str] | None = None
    for delimiter in DELIMITERS:
        records = _csv_records(io.StringIO(head_text, newline=""), delimiter, HEADER_SEARCH_ROWS)
        score = max((header_matches(record, contract) for record in records), default=0)
        if best is None or score > best[0]:
            best = (score, delimiter)
    delimiter = best[1] if best and best[0] > 0 else sniff_delimiter(head_text)
    reader = csv.reader(io.StringIO(head_text, newline=""), delimiter=delimiter)
    header_row, headers = find_header(numbered(reader, limit_non_blank=HEADER_SEARCH_ROWS), contract)
    lines = _Counted(io.StringIO(head_text, newline=""))
    reader = csv.reader(lines, delimiter=delimiter)
    for _ in range(header_row):
        next(reader)
    bom = 3 if head.startswith(codecs.BOM_UTF8) and encoding == "utf-8" else 0
    data_offset = bom + len(lines.consumed.encode(codec.removesuffix("-sig")))
    return Source(
        path,
        headers,
        header_row,
        "csv",
        encoding,
        delimiter,
        data_offset=data_offset,
        lines_before_data=head[:data_offset].count(b"\n"),
        lone_carriage_returns=re.search(rb"\r(?!\n)", head) is not None,
    )


class _Counted:
    """Lines of a text, keeping what has been handed out (to find where a record ends)."""

    def __init__(self, stream: io.StringIO):
        self.stream, self.consumed = stream, ""

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.stream.readline()
        if not line:
            raise StopIteration
        self.consumed += line
        return line


def _csv_records(stream: io.StringIO, delimiter: str, limit: int) -> list[list[str]]:
    records = []
    try:
        for record in csv.reader(stream, delimiter=delimiter):
            records.append(record)
            if len(records) >= limit:
                break
    except csv.Error:
        pass  # a head cut in the middle of a quoted value: what was read is enough to score
    return records


def _open_xlsx(path: Path, contract: Contract) -> Source:
    check_workbook(path)
    with workbook(path) as book:
        sheet = submission_sheet(book, contract.sheet_names)
        header_row, headers = find_header(numbered(sheet_rows(sheet), limit_non_blank=HEADER_SEARCH_ROWS), contract)
        return Source(path, headers, header_row, "xlsx", sheet=sheet.title)

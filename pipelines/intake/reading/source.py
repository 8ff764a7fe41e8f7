"""Reading a submitted file as a stream of raw batches: format, encoding, delimiter and header row
are detected, never asked for. Cells stay as sent (trimmed text) so that every message can quote
them; typing happens in pipelines.intake.checking.conversion.

A batch is a polars frame: `row` (the spreadsheet row number: the header is row 1 when it is the
first record, blank records are skipped but keep their numbers, a quoted value spanning lines is
one record) and `c0`, `c1`... the file's columns by position, as text, "" when empty. Batches are
bounded in rows, so a file of any size is read in bounded memory.

CSV files are read by a multi-threaded reader (polars for UTF-8, Arrow for Windows-1252 and Latin-1)
while every record fits the header; from the first record wider than the header (or a byte that
contradicts the encoding guessed from the head) Python's csv module takes over, numbering records
the same way and keeping the cells right of the header. XLSX sheets are streamed by openpyxl.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import charset_normalizer
import numpy as np
import openpyxl
import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv
from openpyxl.utils.exceptions import InvalidFileException

from pipelines.contract.model import Contract, normalise_header

DELIMITERS = (",", ";", "\t")
HEADER_SEARCH_ROWS = 30
HEAD_BYTES = 1 << 20  # what is looked at to guess the encoding and find the header
SAMPLE_BYTES = 4 << 20  # what the encoding detector reads of a file that is not UTF-8
ARROW_BLOCK_BYTES = 16 << 20
CHUNK_BYTES = 8 << 20  # what polars parses at a time
LONGEST_PIECE = 8 * CHUNK_BYTES  # no line break outside quotes within this: Python's reader goes on
# A cell as long as a piece is read, by Python's reader too (its own limit is 128 KiB): a long
# cell is then a VALUE_RANGE on its column, whichever reader meets it, not a broken file.
csv.field_size_limit(LONGEST_PIECE)
# What Python's str.strip() removes (str.isspace), so that every reader trims cells alike.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
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


class EncodingGuessWrong(Exception):
    """A byte beyond the head contradicts the encoding guessed from it."""


class FileRefused(Exception):
    """The file as a whole cannot be read; `rule` is the spec's file-level rule code."""

    def __init__(self, rule: str, **details: Any):
        super().__init__(f"{rule}: {details}")
        self.rule = rule
        self.details = details


@dataclass
class Source:
    """An opened submission: what was detected, and its data rows as batches."""

    path: Path
    headers: list[str]
    header_row: int
    format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    data_offset: int = 0  # CSV: byte where the first record after the header starts
    lines_before_data: int = 0  # CSV: line ends before that byte
    lone_carriage_returns: bool = False  # CSV: lines end with a bare CR (old Mac files)
    encoding_decided: bool = False  # CSV: from the whole file, not guessed from the head

    def batches(self, batch_rows: int) -> Iterator[pl.DataFrame]:
        """The data rows (non-blank, cells trimmed), at most `batch_rows` a batch."""
        for batch in self.lazy_batches(batch_rows):
            frame = batch.collect()
            if frame.height:
                yield frame

    def lazy_batches(self, batch_rows: int, trimmed: bool = True) -> Iterator[pl.LazyFrame]:
        """The same batches as plans, so that what is computed from the cells runs in one pass
        with the reading (a batch of the fast reader may come out empty: blank records only).
        With `trimmed=False` the fast reader leaves whitespace at the ends of cells and keeps
        blank records (empty cells), for a consumer that trims only what it needs."""
        if self.format == "xlsx":
            return (batch.lazy() for batch in _rebatch(_xlsx_chunks(self), batch_rows))
        return _csv_batches(self, batch_rows, trimmed)

    def sample(self, rows: int) -> pl.DataFrame:
        """The first `rows` non-blank data rows (cells only)."""
        try:
            first = self._first_chunk(rows)
        except EncodingGuessWrong:
            self.decide_encoding()
            first = self._first_chunk(rows)
        if first is None:
            return pl.DataFrame(schema={"row": pl.Int64, **{f"c{i}": pl.String for i in range(len(self.headers))}})
        return first

    def decide_encoding(self) -> None:
        """The encoding from every byte of the file (refuses a file that mixes encodings, or that
        holds a NUL byte: the reader it chooses does not look for one)."""
        _refuse_binary_file(self.path)
        self.encoding = _whole_file_encoding(self.path)
        self.encoding_decided = True

    def _first_chunk(self, rows: int) -> pl.DataFrame | None:
        if self.format == "xlsx":
            chunks = _xlsx_chunks(self, chunk_rows=rows)
        else:
            chunks = _python_chunks(self, after_row=self.header_row, chunk_rows=rows)
        try:
            return next(chunks, None)
        finally:
            chunks.close()


def cell_text(value: Any) -> str:
    """A cell as the person sees it: Excel numbers without '.0', dates as ISO, text trimmed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):  # a date cell shows its date, whatever time it holds
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    return str(value).strip()


def open_submission(path: Path, contract: Contract) -> Source:
    """Detect how the file is written, from its head (the encoding is checked again on the whole
    file if a later byte contradicts the guess)."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(path, contract)
    for magic, description in _MAGIC.items():
        if head.startswith(magic):
            raise FileRefused("FILE_FORMAT", detail=description)
    if not head.strip() and len(head) < HEAD_BYTES:
        raise FileRefused("FILE_EMPTY")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(head):
        raise FileRefused("FILE_ENCODING", detail='UTF-16 text, as Excel\'s "Unicode text" saves it')
    _refuse_binary(head)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        _refuse_binary_file(path)
        source = _open_csv(path, _whole_file_encoding(path), contract)
        source.encoding_decided = True
        return source
    source = _open_csv(path, "utf-8", contract)  # a guess from the head, checked as the file is read
    if not _read_in_pieces(source):
        _refuse_binary_file(path)
    return source


# A NUL byte anywhere refuses the file. The pieces the fast reader reads are checked as they are
# read; a file read otherwise is checked whole before (reading it twice cost 0.15 s at 5M rows).
def _refuse_binary(data: bytes) -> None:
    if b"\x00" in data:
        raise FileRefused("FILE_FORMAT", detail="binary content")


def _refuse_binary_file(path: Path) -> None:
    with open(path, "rb") as handle:  # in pieces: a memory map would count the whole file as resident
        for piece in iter(lambda: handle.read(CHUNK_BYTES), b""):
            _refuse_binary(piece)


def _read_in_pieces(source: Source) -> bool:
    """Whether the file is read by `_polars_pieces` (until a record it cannot read)."""
    return source.encoding == "utf-8" and not source.lone_carriage_returns


def _looks_utf16(data: bytes) -> bool:
    sample = data[:4000]
    return len(sample) >= 4 and (sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4)


def _whole_file_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 or Latin-1 when the detector agrees; a file
    that mixes UTF-8 with another encoding is refused."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    first_bad: int | None = None
    with open(path, "rb") as handle:
        while chunk := handle.read(16 << 20):
            try:
                decoder.decode(chunk, final=False)
            except UnicodeDecodeError as error:
                first_bad = offset + error.start
                break
            offset += len(chunk)
        else:
            try:
                decoder.decode(b"", final=True)
                return "utf-8"
            except UnicodeDecodeError:
                first_bad = offset
    if _mixes_utf8(path):
        raise FileRefused(
            "FILE_ENCODING", detail=f"UTF-8 and Windows-1252 text mixed in one file (byte {first_bad + 1})"
        )
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    match = charset_normalizer.from_bytes(sample, cp_isolation=["cp1252", "latin_1"]).best()
    if match is None:
        raise FileRefused("FILE_ENCODING", detail=f"not UTF-8, Windows-1252 or Latin-1 (byte {first_bad + 1})")
    return "windows-1252" if match.encoding == "cp1252" else "latin-1"


def _mixes_utf8(path: Path) -> bool:
    """Valid UTF-8 sequences in a file that is not UTF-8 mean two encodings were mixed."""
    carry = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(16 << 20):
            data = carry + chunk
            for match in _UTF8_SEQUENCE.finditer(data):
                try:
                    match.group().decode("utf-8")
                    return True
                except UnicodeDecodeError:
                    continue
            carry = data[-3:]
    return False


def _python_codec(encoding: str) -> str:
    return {"utf-8": "utf-8-sig", "windows-1252": "cp1252"}.get(encoding, encoding)


def _text_stream(path: Path, encoding: str) -> io.TextIOWrapper:
    return open(path, encoding=_python_codec(encoding), newline="")


def _open_csv(path: Path, encoding: str, contract: Contract) -> Source:
    """Choose the delimiter that makes the most header cells match the contract, find the header
    row, and note the byte where the data records start; all from the file's head."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    codec = _python_codec(encoding)
    head_text = codecs.getincrementaldecoder(codec)(errors="replace").decode(head, final=False)
    best: tuple[int, str] | None = None
    for delimiter in DELIMITERS:
        records = _csv_records(io.StringIO(head_text, newline=""), delimiter, HEADER_SEARCH_ROWS)
        score = max((_header_matches(record, contract) for record in records), default=0)
        if best is None or score > best[0]:
            best = (score, delimiter)
    delimiter = best[1] if best and best[0] > 0 else _sniff_delimiter(head_text)
    reader = csv.reader(io.StringIO(head_text, newline=""), delimiter=delimiter)
    header_row, headers = _find_header(_numbered(reader, limit_non_blank=HEADER_SEARCH_ROWS), contract)
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


def _numbered(reader, limit_non_blank: int) -> Iterator[tuple[int, list[Any]]]:
    """(record number, record) for the first `limit_non_blank` non-blank records."""
    found = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, record
            found += not _is_blank(record)
            if found >= limit_non_blank:
                return
    except csv.Error as error:
        raise FileRefused("FILE_FORMAT", detail=f"CSV could not be parsed: {error}") from error


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


def _find_header(numbered: Iterator[tuple[int, list[Any]]], contract: Contract) -> tuple[int, list[str]]:
    """The header row among the first non-blank records (title rows above it are skipped)."""
    candidates = [(number, record) for number, record in numbered if not _is_blank(record)]
    if not candidates:
        raise FileRefused("FILE_EMPTY")
    scored = [(_header_matches(record, contract), number, record) for number, record in candidates]
    best_score = max(score for score, _, _ in scored)
    if best_score >= 2:
        header_number, header = next((number, record) for score, number, record in scored if score == best_score)
    else:
        header_number, header = candidates[0]
    return header_number, ["" if cell is None else cell_text(cell) for cell in header]


def _columns_frame(rows: list[int], columns: list[list[str]]) -> pl.DataFrame:
    frame = pl.DataFrame({"row": rows, **{f"c{i}": values for i, values in enumerate(columns)}})
    return frame.cast({"row": pl.Int64, **{f"c{i}": pl.String for i in range(len(columns))}})


def _records_frame(numbers: list[int], records: list[list[str]]) -> pl.DataFrame:
    """Non-blank records as a batch; short records are padded with empty cells."""
    width = max(map(len, records), default=0)
    columns = [[record[i] if i < len(record) else "" for record in records] for i in range(width)]
    return _columns_frame(numbers, columns)


def _csv_batches(source: Source, batch_rows: int, trimmed: bool) -> Iterator[pl.LazyFrame]:
    """A fast reader (polars for UTF-8, Arrow for the other encodings) while every record has at
    most the header's width; from the first one that does not, or a byte that contradicts the
    encoding guessed from the head, Python's reader takes over after the last record handed out
    (batches already handed out were read before the problem and are right as they are)."""
    if source.data_offset >= source.path.stat().st_size:
        return  # the header is the file's last line
    last_row = source.header_row
    if _read_in_pieces(source):
        reader = _read_ahead(_polars_pieces(source, batch_rows, trimmed))
    else:
        reader = _with_last_row(_rebatch(_arrow_chunks(source), batch_rows))
    while True:
        try:
            for batch, last in reader:
                last_row = last
                yield batch
            return
        except (_FastReaderGaveUp, EncodingGuessWrong) as problem:
            _refuse_binary_file(source.path)  # the rest of the file was not checked piece by piece
            if getattr(problem, "encoding_error", True):
                if source.encoding_decided:
                    raise FileRefused("FILE_ENCODING", detail=str(problem)) from problem
                source.decide_encoding()  # refuses a file mixing encodings
        reader = _with_last_row(_rebatch(_python_chunks(source, after_row=last_row), batch_rows))


def _read_ahead(items: Iterator[Any]) -> Iterator[Any]:
    """`items`, the next one made by a thread while this one is used (polars parses without
    holding the GIL, so reading and checking overlap). A failure is raised where it happened:
    after every item made before it."""
    end = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as pool:
        coming = pool.submit(next, items, end)
        while (item := coming.result()) is not end:
            coming = pool.submit(next, items, end)
            yield item


def _with_last_row(batches: Iterator[pl.DataFrame]) -> Iterator[tuple[pl.LazyFrame, int]]:
    """Each batch with the number of its last record (blank records after it are skipped anyway)."""
    for batch in batches:
        if batch.height:
            yield batch.lazy(), batch.item(-1, "row")


class _FastReaderGaveUp(Exception):
    def __init__(self, error: Exception):
        text = str(error).lower()
        self.encoding_error = any(word in text for word in ("utf8", "utf-8", "decode", "encoding"))
        super().__init__(str(error))


def trimmed_text(text: pl.Expr) -> pl.Expr:
    """The cell without whitespace at its ends, as Python's str.strip() removes it."""
    return text.str.strip_chars(WHITESPACE)


def _trimmed_non_blank(frame: pl.LazyFrame | pl.DataFrame, width: int):
    names = [f"c{i}" for i in range(width)]
    trimmed = frame.select("row", *(trimmed_text(pl.col(name).fill_null("")) for name in names))
    return trimmed.filter(pl.any_horizontal(pl.col(name) != "" for name in names))


def _polars_pieces(source: Source, batch_rows: int, trimmed: bool) -> Iterator[tuple[pl.LazyFrame, int]]:
    """The file cut into pieces of about CHUNK_BYTES at record boundaries, each parsed by polars
    (multi-threaded); the trimming is left in the plan handed out, to run with what is computed
    from the cells. Memory depends on the piece, not on the file (polars' own streaming CSV
    source holds the whole file). Each batch comes with the number of its last record.

    polars keeps blank lines as rows, so row indexes are record numbers; a record wider than the
    header is an error there, which hands the file to Python's reader. Records narrower than the
    header are padded with empty cells, as Python's reader does."""
    width = len(source.headers)
    names = [f"c{i}" for i in range(width)]
    next_row = source.header_row + 1
    for piece in _record_pieces(source.path, source.data_offset):
        _refuse_binary(piece)
        if _has_lone_carriage_return(piece):  # Python's reader ends a record there, polars does not
            raise _FastReaderGaveUp(ValueError("a carriage return without a line feed"))
        try:
            cells = pl.read_csv(
                piece,
                has_header=False,
                separator=source.delimiter,
                new_columns=names,
                schema=dict.fromkeys(names, pl.String),
                empty_string_is_null=False,
                infer_schema=False,
            )
        except pl.exceptions.PolarsError as error:
            raise _FastReaderGaveUp(error) from error
        for start in range(0, cells.height, batch_rows):
            part = cells.slice(start, batch_rows)
            first = next_row + start
            numbered = part.lazy().select(pl.int_range(first, first + part.height, dtype=pl.Int64).alias("row"), *names)
            if trimmed:
                yield _trimmed_non_blank(numbered, width), first + part.height - 1
            else:
                yield numbered.with_columns(pl.col(names).fill_null("")), first + part.height - 1
        next_row += cells.height


def _has_lone_carriage_return(piece: bytes) -> bool:
    """A CR not followed by LF (the head is checked when the file is opened; this is the rest)."""
    if piece.find(b"\r") < 0:
        return False
    data = np.frombuffer(piece, np.uint8)
    at = np.flatnonzero(data == ord("\r"))
    return bool(at[-1] == len(data) - 1 or (data[at + 1] != ord("\n")).any())


def _record_pieces(path: Path, offset: int) -> Iterator[bytes]:
    """Pieces of the file from `offset`, each ending at a line break outside quotes (an even
    number of quote characters before it, as in any CSV whose quotes enclose whole values).
    What follows a piece's last line break is read again with the next piece (no copying)."""
    data, quotes_before = b"", 0
    with open(path, "rb") as handle:
        handle.seek(offset)
        while block := handle.read(CHUNK_BYTES):
            data = data + block if data else block
            end = data.rfind(b"\n")
            quotes = data.count(b'"', 0, end) if end >= 0 and data.find(b'"', 0, end) >= 0 else 0
            while end >= 0 and (quotes_before + quotes) % 2:
                previous = data.rfind(b"\n", 0, end)
                quotes -= data.count(b'"', previous + 1 if previous >= 0 else 0, end)
                end = previous
            if end < 0:
                if len(data) > LONGEST_PIECE:  # a stray quote (5" monitor) hides every line break after it
                    raise _FastReaderGaveUp(ValueError(f"no line break outside quotes in {len(data)} bytes"))
                continue  # a quoted value longer than a piece: read on
            quotes_before = (quotes_before + quotes) % 2
            handle.seek(end + 1 - len(data), io.SEEK_CUR)
            yield data if end + 1 == len(data) else data[: end + 1]
            data = b""
    if data:
        yield data


def _arrow_chunks(source: Source) -> Iterator[pl.DataFrame]:
    """Arrow calls `on_ragged` while parsing a block, before that block's batch comes out: a batch
    that arrives while no ragged record has been seen is whole and correctly numbered."""
    width = len(source.headers)
    names = [f"c{i}" for i in range(width)]
    ragged: list[int] = []

    def on_ragged(row) -> str:
        ragged.append(row.actual_columns)
        return "skip"

    next_row = source.header_row + 1
    stream = pa.OSFile(str(source.path))
    stream.seek(source.data_offset)
    try:
        reader = pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(
                block_size=ARROW_BLOCK_BYTES, column_names=names, encoding=_python_codec(source.encoding)
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=source.delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_ragged,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            if ragged:
                raise _FastReaderGaveUp(ValueError(f"a record of {ragged[0]} cells"))
            first = next_row
            next_row += batch.num_rows
            numbered = pl.from_arrow(batch).with_columns(
                pl.int_range(first, first + batch.num_rows, dtype=pl.Int64).alias("row")
            )
            yield _trimmed_non_blank(numbered, width)
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise _FastReaderGaveUp(error) from error
    finally:
        stream.close()


def _python_chunks(source: Source, after_row: int, chunk_rows: int = 50_000) -> Iterator[pl.DataFrame]:
    """Python's csv module: the same record numbering as Arrow, ragged records kept as sent."""
    try:
        with _text_stream(source.path, source.encoding) as stream:
            records = csv.reader(stream, delimiter=source.delimiter)
            yield from _chunked(([cell.strip() for cell in record] for record in records), after_row, chunk_rows)
    except csv.Error as error:
        raise FileRefused("FILE_FORMAT", detail=f"CSV could not be parsed: {error}") from error
    except UnicodeDecodeError as error:
        raise EncodingGuessWrong(str(error)) from error


def _chunked(records: Iterator[list[str]], after_row: int, chunk_rows: int) -> Iterator[pl.DataFrame]:
    """Records (cells as text) numbered from 1, as frames of non-blank records after `after_row`."""
    numbers: list[int] = []
    cells: list[list[str]] = []
    for number, record in enumerate(records, start=1):
        if number <= after_row or not any(record):
            continue
        numbers.append(number)
        cells.append(record)
        if len(cells) >= chunk_rows:
            yield _records_frame(numbers, cells)
            numbers, cells = [], []
    if cells:
        yield _records_frame(numbers, cells)


def _rebatch(chunks: Iterator[pl.DataFrame], batch_rows: int) -> Iterator[pl.DataFrame]:
    """Batches of exactly `batch_rows` rows (the last one shorter), whatever the reader's chunks
    (cells of different widths are padded with "")."""
    pending: list[pl.DataFrame] = []
    held = 0

    def joined() -> pl.DataFrame:
        frame = pl.concat(pending, how="diagonal_relaxed") if len(pending) > 1 else pending[0]
        return _filled(frame)

    for chunk in chunks:
        pending.append(chunk)
        held += chunk.height
        while held >= batch_rows:
            whole = joined()
            yield whole.slice(0, batch_rows)
            rest = whole.slice(batch_rows)
            pending, held = ([rest] if rest.height else []), rest.height
    if held:
        yield joined()


def _filled(frame: pl.DataFrame) -> pl.DataFrame:
    """Chunks of different widths joined: the missing cells are empty, not null."""
    return frame.with_columns(pl.exclude("row").fill_null(""))


def _open_xlsx(path: Path, contract: Contract) -> Source:
    with _workbook(path) as book:
        sheet = _submission_sheet(book, contract.sheet_names)
        header_row, headers = _find_header(_numbered(_sheet_rows(sheet), limit_non_blank=HEADER_SEARCH_ROWS), contract)
        return Source(path, headers, header_row, "xlsx", sheet=sheet.title)


@contextmanager
def _workbook(path: Path) -> Iterator[Any]:
    with open(path, "rb") as handle:  # a file object: openpyxl would judge a path by its extension
        try:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
            raise FileRefused("FILE_FORMAT", detail="a ZIP file that is not an Excel workbook") from error
        try:
            yield book
        finally:
            book.close()


def _submission_sheet(book, sheet_names: tuple[str, ...]):
    """The sheet named like the kind, else the first."""
    wanted = {normalise_header(name) for name in sheet_names}
    sheet = next(
        (ws for ws in book.worksheets if normalise_header(ws.title) in wanted),
        book.worksheets[0] if book.worksheets else None,
    )
    if sheet is None:
        raise FileRefused("FILE_EMPTY")
    return sheet


def _sheet_rows(sheet) -> Iterator[tuple]:
    try:
        yield from sheet.iter_rows(min_row=1, values_only=True)
    except Exception as error:  # a damaged sheet: any parser error means the workbook cannot be read
        raise FileRefused("FILE_FORMAT", detail="a damaged Excel workbook") from error


def _xlsx_chunks(source: Source, chunk_rows: int = 20_000) -> Iterator[pl.DataFrame]:
    with _workbook(source.path) as book:
        records = ([cell_text(value) for value in values] for values in _sheet_rows(book[source.sheet]))
        yield from _chunked(records, source.header_row, chunk_rows)

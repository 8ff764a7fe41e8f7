"""XLSX workbooks, streamed by openpyxl once `xlsx_guard` has looked them over: the submission's
sheet, and its rows as batches."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
import polars as pl
from openpyxl.utils.exceptions import InvalidFileException

from pipelines.contract.model import normalise_header
from pipelines.intake.reading.batching import chunked
from pipelines.intake.reading.cells import cell_text
from pipelines.intake.reading.errors import FileRefused, refused

if TYPE_CHECKING:
    from pipelines.intake.reading.source import Source


@contextmanager
def workbook(path: Path) -> Iterator[Any]:
    with open(path, "rb") as handle:  # a file object: openpyxl would judge a path by its extension
        try:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError) as error:
            raise refused("FILE_FORMAT", "zip_not_workbook") from error
        except Exception as error:  # any other failure to load a part (checked well formed) makes it unreadable
            raise refused("FILE_FORMAT", "damaged_workbook", what=type(error).__name__) from error
        try:
            yield book
        finally:
            book.close()


def submission_sheet(book, sheet_names: tuple[str, ...]):
    """The sheet named like the kind, else the first."""
    wanted = {normalise_header(name) for name in sheet_names}
    sheet = next(
        (ws for ws in book.worksheets if normalise_header(ws.title) in wanted),
        book.worksheets[0] if book.worksheets else None,
    )
    if sheet is None:
        raise FileRefused("FILE_EMPTY")
    return sheet


def sheet_rows(sheet) -> Iterator[tuple]:
    """Every row the sheet holds, whatever its `<dimension>` claims (openpyxl's read-only mode would
    stop at the claimed last row, or pad every row to the claimed last column)."""
    sheet.reset_dimensions()
    try:
        yield from sheet.iter_rows(min_row=1, values_only=True)
    except Exception as error:  # a damaged sheet: any parser error means the workbook cannot be read
        raise refused("FILE_FORMAT", "damaged_workbook", what=type(error).__name__) from error


def xlsx_chunks(source: Source, chunk_rows: int = 20_000) -> Iterator[pl.DataFrame]:
    with workbook(source.path) as book:
        records = ([cell_text(value) for value in values] for values in sheet_rows(book[source.sheet]))
        yield from chunked(records, source.header_row, chunk_rows)

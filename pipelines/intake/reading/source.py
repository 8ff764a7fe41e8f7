"""The opened submission (`Source`): what was detected, and its data rows as batches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.intake.reading.batching import rebatch, widened
from pipelines.intake.reading.csv_reading import csv_batches
from pipelines.intake.reading.detection import refuse_binary_file, whole_file_encoding
from pipelines.intake.reading.errors import EncodingGuessWrong
from pipelines.intake.reading.python_csv import python_chunks
from pipelines.intake.reading.xlsx import xlsx_chunks


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
            return (batch.lazy() for batch in widened(rebatch(xlsx_chunks(self), batch_rows), len(self.headers)))
        return csv_batches(self, batch_rows, trimmed)

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
        refuse_binary_file(self.path)
        self.encoding = whole_file_encoding(self.path)
        self.encoding_decided = True

    def _first_chunk(self, rows: int) -> pl.DataFrame | None:
        if self.format == "xlsx":
            chunks = xlsx_chunks(self, chunk_rows=rows)
        else:
            chunks = python_chunks(self, after_row=self.header_row, chunk_rows=rows)
        try:
            return next(chunks, None)
        finally:
            chunks.close()

"""Making batches of the readers' cells: records as frames, frames cut and joined into batches of
an exact number of rows, cells trimmed and blank records left out."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from pipelines.intake.reading.cells import trimmed_text
from pipelines.intake.reading.errors import MAX_COLUMNS, too_wide


def trimmed_non_blank(frame: pl.LazyFrame | pl.DataFrame, width: int):
    names = [f"c{i}" for i in range(width)]
    trimmed = frame.select("row", *(trimmed_text(pl.col(name).fill_null("")) for name in names))
    return trimmed.filter(pl.any_horizontal(pl.col(name) != "" for name in names))


def chunked(records: Iterator[list[str]], after_row: int, chunk_rows: int) -> Iterator[pl.DataFrame]:
    """Records (cells as text) numbered from 1, as frames of non-blank records after `after_row`.
    Empty cells at the end of a record are dropped (a short record is padded anyway): a row of
    40,000 trailing delimiters costs one cell, not 40,000 columns. A value beyond MAX_COLUMNS
    refuses the file."""
    numbers: list[int] = []
    cells: list[list[str]] = []
    for number, record in enumerate(records, start=1):
        if number <= after_row or not any(record):
            continue
        while not record[-1]:
            record.pop()
        if len(record) > MAX_COLUMNS:
            raise too_wide(number, len(record))
        numbers.append(number)
        cells.append(record)
        if len(cells) >= chunk_rows:
            yield _records_frame(numbers, cells)
            numbers, cells = [], []
    if cells:
        yield _records_frame(numbers, cells)


def _columns_frame(rows: list[int], columns: list[list[str]]) -> pl.DataFrame:
    frame = pl.DataFrame({"row": rows, **{f"c{i}": values for i, values in enumerate(columns)}})
    return frame.cast({"row": pl.Int64, **{f"c{i}": pl.String for i in range(len(columns))}})


def _records_frame(numbers: list[int], records: list[list[str]]) -> pl.DataFrame:
    """Non-blank records as a batch; short records are padded with empty cells."""
    width = max(map(len, records), default=0)
    columns = [[record[i] if i < len(record) else "" for record in records] for i in range(width)]
    return _columns_frame(numbers, columns)


def rebatch(chunks: Iterator[pl.DataFrame], batch_rows: int) -> Iterator[pl.DataFrame]:
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


def widened(batches: Iterator[pl.DataFrame], width: int) -> Iterator[pl.DataFrame]:
    """Batches with at least the header's `width` cells: a sheet's rows end at their last filled
    cell, and a batch of short records has no cell for the header's last columns."""
    for batch in batches:
        missing = [f"c{i}" for i in range(width) if f"c{i}" not in batch.columns]
        yield batch.with_columns(pl.lit("").alias(name) for name in missing) if missing else batch

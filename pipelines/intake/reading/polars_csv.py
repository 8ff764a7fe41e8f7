"""The fast reader for UTF-8: the file cut into pieces at line breaks outside quotes, each parsed
by polars."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from pipelines.intake.reading.batching import trimmed_non_blank
from pipelines.intake.reading.detection import CHUNK_BYTES, refuse_binary
from pipelines.intake.reading.errors import FastReaderGaveUp, refused

if TYPE_CHECKING:
    from pipelines.intake.reading.source import Source

LONGEST_PIECE = 8 * CHUNK_BYTES  # no line break outside quotes within this: Python's reader goes on


def read_in_pieces(source: Source) -> bool:
    """Whether the file is read by `polars_pieces` (until a record it cannot read)."""
    return source.encoding == "utf-8" and not source.lone_carriage_returns


def polars_pieces(source: Source, batch_rows: int, trimmed: bool) -> Iterator[tuple[pl.LazyFrame, int]]:
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
        refuse_binary(piece)
        if _has_lone_carriage_return(piece):  # Python's reader ends a record there, polars does not
            raise FastReaderGaveUp(ValueError("a carriage return without a line feed"))
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
            raise FastReaderGaveUp(error) from error
        if cells.width < width:  # no record of the piece reached the header's last columns
            cells = cells.with_columns(pl.lit("").alias(name) for name in names if name not in cells.columns)
        for start in range(0, cells.height, batch_rows):
            part = cells.slice(start, batch_rows)
            first = next_row + start
            numbered = part.lazy().select(pl.int_range(first, first + part.height, dtype=pl.Int64).alias("row"), *names)
            if trimmed:
                yield trimmed_non_blank(numbered, width), first + part.height - 1
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
                    raise FastReaderGaveUp(ValueError(f"no line break outside quotes in {len(data)} bytes"))
                continue  # a quoted value longer than a piece: read on
            quotes_before = (quotes_before + quotes) % 2
            handle.seek(end + 1 - len(data), io.SEEK_CUR)
            yield data if end + 1 == len(data) else data[: end + 1]
            data = b""
    if data:
        if (quotes_before + data.count(b'"')) % 2:
            raise refused("FILE_FORMAT", "unclosed_quote")
        yield data

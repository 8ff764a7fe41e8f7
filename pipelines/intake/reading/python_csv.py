"""Python's csv reader: it takes over where a fast reader gives up (a record wider than the header,
a byte of another encoding), numbering records the same way and keeping ragged records as sent."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from pipelines.intake.reading.batching import chunked
from pipelines.intake.reading.detection import python_codec
from pipelines.intake.reading.errors import EncodingGuessWrong, refused
from pipelines.intake.reading.polars_csv import LONGEST_PIECE

if TYPE_CHECKING:
    from pipelines.intake.reading.source import Source

# A cell as long as a piece is read, by Python's reader too (its own limit is 128 KiB): a long
# cell is then a VALUE_RANGE on its column, whichever reader meets it, not a broken file.
csv.field_size_limit(LONGEST_PIECE)


def _text_stream(path: Path, encoding: str) -> io.TextIOWrapper:
    return open(path, encoding=python_codec(encoding), newline="")


def python_chunks(source: Source, after_row: int, chunk_rows: int = 50_000) -> Iterator[pl.DataFrame]:
    """Python's csv module: the same record numbering as Arrow, ragged records kept as sent."""
    try:
        with _text_stream(source.path, source.encoding) as stream:
            records = csv.reader(stream, delimiter=source.delimiter)
            yield from chunked(([cell.strip() for cell in record] for record in records), after_row, chunk_rows)
    except csv.Error as error:
        raise refused("FILE_FORMAT", "csv_unparsable", error=str(error)) from error
    except UnicodeDecodeError as error:
        raise EncodingGuessWrong(str(error)) from error

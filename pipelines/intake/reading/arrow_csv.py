"""The fast reader for Windows-1252 and Latin-1: Arrow's streaming CSV reader, which transcodes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv

from pipelines.intake.reading.batching import trimmed_non_blank
from pipelines.intake.reading.detection import python_codec
from pipelines.intake.reading.errors import FastReaderGaveUp

if TYPE_CHECKING:
    from pipelines.intake.reading.source import Source

ARROW_BLOCK_BYTES = 16 << 20


def arrow_chunks(source: Source) -> Iterator[pl.DataFrame]:
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
                block_size=ARROW_BLOCK_BYTES, column_names=names, encoding=python_codec(source.encoding)
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
                raise FastReaderGaveUp(ValueError(f"a record of {ragged[0]} cells"))
            first = next_row
            next_row += batch.num_rows
            numbered = pl.from_arrow(batch).with_columns(
                pl.int_range(first, first + batch.num_rows, dtype=pl.Int64).alias("row")
            )
            yield trimmed_non_blank(numbered, width)
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise FastReaderGaveUp(error) from error
    finally:
        stream.close()

"""A CSV file's batches: a fast reader (polars for UTF-8, Arrow for the other encodings) while
every record fits the header, then Python's reader from the last record handed out."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import polars as pl

from pipelines.intake.reading.arrow_csv import arrow_chunks
from pipelines.intake.reading.batching import rebatch, widened
from pipelines.intake.reading.detection import refuse_binary_file
from pipelines.intake.reading.errors import EncodingGuessWrong, FastReaderGaveUp, refused
from pipelines.intake.reading.polars_csv import polars_pieces, read_in_pieces
from pipelines.intake.reading.python_csv import python_chunks

if TYPE_CHECKING:
    from pipelines.intake.reading.source import Source


def csv_batches(source: Source, batch_rows: int, trimmed: bool) -> Iterator[pl.LazyFrame]:
    """A fast reader (polars for UTF-8, Arrow for the other encodings) while every record has at
    most the header's width; from the first one that does not, or a byte that contradicts the
    encoding guessed from the head, Python's reader takes over after the last record handed out
    (batches already handed out were read before the problem and are right as they are)."""
    if source.data_offset >= source.path.stat().st_size:
        return  # the header is the file's last line
    last_row, width = source.header_row, len(source.headers)
    if read_in_pieces(source):
        reader = _read_ahead(polars_pieces(source, batch_rows, trimmed))
    else:
        reader = _with_last_row(widened(rebatch(arrow_chunks(source), batch_rows), width))
    while True:
        try:
            for batch, last in reader:
                last_row = last
                yield batch
            return
        except (FastReaderGaveUp, EncodingGuessWrong) as problem:
            refuse_binary_file(source.path)  # the rest of the file was not checked piece by piece
            if getattr(problem, "encoding_error", True):
                if source.encoding_decided:
                    raise refused("FILE_ENCODING", "undecodable", error=str(problem)) from problem
                source.decide_encoding()  # refuses a file mixing encodings
        reader = _with_last_row(widened(rebatch(python_chunks(source, after_row=last_row), batch_rows), width))


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

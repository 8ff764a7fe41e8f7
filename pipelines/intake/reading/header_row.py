"""Finding the header row among a file's first records (title rows above it are skipped)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from pipelines.contract.model import Contract, normalise_header
from pipelines.intake.reading.cells import cell_text
from pipelines.intake.reading.errors import MAX_COLUMNS, FileRefused, refused, too_wide

HEADER_SEARCH_ROWS = 30


def numbered(reader, limit_non_blank: int) -> Iterator[tuple[int, list[Any]]]:
    """(record number, record) for the first `limit_non_blank` non-blank records."""
    found = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, record
            found += not _is_blank(record)
            if found >= limit_non_blank:
                return
    except csv.Error as error:
        raise refused("FILE_FORMAT", "csv_unparsable", error=str(error)) from error


def header_matches(record: list[Any], contract: Contract) -> int:
    index = contract.header_index
    return sum(1 for cell in record if cell is not None and normalise_header(cell) in index)


def _is_blank(record: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in record)


def find_header(numbered: Iterator[tuple[int, list[Any]]], contract: Contract) -> tuple[int, list[str]]:
    """The header row among the first non-blank records (title rows above it are skipped)."""
    candidates = [(number, record) for number, record in numbered if not _is_blank(record)]
    if not candidates:
        raise FileRefused("FILE_EMPTY")
    scored = [(header_matches(record, contract), number, record) for number, record in candidates]
    best_score = max(score for score, _, _ in scored)
    if best_score >= 2:
        header_number, header = next((number, record) for score, number, record in scored if score == best_score)
    else:
        header_number, header = candidates[0]
    names = ["" if cell is None else cell_text(cell) for cell in header]
    while len(names) > MAX_COLUMNS and not names[-1]:  # empty names at the end name nothing
        names.pop()
    if len(names) > MAX_COLUMNS:
        raise too_wide(header_number, len(names))
    return header_number, names

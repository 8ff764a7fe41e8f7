"""What spreadsheet programs need of the files the product writes.

Cells that a spreadsheet program would run as formulas, made inert (OWASP, "CSV Injection"): a
text that begins with =, +, -, @, a tab or a carriage return gets a leading apostrophe, which
Excel, LibreOffice and Google Sheets show as text. Used by every CSV and XLSX the product writes
with text that came from a submitted file. And the field separator a CSV needs to open in columns
in the reader's language (`csv_separator`)."""

from __future__ import annotations

import polars as pl

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PATTERN = r"^[=+\-@\t\r]"


def inert(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def inert_text_columns(frame: pl.DataFrame | pl.LazyFrame):
    """The frame with every text column made inert."""
    names = [name for name, dtype in frame.collect_schema().items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_PATTERN))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in names
    )


def csv_separator(lang: str) -> str:
    """`,` in English; `;` where a comma is the decimal mark (es, pt, fr), as spreadsheet programs
    set to those languages expect: a comma-separated file opens there in one column."""
    return "," if lang == "en" else ";"

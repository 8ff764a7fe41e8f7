"""Cells as text, alike whichever reader read them: an Excel value as the person sees it, and
trimming as Python's str.strip() does."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl

# What Python's str.strip() removes (str.isspace), so that every reader trims cells alike.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)


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


def trimmed_text(text: pl.Expr) -> pl.Expr:
    """The cell without whitespace at its ends, as Python's str.strip() removes it."""
    return text.str.strip_chars(WHITESPACE)

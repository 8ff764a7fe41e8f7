"""One problem found in a submission: rule code, where it is, and what was sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from pipelines.contract.model import rule_catalog


@dataclass(frozen=True)
class Issue:
    rule: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    variant: str | None = None

    @property
    def severity(self) -> str:
        return rule_catalog().severity(self.rule)


# Issues found on rows, many at a time: one frame row per (row, rule, column). `first_row` is the
# earlier row holding the same key (KEY_DUPLICATE only).
ROW_ISSUE_SCHEMA = {"row": pl.Int64, "rule": pl.String, "column": pl.String, "value": pl.String, "first_row": pl.Int64}


# Between the parts of a key made of a rule and a column, in either order: below every printable
# character (so "column<sep>rule" sorts as (column, rule)), and in no code or column name.
KEY_SEPARATOR = "\x1f"


def no_row_issues() -> pl.DataFrame:
    return pl.DataFrame(schema=ROW_ISSUE_SCHEMA)


def compact(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with its text copied out: a few rows filtered from a large frame otherwise keep
    the large frame's string buffers alive (polars' string views point into them)."""
    return pl.from_arrow(frame.to_arrow(compat_level=pl.CompatLevel.oldest()))

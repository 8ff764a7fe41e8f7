"""The exceptions of reading: a file refused as a whole, an encoding guessed wrong from the head,
and a fast reader giving the rest of a file up to Python's reader."""

from __future__ import annotations

from typing import Any

from pipelines.contract.model import rule_catalog


class EncodingGuessWrong(Exception):
    """A byte beyond the head contradicts the encoding guessed from it."""


class FileRefused(Exception):
    """The file as a whole cannot be read; `rule` is the spec's file-level rule code."""

    def __init__(self, rule: str, **details: Any):
        super().__init__(f"{rule}: {details}")
        self.rule = rule
        self.details = details


def refused(rule: str, detail: str, **values: Any) -> FileRefused:
    """FileRefused whose detail the receipt words in its reader's language (rules.yaml `details`);
    `details["detail"]` keeps the English, for logs."""
    return FileRefused(rule, detail=rule_catalog().detail(detail, "en", **values), detail_key=detail,
                       detail_values=values)  # fmt: skip


# Columns a file may fill: every contract column and hundreds of others, far below what makes a
# frame of that many columns costly (about 30 KB of memory each), and below Excel's 16,384.
MAX_COLUMNS = 1_000


def too_wide(row: int, width: int) -> FileRefused:
    return refused("FILE_FORMAT", "too_wide", row=row, width=width, limit=MAX_COLUMNS)


class FastReaderGaveUp(Exception):
    def __init__(self, error: Exception):
        text = str(error).lower()
        self.encoding_error = any(word in text for word in ("utf8", "utf-8", "decode", "encoding"))
        super().__init__(str(error))

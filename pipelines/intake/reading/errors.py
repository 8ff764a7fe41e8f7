"""The exceptions of reading: a file refused as a whole, an encoding guessed wrong from the head,
and a fast reader giving the rest of a file up to Python's reader."""

from __future__ import annotations

from typing import Any


class EncodingGuessWrong(Exception):
    """A byte beyond the head contradicts the encoding guessed from it."""


class FileRefused(Exception):
    """The file as a whole cannot be read; `rule` is the spec's file-level rule code."""

    def __init__(self, rule: str, **details: Any):
        super().__init__(f"{rule}: {details}")
        self.rule = rule
        self.details = details


class FastReaderGaveUp(Exception):
    def __init__(self, error: Exception):
        text = str(error).lower()
        self.encoding_error = any(word in text for word in ("utf8", "utf-8", "decode", "encoding"))
        super().__init__(str(error))

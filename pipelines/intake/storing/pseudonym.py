"""Keyed hashing of staff identifiers (HMAC-SHA256), the only form they take in the lake.

The key lives in the home folder and is made on first use (`pipelines.common.secret_keys`).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from pipelines.common import secret_keys

KEY_FILE = "pseudonym.key"


def load_or_create_key(secrets_dir: Path) -> bytes:
    try:
        return secret_keys.load_or_create_key(secrets_dir, KEY_FILE)
    except ValueError as error:
        raise RuntimeError(f"{error}; restore it from backup (never re-create it)") from None


def pseudonymise(key: bytes, values: Iterable[str]) -> list[str]:
    """HMAC-SHA256 of each value, as lowercase hex: the definition (the Pseudonymiser is its fast form)."""
    return [hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest() for value in values]


_ANCHOR = "\x00"  # never an identifier: a file holding a NUL byte is refused


class NumberingLost(RuntimeError):
    def __init__(self):
        super().__init__(
            "internal error: the numbering of staff identifiers changed between batches, so their "
            "pseudonyms could not be trusted; nothing was recorded. Keep the file, report this with "
            "the installed polars version (`pip show polars`), and submit again once it is fixed."
        )


class Pseudonymiser:
    """`pseudonymise` for whole columns: each distinct identifier is hashed once and remembered
    for the next batches (up to CACHE_LIMIT identifiers, so that memory stays bounded).

    Identifiers are numbered by a polars categorical mapping kept from batch to batch (a hash
    table that lives in polars, not rebuilt per batch); the hashes are a column indexed by that
    number, so a batch costs one look-up and one gather per row, and an HMAC per new identifier.
    With `roster` (a lake file of hashed staff), each identifier is also marked `rostered` when it
    is first hashed, so that a comparison with the roster costs a look-up per row."""

    CACHE_LIMIT = 2_000_000

    def __init__(self, key: bytes, roster: Path | None = None):
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key.ljust(64, b"\x00")))  # HMAC (RFC 2104)
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key.ljust(64, b"\x00")))
        self._roster = roster
        self._roster_keys: set[str] | None = None
        self._forget()

    def __call__(self, values: pl.Series) -> pl.Series:
        """Hashed values in the order given; null stays null."""
        return self.lookup(values).get_column("hashed")

    def lookup(self, values: pl.Series) -> pl.DataFrame:
        """`hashed` and `rostered` (null without a roster, or for a null value), row for row."""
        if len(self._hashed) > self.CACHE_LIMIT:
            self._forget()
        numbered = values.cast(pl.String).cast(self._numbering)  # keeps the mapping alive for the check
        if pl.Series([_ANCHOR]).cast(self._numbering).to_physical().item() != 0:
            raise NumberingLost()
        numbers = numbered.to_physical()
        known = len(self._hashed)
        if numbers.max() is not None and numbers.max() >= known:
            new = (
                pl.DataFrame({"number": numbers, "value": values.cast(pl.String)})
                .filter(pl.col("number") >= known)
                .unique("number")
                .sort("number")
                .get_column("value")
            )
            if new.len() != numbers.max() - known + 1:  # numbers must continue where the last batch ended
                raise NumberingLost()
            hashed = [self._hmac(value) for value in new]
            self._hashed.append(pl.Series(hashed, dtype=pl.String))
            self._rostered.append(pl.Series(self._in_roster(hashed), dtype=pl.Boolean))
            # one chunk: a gather from several is many times slower, a rechunk is cheap (figures in
            # docs/performance.md, "Figures behind the code")
            self._hashed, self._rostered = self._hashed.rechunk(), self._rostered.rechunk()
        return pl.DataFrame({"hashed": self._hashed.gather(numbers), "rostered": self._rostered.gather(numbers)})

    def _hmac(self, value: str) -> str:
        inner = self._inner.copy()
        inner.update(value.encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def _in_roster(self, hashed: list[str]) -> list[bool | None]:
        if self._roster is None:
            return [None] * len(hashed)
        if self._roster_keys is None:  # read once, when first needed
            keys = pl.read_parquet(self._roster, columns=["staff_key"]).get_column("staff_key")
            self._roster_keys = set(keys.drop_nulls().to_list())
        return [value in self._roster_keys for value in hashed]

    def _forget(self) -> None:
        self._numbering = pl.Categorical(pl.Categories(f"ciess-staff-{uuid.uuid4().hex}"))
        # polars keeps a categorical mapping only while a column uses it: this one keeps it, and
        # its value, number 0, tells each batch that the numbering is still the same
        self._anchor = pl.Series([_ANCHOR]).cast(self._numbering)
        self._hashed = pl.Series([None], dtype=pl.String)
        self._rostered = pl.Series([None], dtype=pl.Boolean)

    def close(self) -> None:
        self._forget()

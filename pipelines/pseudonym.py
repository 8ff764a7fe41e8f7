"""Keyed hashing of staff identifiers (HMAC-SHA256), the only form they take in the lake.

The key lives in the home folder and is made on first use; two processes starting at once agree
on one key because it is published with an atomic link, never overwritten.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb
import polars as pl

KEY_FILE = "pseudonym.key"


def load_or_create_key(secrets_dir: Path) -> bytes:
    secrets_dir.mkdir(parents=True, exist_ok=True)
    path = secrets_dir / KEY_FILE
    if not path.exists():
        candidate = secrets_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        candidate.write_bytes(secrets.token_bytes(32))
        os.chmod(candidate, 0o600)
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass  # another process published its key first: use that one
        finally:
            candidate.unlink()
    key = path.read_bytes()
    if len(key) != 32:
        raise RuntimeError(f"{path} is not a 32-byte key; restore it from backup (never re-create it)")
    return key


def pseudonymise(key: bytes, values: Iterable[str]) -> list[str]:
    """HMAC-SHA256 of each value, as lowercase hex: the definition (the Pseudonymiser is its fast form)."""
    return [hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest() for value in values]


class Pseudonymiser:
    """`pseudonymise` for whole columns: each distinct identifier is hashed once (in DuckDB, which
    computes the same HMAC over many values at a time) and remembered for the next batches, up to
    CACHE_LIMIT identifiers so that memory stays bounded.

    `annotate`, if given, adds columns to newly hashed identifiers (a frame of `value`, `hashed`)
    that are remembered with them and returned for every row: a fact about an identifier (is it in
    the roster?) is then worked out once per identifier, not once per row."""

    CACHE_LIMIT = 2_000_000

    def __init__(self, key: bytes, annotate: Callable[[pl.DataFrame], pl.DataFrame] | None = None):
        block = key.ljust(64, b"\x00")  # HMAC (RFC 2104) with a key shorter than SHA-256's block
        self._inner = bytes(b ^ 0x36 for b in block)
        self._outer = bytes(b ^ 0x5C for b in block)
        self._annotate = annotate
        self._known: pl.DataFrame | None = None
        self._duckdb = duckdb.connect()

    def __call__(self, values: pl.Series) -> pl.Series:
        """Hashed values in the order given; null stays null."""
        return self.lookup(values).get_column("hashed")

    def lookup(self, values: pl.Series) -> pl.DataFrame:
        """`hashed` and the annotations, row for row."""
        given = values.to_frame("value")
        found = (
            given.join(self._known, on="value", how="left", maintain_order="left") if self._known is not None else None
        )
        if found is not None and found.get_column("hashed").null_count() == given.get_column("value").null_count():
            return found.drop("value")
        new = given.drop_nulls().unique()
        if self._known is not None:
            new = new.join(self._known, on="value", how="anti")
        hashed = self._duckdb.sql(
            "select value, sha256(?::blob || unhex(sha256(?::blob || encode(value)))) as hashed from new",
            params=[self._outer, self._inner],
        ).pl()
        hashed = hashed.cast({"value": pl.String, "hashed": pl.String})
        if self._annotate is not None:
            hashed = self._annotate(hashed)
        if self._known is None or self._known.height + hashed.height > self.CACHE_LIMIT:
            self._known = hashed
        else:
            self._known = pl.concat([self._known, hashed])
        return given.join(self._known, on="value", how="left", maintain_order="left").drop("value")

    def close(self) -> None:
        self._duckdb.close()

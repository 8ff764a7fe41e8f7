"""Keyed hashing of staff identifiers (HMAC-SHA256), the only form they take in the lake.

The key lives in the home folder and is made on first use; two processes starting at once agree
on one key because it is published with an atomic link, never overwritten.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
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
    """`pseudonymise` for whole columns, in DuckDB: each distinct identifier is hashed once (the
    same HMAC, computed over many values at a time) and remembered for the next batches, up to
    CACHE_LIMIT identifiers so that memory stays bounded.

    With `roster` (a lake file of hashed staff), each identifier is also marked `rostered` when it
    is first hashed, so that a comparison with the roster costs a look-up per row."""

    CACHE_LIMIT = 2_000_000

    def __init__(self, key: bytes, roster: Path | None = None):
        block = key.ljust(64, b"\x00")  # HMAC (RFC 2104) with a key shorter than SHA-256's block
        self._inner = bytes(b ^ 0x36 for b in block)
        self._outer = bytes(b ^ 0x5C for b in block)
        self._db = duckdb.connect()
        self._db.execute("create table known (value varchar, hashed varchar, rostered boolean)").fetchall()
        self._roster = roster
        self._roster_loaded = False

    def __call__(self, values: pl.Series) -> pl.Series:
        """Hashed values in the order given; null stays null."""
        return self.lookup(values).get_column("hashed")

    def lookup(self, values: pl.Series) -> pl.DataFrame:
        """`hashed` and `rostered` (null without a roster, or for a null value), row for row."""
        self._load_roster()
        distinct = values.drop_nulls().unique().to_frame("value")
        db = self._db
        db.register("batch", distinct)
        try:
            if db.execute("select count(*) from known").fetchall()[0][0] > self.CACHE_LIMIT:
                db.execute("delete from known").fetchall()
            rostered = "hashed in (select staff_key from roster)" if self._roster else "null::boolean"
            db.execute(
                f"""insert into known
                select value, hashed, {rostered} from (
                    select value, sha256(?::blob || unhex(sha256(?::blob || encode(value)))) as hashed
                    from batch where value not in (select value from known))""",
                [self._outer, self._inner],
            ).fetchall()
            mapping = db.sql("select value, hashed, rostered from batch join known using (value)").pl()
        finally:
            db.unregister("batch")
        mapping = mapping.cast({"value": values.dtype, "hashed": pl.String, "rostered": pl.Boolean})
        return values.to_frame("value").join(mapping, on="value", how="left", maintain_order="left").drop("value")

    def _load_roster(self) -> None:
        if self._roster is not None and not self._roster_loaded:
            self._db.execute(
                "create table roster as select distinct staff_key from read_parquet(?)", [str(self._roster)]
            )
            self._roster_loaded = True

    def close(self) -> None:
        self._db.close()

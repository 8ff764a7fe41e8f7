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
    return [hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest() for value in values]

"""Secret keys kept in the home's `secrets/` folder, each made on first use. Two processes starting
at once agree on one key because it is published with an atomic link, never overwritten."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_BYTES = 32


def load_or_create_key(secrets_dir: Path, name: str) -> bytes:
    """The 32-byte key `secrets_dir/name`, made (0600) if there is none yet. A file of another length
    is a ValueError: a key is never silently replaced."""
    secrets_dir.mkdir(parents=True, exist_ok=True)
    path = secrets_dir / name
    if not path.exists():
        candidate = secrets_dir / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        candidate.write_bytes(secrets.token_bytes(KEY_BYTES))
        os.chmod(candidate, 0o600)
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass  # another process published its key first: use that one
        finally:
            candidate.unlink()
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} is not a {KEY_BYTES}-byte key")
    return key

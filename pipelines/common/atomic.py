"""Files written so that a reader never sees half of one, even if the writer is killed.

Two ways: `write_once` creates a file that must never change (the archive: an existing file is
never replaced), `replace` swaps a new version in place of the old one (reports, the ledger's
export, the published marts' summary). Both write a temporary file in the target's folder first
(a rename is atomic only within one file system) and remove it if the writing fails.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def _temporary_beside(path: Path) -> Iterator[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as handle:
        temporary = Path(handle.name)
    try:
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)


def write_once_with(path: Path, write: Callable[[Path], object]) -> None:
    """Create `path` from what `write(temporary_path)` writes (large files, streamed); flushed to disk
    before it appears. An existing file is never replaced (FileExistsError)."""
    with _temporary_beside(path) as temporary:
        write(temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.link(temporary, path)


def write_once(path: Path, data: bytes) -> None:
    write_once_with(path, lambda temporary: temporary.write_bytes(data))


def replace_with(path: Path, write: Callable[[Path], object]) -> None:
    """Put what `write(temporary_path)` writes in place of `path`, in one rename."""
    with _temporary_beside(path) as temporary:
        write(temporary)
        os.replace(temporary, path)


def replace_text(path: Path, text: str) -> None:
    replace_with(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))

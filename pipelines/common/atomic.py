"""Files written so that a reader never sees half of one, even if the writer is killed.

Two ways: `write_once` creates a file that must never change (an existing file is never
replaced: receipts and issues lists), `replace` swaps a new version in place of the old one
(reports, the ledger's export, the published marts' summary). Both write a temporary file in the
target's folder first (a rename is atomic only within one file system) and remove it if the
writing fails. A replaced file keeps the mode it had (a new one gets what open() would give it);
`write_once`'s files are private. Durable against a killed writer, not a machine crash: the
folder is not fsynced. The archive's copy of the original file has its own path, as it hashes
while it copies (`pipelines.intake.storing.archive`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


def _usual_mode(path: Path) -> int:
    """The mode of the file being replaced, else what open() would give a new file (0666 less the
    umask): a temporary file is made 0600, and a rename keeps that mode."""
    with contextlib.suppress(FileNotFoundError):
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def _temporary_beside(path: Path, private: bool) -> Iterator[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as handle:
        temporary = Path(handle.name)  # made 0600
    if not private:
        os.chmod(temporary, _usual_mode(path))
    try:
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)


def write_once_with(path: Path, write: Callable[[Path], object]) -> None:
    """Create `path` from what `write(temporary_path)` writes (large files, streamed); flushed to disk
    before it appears, readable by its owner only (receipts and issues lists quote the cells sent,
    staff identifiers among them). An existing file is never replaced (FileExistsError)."""
    with _temporary_beside(path, private=True) as temporary:
        write(temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.link(temporary, path)


def write_once(path: Path, data: bytes) -> None:
    write_once_with(path, lambda temporary: temporary.write_bytes(data))


def replace_with(path: Path, write: Callable[[Path], object]) -> None:
    """Put what `write(temporary_path)` writes in place of `path`, in one rename."""
    with _temporary_beside(path, private=False) as temporary:
        write(temporary)
        os.replace(temporary, path)


def replace_text(path: Path, text: str) -> None:
    replace_with(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))

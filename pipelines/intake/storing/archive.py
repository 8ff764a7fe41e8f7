"""The archive: every file received, byte for byte, content-addressed by sha256, with the
receipt and the full issue list of each submission of it. Nothing here is ever rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ArchivedFile:
    sha256: str
    size: int
    path: Path

    @property
    def folder(self) -> Path:
        return self.path.parent


def archive_file(source: Path, archive_dir: Path) -> ArchivedFile:
    """Copy `source` into the archive (in the kernel, without passing the bytes through Python),
    make it durable, then hash the copy: the hash names exactly the bytes kept."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    suffix = "".join(source.suffixes[-1:]).lower()[:10]
    with tempfile.NamedTemporaryFile(dir=archive_dir, prefix=".incoming-", delete=False) as target:
        try:
            with open(source, "rb") as handle:
                _copy(handle, target)
            target.flush()
            os.fsync(target.fileno())
        except BaseException:  # a full disk, above all: the partial copy must not keep it full
            os.unlink(target.name)
            raise
    sha, size = hash_file(Path(target.name))
    folder = archive_dir / sha[:2] / sha
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"original{suffix}"
    existing = next(folder.glob("original*"), None)
    if existing is not None:
        os.unlink(target.name)  # same bytes already kept
        return ArchivedFile(sha, size, existing)
    with contextlib.suppress(FileExistsError):  # a concurrent upload of the same bytes won
        os.link(target.name, final)
    os.unlink(target.name)
    os.chmod(final, 0o400)  # read-only, for its owner only
    return ArchivedFile(sha, size, final)


def hash_file(path: Path) -> tuple[str, int]:
    """The SHA-256 of a file's bytes (what names it in the archive) and its size."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def keep_beside_receipt(written: Path, folder: Path, name: str) -> Path:
    """Move a file written at intake beside the submission's receipt, readable by its owner only: the
    accepted version's clear staff identifiers and its row hashes (pipelines.intake.storing.staff_ids,
    pipelines.intake.checking.version_diff), which the next version's diff reads."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    os.replace(written, final)
    os.chmod(final, 0o400)
    return final


def _copy(source: BinaryIO, target: BinaryIO) -> None:
    try:
        while os.copy_file_range(source.fileno(), target.fileno(), CHUNK):
            pass
    except OSError:  # a file system or kernel without it: copy it all again through Python
        source.seek(0)
        target.seek(0)
        shutil.copyfileobj(source, target, CHUNK)

"""A workbook looked over before openpyxl reads it, so that a small hostile file cannot take the
memory or end in a traceback: the ZIP's own table says how much each part unpacks to (and no
reader unpacks more than that), and every XML part is scanned once by expat, in pieces, for what
would make a parser hold a huge text in memory (a cell longer than Excel allows, a run of
whitespace of gigabytes), for entity declarations, and for XML that is not well formed.

Each refusal is the spec's FILE_FORMAT, with a detail that says what and where."""

from __future__ import annotations

import lzma
import zipfile
import zlib
from pathlib import Path
from xml.parsers import expat

from pipelines.intake.reading.errors import FileRefused, refused

EXCEL_CELL_LIMIT = 32_767  # characters in one cell: Excel writes no more (its specifications and limits)
MAX_PARTS = 10_000
MAX_UNPACKED = 4 << 30  # the whole workbook unpacked: far beyond any real quarter, well before the disk fills
MAX_SHARED_STRINGS = 256 << 20  # openpyxl keeps every shared string in memory
SCAN_PIECE = 1 << 20


class _Refusal(Exception):
    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


def _damaged(detail: str) -> FileRefused:
    return refused("FILE_FORMAT", "damaged_workbook", what=detail)


def _unreadable(detail: str) -> FileRefused:
    return refused("FILE_FORMAT", "workbook_too_big", what=detail)


def check_workbook(path: Path) -> None:
    """Refuse the workbook (FileRefused) when it cannot be read within bounded memory."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS:
                raise _damaged(f"{len(parts)} parts in the ZIP")
            unpacked = sum(part.file_size for part in parts)
            if unpacked > MAX_UNPACKED:
                raise _unreadable(f"it unpacks to {unpacked >> 20:,} MB, over the {MAX_UNPACKED >> 20:,} MB "
                                  "a workbook may hold")  # fmt: skip
            for part in parts:
                name = part.filename
                if name.lower().endswith("sharedstrings.xml") and part.file_size > MAX_SHARED_STRINGS:
                    raise _unreadable(f"its shared strings unpack to {part.file_size >> 20:,} MB, over the "
                                      f"{MAX_SHARED_STRINGS >> 20} MB allowed; send it as CSV")  # fmt: skip
                if name.lower().endswith((".xml", ".rels", ".vml")):
                    _scan(archive, part)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as error:
        raise _damaged(f"its ZIP structure: {error}") from error


def _scan(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
    parser = expat.ParserCreate()
    run = [0]

    def text(data: str) -> None:
        run[0] += len(data)
        if run[0] > EXCEL_CELL_LIMIT:
            raise _Refusal(f"a text of more than {EXCEL_CELL_LIMIT:,} characters in {part.filename}, "
                           "more than a cell can hold")  # fmt: skip

    def boundary(*_args) -> None:
        run[0] = 0

    def entity(*_args) -> None:
        raise _Refusal(f"an entity declaration in {part.filename}")

    parser.CharacterDataHandler = text
    parser.StartElementHandler = boundary
    parser.EndElementHandler = boundary
    parser.EntityDeclHandler = entity
    parser.StartDoctypeDeclHandler = entity
    try:
        with archive.open(part) as stream:
            while piece := stream.read(SCAN_PIECE):
                parser.Parse(piece, False)
            parser.Parse(b"", True)
    except _Refusal as refusal:
        raise _damaged(refusal.why) from None
    except expat.ExpatError as error:
        raise _damaged(f"broken XML in {part.filename}: {expat.errors.messages[error.code]}") from None
    except (zlib.error, lzma.LZMAError, zipfile.BadZipFile, EOFError, OSError) as error:
        # a compressed stream damaged in transfer or on disk (a bad CRC is BadZipFile, bzip2's OSError)
        raise _damaged(f"{part.filename} cannot be unpacked ({error})") from None

"""What a file is, from its bytes: not a format it could be taken for (magic bytes, NUL bytes,
UTF-16), its encoding decided on the whole file, the codecs' names, and its delimiter when no
header row tells."""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path

import charset_normalizer

from pipelines.intake.reading.errors import refused

DELIMITERS = (",", ";", "\t")
SAMPLE_BYTES = 4 << 20  # what the encoding detector reads of a file that is not UTF-8
CHUNK_BYTES = 8 << 20  # what polars parses at a time
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]{1,3}")
MAGIC = {  # the first bytes of a file that is no CSV or XLSX -> what it is (rules.yaml `details`)
    b"%PDF": "pdf",
    b"\xd0\xcf\x11\xe0": "xls",
    b"\x1f\x8b": "gzip",
    b"\x89PNG": "png",
    b"\xff\xd8\xff": "jpeg",
    b"Rar!": "rar",
    b"7z\xbc\xaf": "7z",
}


# A NUL byte anywhere refuses the file. The pieces the fast reader reads are checked as they are
# read (checking the whole file first would read it twice); a file read otherwise is checked whole
# before.
def refuse_binary(data: bytes) -> None:
    if b"\x00" in data:
        raise refused("FILE_FORMAT", "binary")


def refuse_binary_file(path: Path) -> None:
    with open(path, "rb") as handle:  # in pieces: a memory map would count the whole file as resident
        for piece in iter(lambda: handle.read(CHUNK_BYTES), b""):
            refuse_binary(piece)


def looks_utf16(data: bytes) -> bool:
    sample = data[:4000]
    return len(sample) >= 4 and (sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4)


def whole_file_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 or Latin-1 when the detector agrees; a file
    that mixes UTF-8 with another encoding is refused."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    first_bad: int | None = None
    with open(path, "rb") as handle:
        while chunk := handle.read(16 << 20):
            try:
                decoder.decode(chunk, final=False)
            except UnicodeDecodeError as error:
                first_bad = offset + error.start
                break
            offset += len(chunk)
        else:
            try:
                decoder.decode(b"", final=True)
                return "utf-8"
            except UnicodeDecodeError:
                first_bad = offset
    if _mixes_utf8(path):
        raise refused("FILE_ENCODING", "mixed_encoding", byte=first_bad + 1)
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    match = charset_normalizer.from_bytes(sample, cp_isolation=["cp1252", "latin_1"]).best()
    if match is None:
        raise refused("FILE_ENCODING", "unknown_encoding", byte=first_bad + 1)
    return "windows-1252" if match.encoding == "cp1252" else "latin-1"


def _mixes_utf8(path: Path) -> bool:
    """Valid UTF-8 sequences in a file that is not UTF-8 mean two encodings were mixed."""
    carry = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(16 << 20):
            data = carry + chunk
            for match in _UTF8_SEQUENCE.finditer(data):
                try:
                    match.group().decode("utf-8")
                    return True
                except UnicodeDecodeError:
                    continue
            carry = data[-3:]
    return False


def python_codec(encoding: str) -> str:
    return {"utf-8": "utf-8-sig", "windows-1252": "cp1252"}.get(encoding, encoding)


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        first = next((line for line in text.splitlines() if line.strip()), "")
        return max(DELIMITERS, key=first.count)

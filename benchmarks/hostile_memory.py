"""Peak memory of `ciess submit` on hostile files: small workbooks that inflate, a sheet whose
`<dimension>` claims the whole grid, CSV files whose every row is bad or tens of thousands of
fields wide, each submitted in a process of its own (peak RSS from wait4). Writes its section
of docs/reliability.md.

    .venv/bin/python benchmarks/hostile_memory.py [--no-write] [--quick]

--quick leaves out the files of more than 100 MB (the 1 GB cell, the 2 GB of whitespace, the
190 MB CSV)."""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
from intake_bench import machine  # benchmarks/ is on the path of a script run from it

ROOT = Path(__file__).resolve().parents[1]
CIESS = Path(sys.executable).with_name("ciess")
ROSTER = ROOT / "schemas" / "staffing" / "examples" / "valid.csv"
SECTION = "## Hostile files: peak memory of `ciess submit`"
SHEET = "xl/worksheets/sheet1.xml"
SST_OPEN = b"<?xml version='1.0'?><sst xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main'><si><t>"


def _rows() -> list[list[str]]:
    with open(ROSTER, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _workbook(path: Path, data_rows: int = 0) -> Path:
    header, *rows = _rows()
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("staffing")
    sheet.append(header)
    for index in range(data_rows or len(rows)):
        row = list(rows[index % len(rows)])
        row[0] = f"E{index:07d}"
        sheet.append(row)
    book.save(path)
    return path


def _rewrite(source: Path, target: Path, part: str, write) -> Path:
    """A copy of the workbook whose `part` is written by `write(handle, old_bytes)`, streamed."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        names = original.namelist()
        for name in names:
            if name != part:
                copy.writestr(name, original.read(name))
        with copy.open(part, "w", force_zip64=True) as handle:
            write(handle, original.read(part) if part in names else b"")
    return target


def _repeat(handle, piece: bytes, total: int) -> None:
    block = piece * max(1, (1 << 20) // len(piece))
    written = 0
    while written < total:
        handle.write(block)
        written += len(block)


def _cell_bomb(folder: Path, size: int) -> Path:
    def write(handle, _old):
        handle.write(SST_OPEN)
        _repeat(handle, b"A", size)
        handle.write(b"</t></si></sst>")

    return _rewrite(
        _workbook(folder / "base.xlsx"), folder / f"cell-{size >> 20}MB.xlsx", "xl/sharedStrings.xml", write
    )


def _whitespace(folder: Path, size: int) -> Path:
    def write(handle, old):
        head, tail = old.split(b"<sheetData>", 1)
        handle.write(head + b"<sheetData>")
        _repeat(handle, b" ", size)
        handle.write(tail)

    return _rewrite(_workbook(folder / "base.xlsx"), folder / f"spaces-{size >> 20}MB.xlsx", SHEET, write)


def _false_dimension(folder: Path, rows: int) -> Path:
    def write(handle, old):
        handle.write(re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', old))

    base = _workbook(folder / "many.xlsx", rows)
    return _rewrite(base, folder / f"dimension-{rows}.xlsx", SHEET, write)


def _all_bad_csv(folder: Path, size: int, repeated_keys: bool = False) -> Path:
    """Every row with an error; `repeated_keys`: every staff id also twice (a KEY_DUPLICATE each)."""
    header, *rows = _rows()
    path = folder / f"all-bad-{'repeated-' if repeated_keys else ''}{size >> 20}MB.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        index = 0
        while handle.tell() < size:
            row = list(rows[index % len(rows)])
            row[0] = f"E{index // 2 if repeated_keys else index:08d}"
            row[-1] = "7"  # fte over 1: VALUE_RANGE on every row
            row[1] = "X"  # an unknown sex code: CODE_UNKNOWN
            writer.writerow(row)
            index += 1
    return path


def _wide_csv(folder: Path, delimiters: int) -> Path:
    """The roster with `delimiters` empty fields at the end of every row: a small file whose rows
    are tens of thousands of fields wide."""
    path = folder / f"wide-{delimiters}.csv"
    path.write_text("".join(line + "," * delimiters + "\n" for line in ROSTER.read_text(encoding="utf-8").splitlines()),
                    encoding="utf-8")  # fmt: skip
    return path


def _submit(home: Path, path: Path) -> dict:
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(CIESS), "--home", str(home), "submit", str(path), "--institution", "AR-ANSES", "--kind", "staffing",
         "--period", "2026-Q2", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, "DO_NOT_TRACK": "1"},
    )  # fmt: skip
    out = process.stdout.read()  # then reap it ourselves: wait4 gives this child's own peak memory
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    text = out.decode("utf-8", "replace")
    verdict = re.search(r'"status":\s*"([A-Z_]+)"', text)
    return {"seconds": seconds, "peak_mib": usage.ru_maxrss / 1024,
            "status": verdict.group(1) if verdict else f"exit {process.returncode}"}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="leave out the files of more than 100 MB unpacked")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/reliability.md as it is")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ciess-hostile-") as work:
        folder = Path(work)
        cases = [
            ("XLSX, one shared string of 64 MB", lambda: _cell_bomb(folder, 64 << 20)),
            ('XLSX, 20,000 rows, `<dimension ref="A1:XFD1048576"/>`', lambda: _false_dimension(folder, 20_000)),
            ("CSV, every row bad, 10 MB", lambda: _all_bad_csv(folder, 10 << 20)),
            ("CSV, every row bad, 50 MB", lambda: _all_bad_csv(folder, 50 << 20)),
            ("CSV, 40,000 empty fields at the end of every row", lambda: _wide_csv(folder, 40_000)),
            ("CSV, 80,000 empty fields at the end of every row", lambda: _wide_csv(folder, 80_000)),
        ]
        if not args.quick:
            cases += [
                ("XLSX, one shared string of 1 GB", lambda: _cell_bomb(folder, 1 << 30)),
                ("XLSX, a sheet with 2 GB of whitespace", lambda: _whitespace(folder, 2 << 30)),
                ("CSV, every row bad, 190 MB", lambda: _all_bad_csv(folder, 190 << 20)),
                ("CSV, every row bad and every staff id twice, 190 MB",
                 lambda: _all_bad_csv(folder, 190 << 20, repeated_keys=True)),
            ]  # fmt: skip
        lines = ["| file | size on disk | verdict | peak memory | time |", "|---|---:|---|---:|---:|"]
        for label, make in cases:
            path = make()
            result = _submit(folder / "home", path)
            size = path.stat().st_size
            shown = f"{size / (1 << 20):.1f} MB" if size >= 1 << 20 else f"{size / 1024:.0f} KB"
            line = (f"| {label} | {shown} | {result['status']} | {result['peak_mib']:.0f} MiB | "
                    f"{result['seconds']:.1f} s |")  # fmt: skip
            print(line, flush=True)
            lines.append(line)
            path.unlink()
    section = "\n".join([
        SECTION, "", f"Measured on {datetime.now(UTC):%Y-%m-%d}, {machine()}, with "
        "`.venv/bin/python benchmarks/hostile_memory.py`: each file submitted by `ciess submit` in a "
        "process of its own; peak memory is that process's maximum resident set.", "", *lines, "",
    ])  # fmt: skip
    print(section)
    if not args.no_write:
        _write_section(ROOT / "docs" / "reliability.md", section)


def _write_section(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Reliability\n\n"
    if SECTION in text:
        start = text.index(SECTION)
        following = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section.rstrip("\n") + "\n\n" + (text[following + 1 :] if following != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

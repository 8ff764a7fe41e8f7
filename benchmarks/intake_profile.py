"""Where the intake's time goes, phase by phase, on one generated file of ROWS rows (with 0.5%
bad rows, then clean): each line adds one phase to the previous one, in one process, using the
product's own functions, so the differences are the phases' costs. Writes its own section of
docs/performance.md.

    benchmarks/intake_profile.py [ROWS] [--no-write]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from intake_bench import ROOT, machine, write_section
from make_training_file import roster_frame, training_frame

from pipelines.common.periods import Period
from pipelines.common.settings import Settings
from pipelines.contract.model import load_contract
from pipelines.intake.checking.conversion import BatchPlan
from pipelines.intake.checking.validation import BATCH_ROWS, RowRules, validate_file
from pipelines.intake.reading.opening import open_submission
from pipelines.intake.storing.archive import archive_file
from pipelines.intake.submission import submit

PERIOD = "2026-Q2"
START, END = "<!-- intake profile: written by benchmarks/intake_profile.py -->", "<!-- end of intake profile -->"


def _timed(work: Callable[[], object], repeat: int = 2) -> float:
    """The best of `repeat` runs (the file is in the page cache after the first)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def phases(path: Path, roster: Path, home: Path) -> list[tuple[str, float]]:
    contract, period = load_contract("training"), Period.parse(PERIOD)

    def read(derive: bool) -> None:
        source = open_submission(path, contract)
        plan = BatchPlan(
            contract, {c.name: i for i, c in enumerate(contract.columns)}, RowRules(contract, period).checks
        )
        for batch in source.lazy_batches(BATCH_ROWS, trimmed=False):  # as `validate_file` reads
            if derive:
                plan.failing(plan.derive(batch)).collect()
            else:
                batch.collect()

    settings = Settings(home=home, max_upload_mb=100_000)
    submit(roster, "MX-IMSS", "staffing", PERIOD, settings)
    return [
        ("archive: copy the file and hash it (sha256), alone", _timed(lambda: archive_file(path, home / "copies"))),
        ("parse the CSV (polars, piece by piece, the next piece read ahead)", _timed(lambda: read(False))),
        ("+ trimming where needed, typing (common spellings first), every row rule, failing rows picked",
         _timed(lambda: read(True))),
        ("+ two pieces at once, key hashes spilled, KEY_DUPLICATE across batches, issues worded (`validate_file`)",
         _timed(lambda: validate_file(path, contract, period))),
        ("+ archive in parallel, pseudonyms, roster comparison, lake Parquet, receipt, issues CSV, ledger (`submit`)",
         _timed(lambda: submit(path, "MX-IMSS", "training", PERIOD, settings), repeat=1)),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--no-write", action="store_true", help="print only; do not update docs/performance.md")
    args = parser.parse_args()
    sections = []
    with tempfile.TemporaryDirectory(prefix="ciess-profile-") as work:
        work = Path(work)
        roster = work / "roster.csv"
        roster_frame(args.rows).write_csv(roster)
        for label, share in (("0.5% bad rows (rejected)", 0.005), ("clean (accepted)", 0.0)):
            path = work / f"training-{share}.csv"
            training_frame(args.rows, share).write_csv(path)
            rows = phases(path, roster, work / f"home-{share}")
            lines = [f"**{args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB, {label}**", "",
                     "| phase | seconds | this phase |", "|---|---:|---:|"]  # fmt: skip
            previous = 0.0
            for index, (name, seconds) in enumerate(rows):
                step = seconds if index == 0 else seconds - previous
                lines.append(f"| {name} | {seconds:.2f} | {step:+.2f} |")
                previous = seconds if index else 0.0
            sections.append("\n".join(lines))
    text = "\n\n".join(sections)
    print(text)
    if not args.no_write:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        section = (
            f"## Where the intake's time goes, measured {stamp}\n\nMachine: {machine()}.\n"
            f"Command: `benchmarks/intake_profile.py {args.rows}`. Each line adds one phase to the line above "
            "(best of two runs, file in the page cache); the archive runs alone on the first line, and in a "
            "thread beside the checks in `submit`.\n\n"
            f"{text}\n"
        )
        write_section(ROOT / "docs" / "performance.md", section, START, END)


if __name__ == "__main__":
    main()

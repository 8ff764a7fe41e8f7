"""Resubmission diff benchmark: the intake of a training file as version 2 (compared with version 1
while it is taken in: the diff's hashes, buckets, comparison and diff.csv) against the same intake
of the same file with no previous version (version 1, no diff), each run in its own process, the
two alternated so that a machine's changing load falls on both alike. Prints one table and writes
it to docs/performance.md.

    .venv/bin/python benchmarks/diff_bench.py [--rows 1000000] [--repeat 3] [--keep DIR] [--no-write]

Version 2 is version 1 edited: 1% of the rows with their hours changed, 0.5% removed, 0.5% added
(new activities of staff already in the file), and every row moved (shuffled).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from intake_bench import INSTITUTION, PERIOD, machine, write_section  # noqa: E402

START, END = "<!-- diff benchmark: written by benchmarks/diff_bench.py -->", "<!-- end of diff benchmark -->"
CHANGED_SHARE, REMOVED_SHARE, ADDED_SHARE = 0.01, 0.005, 0.005


def _files(workdir: Path, rows: int) -> tuple[Path, Path, Path]:
    import numpy as np
    import polars as pl

    first, second, roster = (workdir / f"training-{rows}-v1.csv", workdir / f"training-{rows}-v2.csv",
                             workdir / f"roster-{rows}.csv")  # fmt: skip
    if not first.exists():
        command = [sys.executable, str(ROOT / "benchmarks" / "make_training_file.py"), str(rows), str(first),
                   "--bad-share", "0", "--roster", str(roster)]  # fmt: skip
        subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if not second.exists():
        rng = np.random.default_rng(3)
        frame = pl.read_csv(first, infer_schema=False)
        changed = pl.Series(rng.random(frame.height) < CHANGED_SHARE)
        frame = frame.with_columns(pl.when(changed).then(pl.lit("7.5")).otherwise(pl.col("hours")).alias("hours"))
        kept = frame.filter(pl.Series(rng.random(frame.height) >= REMOVED_SHARE))
        added = frame.sample(int(frame.height * ADDED_SHARE), seed=1).with_columns(
            pl.format("NEW-{}", pl.int_range(pl.len())).alias("activity_code")
        )
        pl.concat([kept, added]).sample(fraction=1.0, shuffle=True, seed=2).write_csv(second)
    return first, second, roster


def _measure(mode: str, first: str, second: str, roster: str) -> dict:
    """Runs in a child process: time the second file's intake only, report peak RSS."""
    from pipelines.common.settings import Settings
    from pipelines.intake.submission import submit

    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), max_upload_mb=100_000)
        submit(Path(roster), INSTITUTION, "staffing", PERIOD, settings)
        if mode == "with_diff":
            submit(Path(first), INSTITUTION, "training", PERIOD, settings)
        started = time.perf_counter()
        result = submit(Path(second), INSTITUTION, "training", PERIOD, settings)
        seconds = time.perf_counter() - started
    diff = result.receipt["diff"]
    outcome = f"{result.status}, version {result.receipt['version']}"
    if diff:
        outcome += f"; +{diff['added']} -{diff['removed']} ~{diff['changed']} ={diff['unchanged']}"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    return {"seconds": seconds, "peak_gib": peak, "outcome": outcome}


def _child(mode: str, files: tuple[Path, Path, Path]) -> dict:
    command = [sys.executable, __file__, "--child", mode, *map(str, files)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(rows: int, workdir: Path, repeat: int) -> list[dict]:
    files = _files(workdir, rows)
    measured: dict[str, list[dict]] = {"no_previous": [], "with_diff": []}
    for _ in range(repeat):
        for mode in measured:
            measured[mode].append(_child(mode, files))
            print(f"  {mode}: {measured[mode][-1]['seconds']:.2f} s", file=sys.stderr)
    results = []
    for mode, runs in measured.items():
        seconds = [m["seconds"] for m in runs]
        results.append({"rows": rows, "mode": mode, "runs": len(runs), "seconds": seconds,
                        "median": statistics.median(seconds), "peak_gib": max(m["peak_gib"] for m in runs),
                        "outcome": runs[0]["outcome"], "mb": files[1].stat().st_size / 1e6})  # fmt: skip
    return results


MODES = {"no_previous": "intake, no previous version (version 1, no diff)",
         "with_diff": "intake as version 2, compared with version 1 (diff, diff.csv)"}  # fmt: skip


def table(results: list[dict]) -> str:
    lines = ["| rows | MB | intake of the edited file | runs | seconds (each) | median | added by the diff | "
             "peak GiB | outcome |", "|---:|---:|---|---:|---|---:|---:|---:|---|"]  # fmt: skip
    for r in results:
        base = next(b["median"] for b in results if b["rows"] == r["rows"] and b["mode"] == "no_previous")
        added = "" if r["mode"] == "no_previous" else f"{(r['median'] / base - 1) * 100:+.0f}%"
        lines.append(f"| {r['rows']:,} | {r['mb']:.0f} | {MODES[r['mode']]} | {r['runs']} | "
                     f"{', '.join(f'{s:.2f}' for s in r['seconds'])} | {r['median']:.2f} | {added} | "
                     f"{r['peak_gib']:.2f} | {r['outcome']} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each intake (median kept)")
    parser.add_argument("--keep", metavar="DIR", help="generate the files here and keep them for the next run")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print only; do not update docs/performance.md")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(*args.child)))
        return
    with tempfile.TemporaryDirectory(prefix="ciess-diff-bench-") as scratch:
        work = Path(args.keep or scratch)
        work.mkdir(parents=True, exist_ok=True)
        results = [row for rows in args.rows for row in run(rows, work, args.repeat)]
    text = table(results)
    print(text)
    if not args.no_write:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        command = f"benchmarks/diff_bench.py --rows {' '.join(map(str, args.rows))} --repeat {args.repeat}"
        section = (f"## Resubmission diff, measured {stamp}\n\nMachine: {machine()}.\nCommand: `.venv/bin/python "
                   f"{command}`.\n\n{text}\n")  # fmt: skip
        write_section(ROOT / "docs" / "performance.md", section, START, END)


if __name__ == "__main__":
    main()

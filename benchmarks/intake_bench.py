"""Intake benchmark: our intake (`pipelines.intake.submission.submit`, every rule, receipt, issues CSV,
Parquet) against DuckDB just loading the same CSV, each in its own process so that peak memory
is that approach's alone. Prints one table and writes it to docs/performance.md.

    benchmarks/run [--quick] [--rows N ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPROACHES = {
    "duckdb_load": "DuckDB: load the CSV into a table (the floor)",
    "ciess_intake": "ciess intake (polars, batched): every rule, receipt, issues CSV, Parquet when accepted",
    "pandas_pandera": "pandas + pandera: every rule, every failing row",
    "great_expectations": "Great Expectations 1.x on pandas: every rule, every failing row",
}
PEERS = ("pandas_pandera", "great_expectations")


def _measure(approach: str, path: str, roster: str) -> dict:
    """Runs in a child process: time the work only (not imports or set-up), report peak RSS."""
    from pipelines.common.periods import Period
    from pipelines.contract.model import load_contract

    outcome = ""
    if approach == "duckdb_load":
        import duckdb

        started = time.perf_counter()
        with duckdb.connect() as connection:
            connection.execute(f"create table t as select * from read_csv('{path}')")
        seconds = time.perf_counter() - started
    elif approach == "ciess_intake":
        from pipelines.common.settings import Settings
        from pipelines.intake.submission import submit

        with tempfile.TemporaryDirectory() as home:
            settings = Settings(home=Path(home), max_upload_mb=100_000)
            submit(Path(roster), INSTITUTION, "staffing", PERIOD, settings)  # so that the roster rule runs too
            started = time.perf_counter()
            result = submit(Path(path), INSTITUTION, "training", PERIOD, settings)
            seconds = time.perf_counter() - started
            outcome = f"{result.status}, {sum(result.receipt['rule_counts'].values())} findings"
    else:
        import peers

        started = time.perf_counter()
        findings = getattr(peers, approach)(Path(path), load_contract("training"), Period.parse(PERIOD))
        seconds = time.perf_counter() - started
        outcome = f"{findings} findings"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    return {"seconds": seconds, "peak_gib": peak, "outcome": outcome}


INSTITUTION, PERIOD = "MX-IMSS", "2026-Q2"


def _file(workdir: Path, rows: int, bad_share: float) -> tuple[Path, Path]:
    label = "bad" if bad_share else "clean"
    path, roster = workdir / f"training-{rows}-{label}.csv", workdir / f"roster-{rows}.csv"
    if not path.exists():
        command = [sys.executable, str(ROOT / "benchmarks" / "make_training_file.py"), str(rows), str(path),
                   "--bad-share", str(bad_share), "--roster", str(roster)]  # fmt: skip
        subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return path, roster


def _child(approach: str, path: Path, roster: Path) -> dict:
    command = [sys.executable, __file__, "--child", approach, str(path), str(roster)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        raise SystemExit(f"{approach} on {path.name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median_run(approach: str, path: Path, roster: Path, runs: int) -> dict:
    """The run with the median time of `runs` runs (each in its own process); the peak memory
    reported is the highest of them."""
    measured = sorted((_child(approach, path, roster) for _ in range(runs)), key=lambda m: m["seconds"])
    print("    seconds: " + ", ".join(f"{m['seconds']:.2f}" for m in measured), file=sys.stderr)
    return {**measured[len(measured) // 2], "peak_gib": max(m["peak_gib"] for m in measured), "runs": runs}


def run(rows: int, workdir: Path, peers_up_to: int, repeat: int) -> list[dict]:
    """One size: the file with 0.5% bad rows through every approach, then a clean file (accepted,
    so that the intake also writes the lake's Parquet) through DuckDB and the intake. DuckDB and
    the intake run `repeat` times (the median is kept: one run can be off by a tenth); the peers,
    many times slower, once."""
    results = []
    for bad_share, approaches in ((0.005, APPROACHES), (0.0, ("duckdb_load", "ciess_intake"))):
        path, roster = _file(workdir, rows, bad_share)
        floor = None
        for approach in approaches:
            if approach in PEERS and rows > peers_up_to:
                continue
            print(f"  {rows:,} rows, {'0.5% bad' if bad_share else 'clean'}: {approach}...", file=sys.stderr)
            measured = _median_run(approach, path, roster, 1 if approach in PEERS else repeat)
            floor = floor or measured["seconds"]
            results.append({"rows": rows, "file": "0.5% bad rows" if bad_share else "clean",
                            "approach": approach, "mb": path.stat().st_size / 1e6, **measured})  # fmt: skip
        ours = next(r["seconds"] for r in results if r["approach"] == "ciess_intake" and r["rows"] == rows
                    and r["file"] == results[-1]["file"])  # fmt: skip
        for result in results:
            if result["rows"] == rows and result["file"] == results[-1]["file"]:
                result["ratio"] = result["seconds"] / floor
                result["ours_over"] = ours / result["seconds"]
    return results


def table(results: list[dict]) -> str:
    lines = ["| rows | file | MB | approach | runs | seconds (median) | ratio to DuckDB load | ours ÷ this | peak GiB "
             "| outcome |",
             "|---:|---|---:|---|---:|---:|---:|---:|---:|---|"]  # fmt: skip
    for r in results:
        lines.append(f"| {r['rows']:,} | {r['file']} | {r['mb']:.0f} | {APPROACHES[r['approach']]} | {r['runs']} | "
                     f"{r['seconds']:.2f} | {r['ratio']:.2f} | {r['ours_over']:.2f} | {r['peak_gib']:.2f} | "
                     f"{r['outcome']} |")  # fmt: skip
    return "\n".join(lines)


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one small file (200,000 rows): under two minutes")
    parser.add_argument(
        "--rows",
        type=int,
        nargs="*",
        help="file sizes in rows (default 1, 5 and 20 million; the peers up to --peers-up-to)",
    )
    parser.add_argument(
        "--peers-up-to",
        type=int,
        default=5_000_000,
        metavar="ROWS",
        help="run pandas + pandera and Great Expectations only on files up to this size",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of DuckDB's load and of the intake per file (median kept)"
    )
    parser.add_argument("--keep", metavar="DIR", help="generate the files here and keep them for the next run")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print only; do not update docs/performance.md")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(*args.child)))
        return
    sizes = [200_000] if args.quick else (args.rows or [1_000_000, 5_000_000, 20_000_000])
    with tempfile.TemporaryDirectory(prefix="ciess-bench-") as scratch:
        work = Path(args.keep or scratch)
        work.mkdir(parents=True, exist_ok=True)
        results = [row for rows in sizes for row in run(rows, work, args.peers_up_to, args.repeat)]
    text = table(results)
    print(text)
    if not args.no_write:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        command = (
            "benchmarks/run"
            + (" --quick" if args.quick else "")
            + (f" --rows {' '.join(map(str, args.rows))}" if args.rows else "")
            + (f" --peers-up-to {args.peers_up_to}" if args.peers_up_to != 5_000_000 else "")
            + (f" --repeat {args.repeat}" if args.repeat != 3 else "")
        )
        section = f"## Intake, measured {stamp}\n\nMachine: {machine()}.\nCommand: `{command}`.\n\n{text}\n"
        write_section(ROOT / "docs" / "performance.md", section)


START, END = "<!-- intake benchmark: written by benchmarks/run -->", "<!-- end of intake benchmark -->"


def write_section(path: Path, section: str, start: str = START, end: str = END) -> None:
    """Replace one benchmark's own section of the page (added at the end the first time); the
    rest of the page is kept."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    if start not in text:
        text = text.rstrip("\n") + f"\n\n{start}\n{end}\n"
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    path.write_text(f"{before}{start}\n{section}{end}{after}", encoding="utf-8")


HEADER = """# Performance

Measured by commands under `benchmarks/`, never by timed tests; each section says its command,
machine and date.
"""

if __name__ == "__main__":
    main()

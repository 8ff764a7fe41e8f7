"""Intake benchmark: our intake (`pipelines.intake.submit`, every rule, receipt, issues CSV,
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
    "ciess_intake": "ciess intake: pandas + pandera, every rule, receipt, issues CSV, Parquet",
}


def _measure(approach: str, path: str) -> dict:
    """Runs in a child process: time the work only (not imports), report peak RSS."""
    if approach == "duckdb_load":
        import duckdb

        started = time.perf_counter()
        with duckdb.connect() as connection:
            connection.execute(f"create table t as select * from read_csv('{path}')")
        seconds = time.perf_counter() - started
        outcome = ""
    else:
        from pipelines.intake import submit
        from pipelines.settings import Settings

        with tempfile.TemporaryDirectory() as home:
            started = time.perf_counter()
            result = submit(
                Path(path), "MX-IMSS", "training", "2026-Q2", Settings(home=Path(home), max_upload_mb=10_000)
            )
            seconds = time.perf_counter() - started
            outcome = f"{result.status}, {sum(result.receipt['rule_counts'].values())} issues"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    return {"seconds": seconds, "peak_gib": peak, "outcome": outcome}


def run(rows: int, workdir: Path) -> list[dict]:
    path = workdir / f"training-{rows}.csv"
    if not path.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "make_training_file.py"), str(rows), str(path)], check=True
        )
    results = []
    for approach in APPROACHES:
        command = [sys.executable, __file__, "--child", approach, str(path)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results.append({"rows": rows, "approach": approach, "mb": path.stat().st_size / 1e6, **json.loads(done.stdout)})
    floor = next(r["seconds"] for r in results if r["approach"] == "duckdb_load")
    for result in results:
        result["ratio"] = result["seconds"] / floor
    return results


def table(results: list[dict]) -> str:
    lines = ["| rows | file MB | approach | seconds | ratio to DuckDB load | peak memory GiB | outcome |",
             "|---:|---:|---|---:|---:|---:|---|"]  # fmt: skip
    for r in results:
        lines.append(f"| {r['rows']:,} | {r['mb']:.0f} | {APPROACHES[r['approach']]} | {r['seconds']:.2f} | "
                     f"{r['ratio']:.1f} | {r['peak_gib']:.2f} | {r['outcome']} |")  # fmt: skip
    return "\n".join(lines)


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one small file (200,000 rows): under two minutes")
    parser.add_argument("--rows", type=int, nargs="*", help="file sizes in rows (default 200,000 and 1,000,000)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print only; do not update docs/performance.md")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(*args.child)))
        return
    sizes = [200_000] if args.quick else (args.rows or [200_000, 1_000_000])
    with tempfile.TemporaryDirectory(prefix="ciess-bench-") as work:
        results = [row for rows in sizes for row in run(rows, Path(work))]
    text = table(results)
    print(text)
    if not args.no_write:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        command = (
            "benchmarks/run"
            + (" --quick" if args.quick else "")
            + (f" --rows {' '.join(map(str, args.rows))}" if args.rows else "")
        )
        section = f"## Intake, measured {stamp}\n\nMachine: {machine()}.\nCommand: `{command}`.\n\n{text}\n"
        write_section(ROOT / "docs" / "performance.md", section)


START, END = "<!-- intake benchmark: written by benchmarks/run -->", "<!-- end of intake benchmark -->"


def write_section(path: Path, section: str) -> None:
    """Replace the benchmark's own section of the page; the rest of the page is kept."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER + START + "\n" + END + "\n"
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    path.write_text(f"{before}{START}\n{section}{END}{after}", encoding="utf-8")


HEADER = """# Performance

Measured by commands under `benchmarks/`, never by timed tests. Each approach runs in its own
process on the same generated file (the spec's training columns, 0.5% bad rows); seconds are the
work alone (no interpreter start-up), peak memory is the process's maximum resident set.

"""

if __name__ == "__main__":
    main()

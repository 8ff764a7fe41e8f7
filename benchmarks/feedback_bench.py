"""Feedback reports benchmark: every expected institution of one quarter in the four languages, HTML
and PDF, as `ciess feedback` writes them (issue target: 41 institutions x 4 languages in under
3 minutes on the 2-core machine). Writes its section of docs/performance.md.

The home is the demo's (`ciess demo`: 41 institutions, 5 quarters, one locked): made in a new
folder unless `--home` names one the demo already filled. Each run is its own process, timed from
start to exit; the figure is the median of `--repeat` runs.

    .venv/bin/python benchmarks/feedback_bench.py [--home DIR] [--repeat 3] [--workers N] [--no-write]
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(ROOT))

from benchmarks.build_bench import machine, write_section  # noqa: E402

START = "<!-- feedback benchmark: written by benchmarks/feedback_bench.py -->"
END = "<!-- end of feedback benchmark -->"
CIESS = str(Path(sys.executable).with_name("ciess"))


def ciess(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CIESS_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"), "DO_NOT_TRACK": "1"}
    return subprocess.run([CIESS, "--home", str(home), *args], env=env, capture_output=True, text=True, check=False)


def demo_home(home: Path | None) -> Path:
    if home is not None and (home / "warehouse" / "published.duckdb").exists():
        return home
    home = home or Path(tempfile.mkdtemp(prefix="ciess-feedback-bench-"))
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    (home / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    print(f"Making the demo home in {home} (ciess demo, a few minutes) ...", file=sys.stderr)
    made = ciess(home, "demo")
    if made.returncode != 0:
        sys.exit(f"ciess demo failed:\n{made.stderr[-3000:]}")
    return home


def locked_period(home: Path) -> str:
    found = ciess(home, "query", "--format", "csv", "select max(period) from final_capacity_americas")
    value = found.stdout.strip().splitlines()[-1]
    if found.returncode != 0 or not value:
        sys.exit(f"no locked quarter in {home}: {found.stderr}")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="A demo home to reuse (default: a new one, made by `ciess demo`).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs; the median is recorded (default 3).")
    parser.add_argument("--workers", type=int, default=None, help="PDF processes (default: one per core).")
    parser.add_argument("--no-write", action="store_true", help="Print the section, do not write docs/performance.md.")
    options = parser.parse_args()

    home = demo_home(options.home)
    period = locked_period(home)
    args = ["feedback", "--period", period, *(part for lang in ("en", "es", "pt", "fr") for part in ("--lang", lang))]
    if options.workers:
        args += ["--workers", str(options.workers)]
    seconds, reports = [], 0
    for run in range(options.repeat):
        started = time.perf_counter()
        done = ciess(home, *args)
        seconds.append(time.perf_counter() - started)
        if done.returncode != 0:
            sys.exit(f"ciess feedback failed:\n{done.stderr[-3000:]}")
        reports = sum(1 for line in done.stdout.splitlines() if line.endswith(".pdf"))
        print(f"run {run + 1}: {reports} reports in {seconds[-1]:.1f} s", file=sys.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    institutions = reports // 4
    median = statistics.median(seconds)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = f"""## Feedback reports, measured {stamp}

Machine: {machine()}.
`ciess feedback --period {period}` with the four languages on the demo home: {institutions} institutions x 4
languages = {reports} reports, each as HTML and PDF (`benchmarks/feedback_bench.py`, each run its own process).

| | value |
|---|---:|
| runs | {", ".join(f"{value:.1f} s" for value in seconds)} |
| median | {median:.1f} s (target: under 180 s) |
| per report (HTML + PDF) | {median / max(reports, 1):.2f} s |
| PDF processes | {options.workers or os.cpu_count()} |
| largest process | {peak:.0f} MiB |

The data of an institution are read once and its three trend charts drawn once for its four languages
(they carry no words); the PDFs, most of the time, are written by one process per core.
"""
    print(text)
    if not options.no_write:
        write_section(ROOT / "docs" / "performance.md", text, START, END)


if __name__ == "__main__":
    main()

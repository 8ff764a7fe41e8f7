"""Warehouse benchmark at continental scale: full, no-op and incremental `ciess build`, analyst
queries on the published marts, and one quarter's regional reports. Writes its section of
docs/performance.md.

The data set is the sample generator's (sources/generator.py): every institution of the registry
at `--scale` times its `approx_staff` (1.0: full size), 8 quarters (2024-Q4 .. 2026-Q3), with the
problem files, each submitted through the normal intake (`pipelines.intake.submission.submit`, as
`ciess demo` does). Then, each command in its own process (wall time, peak memory):

1. `ciess build --full-refresh`: every current version read from the lake and every model built;
2. `--repeat` times (default 3), alternately: `ciess build` with nothing new (the fixed start-up of
   Python, Dagster, dbt, the checks), then one new submission (a corrected version of one of the
   largest CSV training files of the latest quarter: its last rows dropped) and `ciess build`, the
   incremental build; the figure of merit is (incremental - no-op) / (full - no-op), medians,
   target at most 10%;
4. analyst queries, in-process, through `pipelines.warehouse.queries.query` (a read-only connection to the
   published database, opened for each query as `ciess query` does): median of `--runs`;
5. `ciess report --period <latest>`: every subregion and the Americas, 4 languages.

    .venv/bin/python benchmarks/build_bench.py [--scale 1.0] [--home DIR] [--reuse] [--repeat 3] [--runs 20]
        [--no-write]

`--home` keeps the data set (default: a new folder under /tmp); `--reuse` measures again on a home
that an earlier run filled (no generation, no intake).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's pipelines and sources, whatever is installed

from pipelines.common.periods import Period  # noqa: E402
from pipelines.common.settings import Settings  # noqa: E402

PERIODS = [Period(2024, 4), *(Period(2025, q) for q in range(1, 5)), *(Period(2026, q) for q in range(1, 4))]
MARKER = ".ciess-build-bench"
START, END = "<!-- build benchmark: written by benchmarks/build_bench.py -->", "<!-- end of build benchmark -->"
QUERIES = {
    "one subregion's trend (capacity_by_subregion)": (
        "select period, institutions_reporting, headcount, training_coverage, hours_per_employee, completion_rate "
        "from capacity_by_subregion where subregion_code = 'ANDEAN' order by period"
    ),
    "one institution's quarter (capacity_by_institution)": (
        "select * from capacity_by_institution where institution_code = 'MX-IMSS' and period = '{latest}'"
    ),
    "country ranking (capacity_by_country)": (
        "select country_iso2, training_coverage, hours_per_employee, "
        "rank() over (order by training_coverage desc nulls last) as coverage_rank "
        "from capacity_by_country where period = '{latest}' order by coverage_rank, country_iso2"
    ),
}


# ------------------------------------------------------------------------------------------------
# Running a command in its own process: wall time and peak memory.


@dataclass
class Run:
    label: str
    command: str
    seconds: float
    tree_peak_mib: float  # the process and its children (Dagster + the dbt subprocess), sampled
    largest_mib: float  # the largest single process of them, sampled
    job_seconds: float | None = None  # the Dagster job, as `ciess build` reports it (no interpreter start-up)
    dbt_seconds: float | None = None  # dbt's own "Finished running ... in N seconds"
    steps: dict[str, float] = field(default_factory=dict)  # seconds of each Dagster step, and "start-up"
    output: str = ""


def _tree_rss(root: int) -> tuple[int, int]:
    """Resident bytes of a process and all its descendants, and of the largest of them, from /proc (Linux).
    (getrusage's ru_maxrss would count the pages a child shares with this process when it is forked.)"""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    family, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in family]
        family.update(children)
        frontier.extend(children)
    sizes = [0]
    for pid in family:
        with contextlib.suppress(OSError, IndexError, ValueError):  # the process may have ended meanwhile
            sizes.append(int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE"))
    return sum(sizes), max(sizes)


def run(label: str, home: Path, *args: str) -> Run:
    command = [sys.executable, "-m", "pipelines.cli.main", "--home", str(home), *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DO_NOT_TRACK": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total, largest = _tree_rss(process.pid)
            peak[:] = max(peak[0], total), max(peak[1], largest)
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    lines = [(time.perf_counter() - started, line) for line in process.stdout]  # progress lines, timed as they come
    output = "".join(line for _, line in lines)
    process.wait()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output[-4000:]}")
    shown = "ciess " + " ".join(args)
    result = Run(label, shown, seconds, peak[0] / 2**20, peak[1] / 2**20, output=output)
    begun = {}
    for at, line in lines:  # `ciess build` prints "  started   <step>" and "  finished  <step>"
        words = line.split()
        if len(words) == 2 and words[0] == "started":
            begun[words[1]] = at
            result.steps.setdefault("start-up", at)
        elif len(words) == 2 and words[0] == "finished" and words[1] in begun:
            result.steps[words[1]] = at - begun[words[1]]
    if args[0] == "build":
        found = re.search(r"Build log: .*\(([\d.]+) s\)", output)
        result.job_seconds = float(found.group(1)) if found else None
        log = (home / "warehouse" / "build.log").read_text(encoding="utf-8", errors="replace")
        found = re.search(r"Finished running .* in .*?([\d.]+)s\)", log)
        result.dbt_seconds = float(found.group(1)) if found else None
    print(f"  {label}: {seconds:.1f} s wall, peak {peak[0] / 2**20:.0f} MiB", flush=True)
    return result


# ------------------------------------------------------------------------------------------------
# The data set.


@dataclass
class DataSet:
    scale: float
    submissions: int
    statuses: dict[str, int]
    staffing_rows: int
    training_rows: int
    lake_mb: float
    generate_seconds: float | None = None
    submit_seconds: float | None = None


def prepare(home: Path, scale: float, reuse: bool) -> DataSet:
    settings = Settings(home=home)
    described = home / MARKER
    if reuse:
        if not described.exists():
            raise SystemExit(f"--reuse: {home} was not filled by this benchmark (no {MARKER})")
        return DataSet(**json.loads(described.read_text()))
    if home.exists() and any(home.iterdir()):
        if not described.exists():
            raise SystemExit(f"{home} is not empty and was not made by this benchmark; choose another --home")
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)

    from pipelines.intake.submission import submit
    from sources.generator import generate

    print(f"Generating the data set (scale {scale}, {len(PERIODS)} quarters) in {settings.samples_dir} ...", flush=True)
    started = time.perf_counter()
    plan = generate(settings.samples_dir, periods=PERIODS, scale=scale)
    generated = time.perf_counter() - started
    print(f"  {len(plan)} files in {generated:.0f} s; submitting them through the intake ...", flush=True)
    started = time.perf_counter()
    statuses: dict[str, int] = {}
    rows = {"staffing": 0, "training": 0}
    for number, planned in enumerate(plan, 1):
        result = submit(
            planned.path, planned.institution, planned.kind, planned.period, settings,
            received_at=planned.received_at, original_name=planned.path.name,
        )  # fmt: skip
        statuses[result.status] = statuses.get(result.status, 0) + 1
        if result.status.startswith("ACCEPTED"):
            rows[planned.kind] += result.receipt["rows"]
        if number % 50 == 0:
            print(f"  {number}/{len(plan)} submitted ({time.perf_counter() - started:.0f} s)", flush=True)
    submitted = time.perf_counter() - started
    lake = sum(path.stat().st_size for path in settings.lake_dir.rglob("*.parquet")) / 1e6
    data = DataSet(scale, len(plan), statuses, rows["staffing"], rows["training"], lake, generated, submitted)
    described.write_text(json.dumps(data.__dict__, indent=2) + "\n")
    return data


def corrected_version(home: Path, work: Path, rank: int = 0) -> tuple[Path, str, str]:
    """A new version of the rank-th largest CSV training file of the latest quarter (0: the largest):
    the current file with its last ten records dropped, written back in the institution's own layout
    (encoding, delimiter, newlines)."""
    from pipelines.common.registry import institutions
    from pipelines.intake.storing.ledger import Ledger
    from sources.writing import institution_layouts

    latest = str(PERIODS[-1])
    ledger = Ledger.of(Settings(home=home))
    candidates = [
        row for row in ledger.current_versions()
        if row.kind == "training" and row.period == latest and Path(row.archive_path).suffix in (".csv", ".txt")
    ]  # fmt: skip
    chosen = sorted(candidates, key=lambda row: (-row.rows, row.institution))[rank]
    layout = institution_layouts(institutions()[chosen.institution], 2026)["training"]
    text = (home / chosen.archive_path).read_bytes().decode(layout.encoding)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter))
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=layout.delimiter, lineterminator=layout.newline).writerows(records[:-10])
    path = work / f"{chosen.institution}-training-{latest}-v{chosen.version + 1}.csv"
    path.write_bytes(out.getvalue().encode(layout.encoding))
    return path, chosen.institution, latest


def submit_one(home: Path, path: Path, institution: str, period: str) -> dict:
    from pipelines.intake.submission import submit

    result = submit(path, institution, "training", period, Settings(home=home))
    if not result.status.startswith("ACCEPTED"):
        raise SystemExit(f"the corrected file was not accepted: {result.status} {result.receipt['rule_counts']}")
    return result.receipt


# ------------------------------------------------------------------------------------------------
# Queries, in this process.


def time_queries(home: Path, runs: int, latest: str) -> list[dict]:
    from pipelines.warehouse.queries import query

    settings = Settings(home=home)
    measured = []
    for name, sql in QUERIES.items():
        sql = sql.format(latest=latest)
        query(settings, sql)  # warm the file cache once
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            result = query(settings, sql)
            seconds.append(time.perf_counter() - started)
        median, slowest = statistics.median(seconds) * 1000, max(seconds) * 1000
        measured.append({"name": name, "sql": sql, "rows": len(result.rows), "median_ms": median, "max_ms": slowest})
        print(f"  {name}: median {measured[-1]['median_ms']:.1f} ms over {runs} runs", flush=True)
    return measured


# ------------------------------------------------------------------------------------------------
# The page.


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}, {platform.system()}"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _ratio(full: Run, noops: list[Run], incrementals: list[Run], measure) -> str:
    noop, incremental = (statistics.median(measure(run) for run in runs) for runs in (noops, incrementals))
    ratio = (incremental - noop) / (measure(full) - noop)
    return f"({incremental:.1f} - {noop:.1f}) / ({measure(full):.1f} - {noop:.1f}) = {ratio:.1%}"


def section(
    data: DataSet, command: str, runs: dict[str, list[Run]], new: list[str], queries: list[dict], query_runs: int
) -> str:
    full, noops, incrementals, report = runs["full"][0], runs["noop"], runs["incremental"], runs["report"][0]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    made = f"; generated in {data.generate_seconds:.0f} s, submitted in {data.submit_seconds:.0f} s" * bool(
        data.generate_seconds
    )
    statuses = ", ".join(f"{status} {count}" for status, count in sorted(data.statuses.items()))
    lines = [
        f"## Warehouse builds, queries and reports, measured {stamp}",
        "",
        f"Machine: {machine()}.",
        f"Command: `{command}`.",
        f"Data set: the generator at scale {data.scale} (each institution at {data.scale:g} x its `approx_staff`; "
        f"1.0 is the full continental size), 41 institutions, {len(PERIODS)} quarters "
        f"({PERIODS[0]} .. {PERIODS[-1]}), {data.submissions} files submitted through the intake ({statuses}); "
        f"current versions hold {data.staffing_rows:,} roster rows and {data.training_rows:,} training rows; "
        f"lake {data.lake_mb:,.0f} MB of Parquet{made}.",
        "",
        "Each command in its own process. Wall: the whole command. Start-up: from the command's start to the "
        "job's first step (Python, imports, Dagster definitions). Then each step of the Dagster job `warehouse_build` "
        "(lake: ledger export; dbt step: `dbt build` through dagster-dbt, in brackets dbt's own figure; Great "
        "Expectations checks; publish). Job: the whole job as `ciess build` reports it. Peak memory: the process "
        "with its children (the `dbt` subprocess), sampled every 0.2 s; in brackets the largest single process.",
        "",
        "| build | command | wall s | start-up s | lake s | dbt step s (dbt's own) | GE checks s | publish s "
        "| job s | peak memory MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for run in [full, *(run for pair in zip(noops, incrementals, strict=True) for run in pair)]:
        start_up, lake, models, checks, publish = (
            _seconds(run.steps.get(name))
            for name in ("start-up", "lake", "warehouse_models", "marts_plausibility", "published_warehouse")
        )
        lines.append(f"| {run.label} | `{run.command}` | {run.seconds:.1f} | {start_up} | {lake} | {models} "
                     f"({_seconds(run.dbt_seconds)}) | {checks} | {publish} | {_seconds(run.job_seconds)} | "
                     f"{run.tree_peak_mib:,.0f} ({run.largest_mib:,.0f}) |")  # fmt: skip
    lines += [
        "",
        f"Each incremental build follows one new submission, a corrected version of one of the largest training "
        f"files of the latest quarter: {'; '.join(new)}. No-op and incremental builds alternate.",
        "",
        "**Incremental cost above a no-op, (incremental - no-op) / (full - no-op), medians of "
        f"{len(incrementals)} and {len(noops)} (target at most 10%): wall time "
        f"{_ratio(full, noops, incrementals, lambda run: run.seconds)}; the job "
        f"{_ratio(full, noops, incrementals, lambda run: run.job_seconds)}; dbt's own time "
        f"{_ratio(full, noops, incrementals, lambda run: run.dbt_seconds)}.** Start-up and the Great Expectations "
        "checks do the same work in every build; their spread is the machine's load.",
        "",
        "Analyst queries on the published marts, through `pipelines.warehouse.queries.query` (opens the published "
        "database read-only, runs the query, fetches the rows: what `ciess query` does after start-up), "
        f"median of {query_runs}:",
        "",
        "| query | rows | median ms | max ms |",
        "|---|---:|---:|---:|",
    ]  # fmt: skip
    for item in queries:
        lines.append(
            f"| {item['name']}: `{item['sql']}` | {item['rows']} | {item['median_ms']:.1f} | {item['max_ms']:.1f} |"
        )
    lines += [
        "",
        f"Reports: `{report.command}` (6 regions x 4 languages, HTML and PDF): {report.seconds:.1f} s wall, "
        f"peak memory {report.tree_peak_mib:,.0f} MiB.",
        "",
    ]
    return "\n".join(lines)


def write_section(path: Path, text: str, start: str = START, end: str = END) -> None:
    """Replace a benchmark's own section of the page, between its markers (appended the first
    time); keep the rest."""
    page = path.read_text(encoding="utf-8")
    if start not in page:
        page = page.rstrip("\n") + f"\n\n{start}\n{end}\n"
    before, _, rest = page.partition(start)
    _, _, after = rest.partition(end)
    path.write_text(f"{before}{start}\n{text}{end}{after}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="rows per approx_staff (1.0: full continental size)")
    parser.add_argument("--home", type=Path, help="where the data set is kept (default: a new folder under /tmp)")
    parser.add_argument("--reuse", action="store_true", help="measure again on the data set already in --home")
    parser.add_argument("--runs", type=int, default=20, help="runs of each analyst query (median reported)")
    parser.add_argument("--repeat", type=int, default=3, help="no-op and incremental builds (medians reported)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not update docs/performance.md")
    args = parser.parse_args()
    if args.reuse and not args.home:
        parser.error("--reuse needs --home")
    home = (args.home or Path(tempfile.mkdtemp(prefix="ciess-build-bench-"))).resolve()

    data = prepare(home, args.scale, args.reuse)
    print(f"Data set in {home}: {data.staffing_rows:,} roster rows, {data.training_rows:,} training rows", flush=True)
    runs: dict[str, list[Run]] = {}
    runs["full"] = [run("full build", home, "build", "--full-refresh")]
    runs["noop"], runs["incremental"], new = [], [], []
    for n in range(args.repeat):  # interleaved, so that the machine's load weighs on both alike
        runs["noop"].append(run(f"no-op build ({n + 1})", home, "build"))
        with tempfile.TemporaryDirectory(prefix="ciess-bench-new-") as work:
            path, institution, period = corrected_version(home, Path(work), rank=n)
            receipt = submit_one(home, path, institution, period)
        new.append(f"{institution} training {period} version {receipt['version']} ({receipt['rows']:,} rows)")
        print(f"  new submission: {new[-1]}", flush=True)
        runs["incremental"].append(run(f"incremental build ({n + 1}): {new[-1]}", home, "build"))
    queries = time_queries(home, args.runs, period)
    runs["report"] = [run("reports", home, "report", "--period", period)]

    command = (
        ".venv/bin/python benchmarks/build_bench.py"
        + (f" --scale {args.scale:g}" if args.scale != 1.0 else "")
        + (f" --home {args.home}" if args.home else "")
        + (" --reuse" if args.reuse else "")
    )
    text = section(data, command, runs, new, queries, args.runs)
    print()
    print(text)
    if not args.no_write:
        write_section(ROOT / "docs" / "performance.md", text)
        print(f"Written to {ROOT / 'docs' / 'performance.md'}")


if __name__ == "__main__":
    main()

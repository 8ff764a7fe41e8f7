"""The long fuzzing run of the intake (issue "Hostile input"): the hypothesis strategies of
benchmarks/fuzz_files.py (those of tests/intake/test_fuzz.py, with bigger files and new seeds),
sent through `submit` (what `ciess submit` runs) in worker processes, a batch of files each, CSV
and XLSX batches in turn. Each worker has a home of its own, removed after the batch.

    .venv/bin/python benchmarks/fuzz_intake.py [--files 100000] [--minutes M] [--workers 2]
                                               [--crashes /tmp/fuzz-crashes] [--no-write]

Counted: files tried, receipts by status, crashes (an exception out of `submit`, a worker that
died or hung, a process above 1 GiB), receipts that break the property (unknown rule code, no
ledger row...), and each worker's peak memory (its maximum resident set, from wait4). Every crash
is saved with its traceback and how it was made under --crashes (printed). Prints a Markdown table
and writes it to the section "Fuzzing" of docs/reliability.md."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from intake_bench import machine  # benchmarks/ is on the path of a script run from it

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Fuzzing"
MEMORY_LIMIT = 1 << 30  # bytes: a process above it is a crash
BATCH_SECONDS = 900  # a batch still running after this long has hung: killed, and its file saved
STATUSES = ("ACCEPTED", "ACCEPTED_WITH_WARNINGS", "REJECTED", "DUPLICATE")
LEFTOVERS = ("lake/.staging/*", "archive/.incoming-*", ".scratch/*", "archive/*/*/*/.*.tmp")


def _signature(error: BaseException) -> str:
    """The kind of crash: the exception and the innermost line of the product it came through."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if "/pipelines/" in frame.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    name = type(error).__qualname__
    module = type(error).__module__
    return f"{name if module == 'builtins' else f'{module}.{name}'} at {where}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80]


def save_crash(folder: Path, signature: str, data: bytes, name: str, details: dict) -> Path:
    """The file under folder/<kind of crash>/, with what went wrong beside it (.json)."""
    where = folder / _slug(signature)
    where.mkdir(parents=True, exist_ok=True)
    suffix = Path(name).suffix or ".bin"
    path = where / f"{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
    path.write_bytes(data)
    path.with_suffix(path.suffix + ".json").write_text(
        json.dumps({"signature": signature, **details}, indent=1, ensure_ascii=False, default=str), encoding="utf-8"
    )
    return path


def _leftovers(home: Path) -> list[str]:
    return [str(path.relative_to(home)) for pattern in LEFTOVERS for path in home.glob(pattern)]


def worker(fmt: str, count: int, seed: int, work: Path, crashes: Path, huge: int, max_repeat: int) -> None:
    """One batch, in a process of its own: `count` files of `fmt` from the seed `seed`."""
    warnings.simplefilter("ignore")  # openpyxl's warnings about the workbooks' styles
    from fuzz_files import csv_files, submit_fuzzed, xlsx_files
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as with_seed

    from pipelines.common.settings import Settings

    home = Settings.from_env(work / "home")
    strategy = {"csv": csv_files, "xlsx": xlsx_files}[fmt](huge, max_repeat)
    result = {"tried": 0, "statuses": Counter(), "crashes": [], "problems": [], "slowest": 0.0, "over_limit": False}

    @with_seed(seed)
    @settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(strategy)
    def run(fuzzed) -> None:
        (work / "current.json").write_text(json.dumps({"name": fuzzed.name, "kind": fuzzed.kind,
                                                       "period": fuzzed.period, "recipe": fuzzed.recipe}))  # fmt: skip
        (work / "current.bin").write_bytes(fuzzed.data)
        result["tried"] += 1
        started = time.perf_counter()
        details = {"kind": fuzzed.kind, "institution": fuzzed.institution, "period": fuzzed.period,
                   "recipe": fuzzed.recipe, "seed": seed, "format": fmt}  # fmt: skip
        try:
            receipt, problems = submit_fuzzed(home, work, fuzzed)
        except Exception as error:  # a crash: saved, and the batch goes on
            signature = _signature(error)
            path = save_crash(crashes, signature, fuzzed.data, fuzzed.name,
                              {**details, "traceback": traceback.format_exc()})  # fmt: skip
            result["crashes"].append({"signature": signature, "file": str(path), "size": len(fuzzed.data)})
            return
        finally:
            result["slowest"] = max(result["slowest"], time.perf_counter() - started)
        result["statuses"][receipt["status"]] += 1
        if problems:
            path = save_crash(crashes, "receipt " + problems[0][:40], fuzzed.data, fuzzed.name,
                              {**details, "problems": problems, "receipt": receipt})  # fmt: skip
            result["problems"].append({"problems": problems, "file": str(path)})
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        if peak > MEMORY_LIMIT and not result["over_limit"]:  # the first file that took it over
            result["over_limit"] = True
            signature = f"memory above {MEMORY_LIMIT >> 20} MiB"
            path = save_crash(crashes, signature, fuzzed.data, fuzzed.name, {**details, "peak_bytes": peak})
            result["crashes"].append({"signature": signature, "file": str(path), "size": len(fuzzed.data)})

    run()
    result["leftovers"] = _leftovers(home.home)
    (work / "result.json").write_text(json.dumps(result, default=dict))


class Batch:
    def __init__(self, fmt: str, count: int, seed: int, crashes: Path, args) -> None:
        self.fmt, self.count, self.seed = fmt, count, seed
        self.work = Path(tempfile.mkdtemp(prefix="ciess-fuzz-"))
        command = [sys.executable, __file__, "--worker", fmt, str(count), str(seed), str(self.work),
                   "--crashes", str(crashes), "--huge", str(args.huge),
                   "--max-repeat", str(args.max_repeat)]  # fmt: skip
        self.stderr = open(self.work / "stderr.txt", "wb")  # noqa: SIM115 (closed in finish)
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self.stderr,
                                        env={**os.environ, "DO_NOT_TRACK": "1"}, start_new_session=True)  # fmt: skip
        self.started = time.monotonic()

    def poll(self):
        """(exit status, peak RSS in bytes) once the worker has ended, else None; the worker is
        killed when it has run too long."""
        if time.monotonic() - self.started > BATCH_SECONDS:
            os.killpg(self.process.pid, signal.SIGKILL)
        pid, status, usage = os.wait4(self.process.pid, os.WNOHANG)
        if pid == 0:
            return None
        self.process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: wait4 gives its own peak
        self.stderr.close()
        return self.process.returncode, usage.ru_maxrss * 1024

    def finish(self, code: int, crashes: Path) -> dict:
        """The worker's counts; a worker that died is a crash with the file it was on."""
        done = self.work / "result.json"
        if done.exists():
            result = json.loads(done.read_text())
        else:
            tried = (self.work / "current.bin").exists()
            result = {"tried": 1 if tried else 0, "statuses": {}, "crashes": [], "problems": [], "slowest": 0,
                      "leftovers": []}  # fmt: skip
            stderr = (self.work / "stderr.txt").read_text(errors="replace")[-5000:]
            signature = "worker hung" if time.monotonic() - self.started > BATCH_SECONDS else f"worker died ({code})"
            if tried:
                meta = json.loads((self.work / "current.json").read_text())
                data = (self.work / "current.bin").read_bytes()
                path = save_crash(crashes, signature, data, meta["name"], {**meta, "stderr": stderr, "seed": self.seed})
                result["crashes"].append({"signature": signature, "file": str(path), "size": len(data)})
            else:
                result["crashes"].append({"signature": signature, "file": None, "size": 0, "stderr": stderr})
        shutil.rmtree(self.work, ignore_errors=True)
        return result


def run(args) -> dict:
    crashes = Path(args.crashes)
    crashes.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + args.minutes * 60 if args.minutes else None
    totals = {fmt: {"files": 0, "statuses": Counter(), "crashes": [], "problems": [], "peak": 0, "slowest": 0.0,
                    "leftovers": []} for fmt in ("csv", "xlsx")}  # fmt: skip
    running: list[Batch] = []
    launched = 0
    base_seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    started = time.monotonic()
    next_report = started + 60
    while True:
        planned = sum(batch.count for batch in running) + sum(t["files"] for t in totals.values())
        more = planned < args.files and (deadline is None or time.monotonic() < deadline)
        while more and len(running) < args.workers:
            fmt = ("csv", "xlsx")[launched % 2]
            count = min(args.batch, args.files - planned)
            running.append(Batch(fmt, count, base_seed + launched, crashes, args))
            launched += 1
            planned += count
            more = planned < args.files
        if not running:
            break
        time.sleep(0.2)
        for batch in list(running):
            ended = batch.poll()
            if ended is None:
                continue
            running.remove(batch)
            code, peak = ended
            result = batch.finish(code, crashes)
            total = totals[batch.fmt]
            total["files"] += result["tried"]
            total["statuses"].update(result["statuses"])
            total["crashes"] += result["crashes"]
            total["problems"] += result["problems"]
            total["leftovers"] += result.get("leftovers", [])
            total["peak"] = max(total["peak"], peak)
            total["slowest"] = max(total["slowest"], result["slowest"])
        if time.monotonic() > next_report:
            next_report += 60
            files = sum(t["files"] for t in totals.values())
            bad = sum(len(t["crashes"]) + len(t["problems"]) for t in totals.values())
            print(f"  {files:,} files, {bad} crashes or wrong receipts, {time.monotonic() - started:.0f} s",
                  file=sys.stderr, flush=True)  # fmt: skip
    return {"totals": totals, "seconds": time.monotonic() - started, "seed": base_seed, "crashes": crashes}


def table(outcome: dict) -> str:
    totals = outcome["totals"]
    lines = ["| format | files | " + " | ".join(STATUSES) + " | crashes | wrong receipts | leftovers | "
             "peak memory of a worker | slowest file |",
             "|---|---:|" + "---:|" * len(STATUSES) + "---:|---:|---:|---:|---:|"]  # fmt: skip
    rows = [*totals.items(), ("all", _all(totals))]
    for fmt, total in rows:
        statuses = " | ".join(f"{total['statuses'].get(status, 0):,}" for status in STATUSES)
        lines.append(f"| {fmt} | {total['files']:,} | {statuses} | {len(total['crashes'])} "
                     f"| {len(total['problems'])} | {len(total['leftovers'])} | {total['peak'] / 2**20:.0f} MiB "
                     f"| {total['slowest']:.1f} s |")  # fmt: skip
    return "\n".join(lines)


def _all(totals: dict) -> dict:
    merged = {"files": 0, "statuses": Counter(), "crashes": [], "problems": [], "leftovers": [], "peak": 0,
              "slowest": 0.0}  # fmt: skip
    for total in totals.values():
        for key in ("files", "statuses", "crashes", "problems", "leftovers"):
            merged[key] += total[key]
        merged["peak"] = max(merged["peak"], total["peak"])
        merged["slowest"] = max(merged["slowest"], total["slowest"])
    return merged


def crash_lines(outcome: dict) -> list[str]:
    """One line per kind of crash: how many, and the smallest file that shows it."""
    found: dict[str, list[dict]] = {}
    for total in outcome["totals"].values():
        for crash in total["crashes"]:
            found.setdefault(crash["signature"], []).append(crash)
        for problem in total["problems"]:
            found.setdefault("wrong receipt: " + problem["problems"][0], []).append({**problem, "size": 0})
    lines = []
    for signature, seen in sorted(found.items(), key=lambda item: -len(item[1])):
        smallest = min(seen, key=lambda crash: crash["size"])
        lines.append(f"- {signature}: {len(seen)} files; smallest: `{smallest['file']}` ({smallest['size']:,} bytes)")
    return lines


def replace_section(path: Path, heading: str, section: str) -> None:
    """Put `section` (which starts with `heading`) in place of the page's section of that heading,
    up to the next `## `; added at the end the first time. The rest of the page is kept."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Reliability\n\n"
    if heading + "\n" in text:
        start = text.index(heading + "\n")
        following = text.find("\n## ", start + len(heading))
        text = text[:start] + section.rstrip("\n") + "\n" + (text[following:] if following != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100_000, help="files to try (default 100,000)")
    parser.add_argument("--minutes", type=float, help="stop starting batches after this long")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="processes at once (default: cores)")
    parser.add_argument("--batch", type=int, default=500, help="files per worker process")
    parser.add_argument("--crashes", default="/tmp/fuzz-crashes", help="where the crashing files are saved")
    parser.add_argument("--seed", type=int, help="the first batch's seed (default: random; each batch +1)")
    parser.add_argument("--huge", type=int, default=200_000, help="characters of the longest value")
    parser.add_argument("--max-repeat", type=int, default=2_000, help="times the rows of a file may repeat")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/reliability.md as it is")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        fmt, count, seed, work = args.worker
        worker(fmt, int(count), int(seed), Path(work), Path(args.crashes), args.huge, args.max_repeat)
        return
    bound = f", at most {args.minutes:g} minutes" if args.minutes else ""
    print(f"Fuzzing the intake: {args.files:,} files{bound}, {args.workers} workers; crashes go to {args.crashes}",
          file=sys.stderr)  # fmt: skip
    outcome = run(args)
    files = sum(total["files"] for total in outcome["totals"].values())
    command = "`.venv/bin/python benchmarks/fuzz_intake.py"
    command += f" --files {args.files}" if args.files != 100_000 else ""
    command += (f" --minutes {args.minutes:g}" if args.minutes else "") + "`"
    crashes = crash_lines(outcome)
    section = "\n".join([
        SECTION, "",
        f"Measured on {datetime.now(UTC):%Y-%m-%d}, {machine()}, with {command} (`make fuzz`): {files:,} hostile "
        f"files in {outcome['seconds'] / 60:.1f} minutes, {args.workers} worker processes of {args.batch} files "
        f"each, first seed {outcome['seed']}. The strategies are those of `tests/intake/test_fuzz.py` "
        "(`benchmarks/fuzz_files.py`); each file goes through `submit`, as `ciess submit` sends it. A crash is "
        "an exception out of `submit`, a worker that died or hung, or a process above 1 GiB; a wrong receipt "
        "breaks the property (status, rule codes of the catalogue, one ledger row per decision, the lake file of "
        "an accepted file); leftovers are files left in the staging and scratch folders after a batch. Peak "
        "memory is the highest resident set of a worker over its whole batch.", "",
        table(outcome), "",
        *(["Crashes, by kind (the files are kept under the folder named):", "", *crashes, ""] if crashes else []),
    ])  # fmt: skip
    print(section)
    if not args.no_write:
        replace_section(ROOT / "docs" / "reliability.md", SECTION, section)


if __name__ == "__main__":
    main()

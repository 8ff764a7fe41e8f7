"""Kill -9 at random points of the intake (issue "Hostile input"): `ciess submit` of a training
file that takes a second or two is started and killed after a random delay, again and again, on
one home. After each kill:

- which point it reached is told from what it left (an `.incoming` copy, staged rows, a receipt
  with no ledger row, a lake file the ledger does not know, a ledger row);
- the ledger's rows must still agree with the archive and the lake (each row's archived file,
  receipt and issues list exist; each accepted row has its lake file; versions have no gap);
- the home is aged past the 10 minutes that `ciess doctor` leaves alone, `ciess doctor --repair`
  is run, and then nothing may be left (no lake file or receipt the ledger does not know, nothing
  in the staging and scratch folders, no half-written file);
- a following normal `ciess submit` must be accepted, with the next version.

At the end (unless --no-build), `ciess build` on this home must publish the same marts as a
build on a fresh home where only the ledger's current files are sent again.

    .venv/bin/python benchmarks/kill_intake.py [--kills 100] [--rows 300000] [--no-build] [--no-write]

tests/intake/storing/test_kill_points.py runs 10 kills of the same code (without the build)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CIESS = Path(sys.executable).with_name("ciess")
SECTION = "## Kill -9 during intake"
INSTITUTION, PERIOD = "AR-ANSES", "2026-Q2"
OLD = 2 * 3600  # seconds: a killed process's leftovers are aged this much, past what doctor leaves alone
LEFTOVERS = ("lake/.staging/*", "archive/.incoming-*", ".scratch/*", ".pending-uploads/*", ".upload-*")
HALF_WRITTEN = ("archive/*/*/*/.*.tmp", "lake/**/*.partial", "lake/**/.*.tmp")

FINISHED = "finished before the kill"
STARTING = "starting: nothing written yet"
ARCHIVING = "copying into the archive"
CHECKING = "checking: file archived, rows staged"
DECIDING = "deciding: receipt or issues list being written, no ledger row"
PLACED = "lake file placed, no ledger row"
COMMITTED = "committed, not yet exited"
PHASES = (STARTING, ARCHIVING, CHECKING, DECIDING, PLACED, COMMITTED, FINISHED)

# `ciess ARGS...` on a home: (exit status, standard output)
Runner = Callable[..., tuple[int, str]]


def subprocess_runner(home: Path) -> Runner:
    def run(*args) -> tuple[int, str]:
        done = subprocess.run([str(CIESS), "--home", str(home), *map(str, args)], capture_output=True, text=True,
                              env={**os.environ, "DO_NOT_TRACK": "1"})  # fmt: skip
        return done.returncode, done.stdout + done.stderr

    return run


@dataclass(frozen=True)
class Files:
    roster: Path
    training: Path
    row: list[str]  # a data row of the training file, to make rows that no other file has


def make_files(folder: Path, rows: int) -> Files:
    """A training file of `rows` rows, every one valid, and the roster its staff belong to."""
    from make_training_file import roster_frame, training_frame

    folder.mkdir(parents=True, exist_ok=True)
    roster, training = folder / "roster.csv", folder / "training.csv"
    roster_frame(rows).write_csv(roster)
    training_frame(rows, bad_share=0.0).write_csv(training)
    with open(training, encoding="utf-8") as handle:
        handle.readline()
        row = handle.readline().rstrip("\n").split(",")
    return Files(roster, training, row)


def variant(files: Files, target: Path, number: int, head: int | None = None) -> Path:
    """The training file (or its first `head` rows) and one row of its own: a content that no
    other submission has."""
    row = list(files.row)
    row[1] = f"KILL-{number}"  # activity_code: part of the key
    if head is None:
        shutil.copyfile(files.training, target)
    else:
        with open(files.training, "rb") as source, open(target, "wb") as copy:
            for _ in range(head + 1):
                copy.write(source.readline())
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(",".join(row) + "\n")
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _ledger(home: Path) -> list[dict]:
    path = home / "ledger.sqlite"
    if not path.exists():
        return []
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("select * from submissions order by received_at")]


def _lake_files(home: Path) -> list[Path]:
    return sorted((home / "lake").glob("*/*/*/version=*/rows.parquet"))


def _glob(home: Path, patterns) -> list[Path]:
    return sorted(path for pattern in patterns for path in home.glob(pattern))


def phase_of(home: Path, before: set[str], sha: str, killed: bool) -> str:
    """How far the killed intake got, from what it left in the home."""
    if not killed:
        return FINISHED
    rows = _ledger(home)
    if {row["submission_id"] for row in rows} - before:
        return COMMITTED
    known = {row["lake_path"] for row in rows if row["lake_path"]}
    if any(str(path.relative_to(home)) not in known for path in _lake_files(home)):
        return PLACED
    folder = home / "archive" / sha[:2] / sha
    submissions = [inner for inner in folder.iterdir() if inner.is_dir()] if folder.is_dir() else []
    if any(any(inner.iterdir()) for inner in submissions if inner.name not in before):
        return DECIDING
    if _glob(home, ["archive/.incoming-*"]):
        return ARCHIVING
    if folder.is_dir() or _glob(home, ["lake/.staging/*", ".scratch/*"]):
        return CHECKING
    return STARTING


def ledger_problems(home: Path) -> list[str]:
    """What the ledger says that the archive and the lake do not hold (must be nothing, even
    straight after a kill): each row's files, each accepted row's lake file, gap-free versions."""
    problems = []
    try:
        rows = _ledger(home)
    except sqlite3.DatabaseError as error:
        return [f"the ledger cannot be read: {error}"]
    versions: dict[tuple, list[int]] = {}
    for row in rows:
        sid = row["submission_id"]
        for column in ("archive_path", "receipt_path", "issues_path"):
            if not (home / row[column]).is_file():
                problems.append(f"ledger row {sid} ({row['status']}): its {column} {row[column]} is missing")
        if row["status"].startswith("ACCEPTED"):
            if not row["lake_path"]:
                problems.append(f"ledger row {sid} ({row['status']} v{row['version']}) has no lake_path")
            versions.setdefault((row["institution"], row["kind"], row["period"]), []).append(row["version"])
        if row["lake_path"] and not (home / row["lake_path"]).is_file():
            problems.append(f"ledger row {sid} ({row['status']} v{row['version']}): lake file {row['lake_path']} "
                            "is missing")  # fmt: skip
        receipt = home / row["receipt_path"]
        if receipt.is_file():
            said = json.loads(receipt.read_text(encoding="utf-8"))
            if (said.get("status"), said.get("version")) != (row["status"], row["version"]):
                problems.append(f"ledger row {sid}: {row['status']} v{row['version']}, its receipt says "
                                f"{said.get('status')} v{said.get('version')}")  # fmt: skip
    for slot, found in versions.items():
        if sorted(found) != list(range(1, len(found) + 1)):
            problems.append(f"versions of {'/'.join(slot)} are {sorted(found)}: not 1..{len(found)}")
    return problems


def orphans(home: Path) -> list[str]:
    """What the ledger does not know, or what was left half-written (must be nothing after
    `ciess doctor --repair`)."""
    rows = _ledger(home)
    known_lake = {row["lake_path"] for row in rows if row["lake_path"]}
    ids = {row["submission_id"] for row in rows}
    found = [f"lake file the ledger does not know: {path.relative_to(home)}"
             for path in _lake_files(home) if str(path.relative_to(home)) not in known_lake]  # fmt: skip
    receipts = sorted((home / "archive").glob("*/*/*/receipt.json"))
    found += [f"receipt the ledger does not know: {path.relative_to(home)}"
              for path in receipts if path.parent.name not in ids]  # fmt: skip
    found += [f"leftover: {path.relative_to(home)}" for path in _glob(home, LEFTOVERS)]
    found += [f"half-written file: {path.relative_to(home)}" for path in _glob(home, HALF_WRITTEN)]
    return found


def age(home: Path) -> None:
    """Everything in the home made older than any running process could be (as if doctor ran
    hours after the kill); the killed process is dead, so nothing is running."""
    old = time.time() - OLD
    for path in [home, *home.rglob("*")]:
        os.utime(path, (old, old), follow_symlinks=False)


@dataclass
class Kill:
    phase: str
    seconds: float
    mended: Counter = field(default_factory=Counter)  # what doctor --repair did, by kind
    problems: list[str] = field(default_factory=list)  # inconsistencies: must be none
    next_version: int | None = None


def kill_once(home: Path, runner: Runner, path: Path, delay: float, after: Path, kind: str = "training") -> Kill:
    """`ciess submit PATH` killed -9 after `delay` seconds; then the checks, doctor --repair and
    the next submission (of `after`), which must get the next version."""
    before = {row["submission_id"] for row in _ledger(home)}
    sha = _sha256(path)
    command = [str(CIESS), "--home", str(home), "submit", str(path), "--institution", INSTITUTION, "--kind", kind,
               "--period", PERIOD, "--json"]  # fmt: skip
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                               env={**os.environ, "DO_NOT_TRACK": "1"})  # fmt: skip
    try:
        process.wait(timeout=delay)
        killed = False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        killed = True
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    kill = Kill(phase_of(home, before, sha, killed), time.monotonic() - started)
    if not killed and process.returncode != 0:
        kill.problems.append(f"the submission that was not killed exited {process.returncode}: {stderr[-800:]}")
    kill.problems += ledger_problems(home)

    age(home)
    code, output = runner("doctor", "--repair")
    for line in output.splitlines():
        if line.startswith("mended"):
            kill.mended[line.split(":", 1)[0].removeprefix("mended").strip()] += 1
    if code != 0:
        kill.problems.append(f"ciess doctor --repair exited {code}: {output.strip()[-800:]}")
    kill.problems += [f"after doctor --repair: {problem}" for problem in orphans(home) + ledger_problems(home)]
    code, output = runner("doctor")
    if code != 0:
        kill.problems.append(f"ciess doctor after --repair exited {code}: {output.strip()[-800:]}")

    current = [row["version"] for row in _ledger(home)
               if row["kind"] == kind and row["status"].startswith("ACCEPTED")]  # fmt: skip
    expected = max(current, default=0) + 1
    code, output = runner("submit", after, "--institution", INSTITUTION, "--kind", kind, "--period", PERIOD, "--json")
    try:
        receipt = json.loads(output[output.index("{") : output.rindex("}") + 1])
    except ValueError:
        receipt = {}
    kill.next_version = receipt.get("version")
    if not str(receipt.get("status", "")).startswith("ACCEPTED") or receipt.get("version") != expected:
        kill.problems.append(f"the next submission: exit {code}, {receipt.get('status')} v{receipt.get('version')} "
                             f"(expected ACCEPTED v{expected}): {output.strip()[-800:]}")  # fmt: skip
    kill.problems += [f"after the next submission: {problem}" for problem in ledger_problems(home)]
    return kill


def calibrate(home: Path, runner: Runner, files: Files, folder: Path) -> float:
    """The roster in, then one training file in without a kill: how long a whole intake takes."""
    code, output = runner("submit", files.roster, "--institution", INSTITUTION, "--kind", "staffing", "--period",
                          PERIOD, "--json")  # fmt: skip
    if code != 0:
        raise SystemExit(f"the roster was not accepted: {output[-2000:]}")
    first = variant(files, folder / "first.csv", 0)
    started = time.monotonic()
    command = [str(CIESS), "--home", str(home), "submit", str(first), "--institution", INSTITUTION,
               "--kind", "training", "--period", PERIOD, "--json"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0 or '"ACCEPTED"' not in done.stdout:
        raise SystemExit(f"the training file was not accepted: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    first.unlink()
    return seconds


def kills(home: Path, runner: Runner, files: Files, folder: Path, count: int, seed: int, say=None) -> list[Kill]:
    """Runs of `ciess submit` until `count` of them were killed mid-intake: half at a delay spread
    over a whole intake, half near its end, where the decision (receipt, lake file, ledger row) is
    made. How long a whole intake takes is the median of the last runs that finished before their
    kill (checked the same way, and listed as such)."""
    finished = [calibrate(home, runner, files, folder)]
    chance = random.Random(seed)
    done: list[Kill] = []
    seen: set[str] = set()  # an inconsistency that stays is counted at the run that made it
    number = 0
    while sum(kill.phase != FINISHED for kill in done) < count and number < 3 * count:
        number += 1
        whole = statistics.median(finished[-5:])
        path = variant(files, folder / "killed.csv", 2 * number)
        after = variant(files, folder / "after.csv", 2 * number + 1, head=2_000)
        delay = chance.uniform(0.15, 1.0) * whole if number % 2 else chance.uniform(0.75, 1.0) * whole
        kill = kill_once(home, runner, path, delay, after)
        kill.problems = [problem for problem in kill.problems if problem not in seen]  # each said once
        seen.update(kill.problems)
        done.append(kill)
        if kill.phase == FINISHED:
            finished.append(kill.seconds)
        if say:
            killed = sum(kill.phase != FINISHED for kill in done)
            say(f"  run {number} ({killed}/{count} killed), after {delay:.2f} s: {kill.phase}; mended "
                f"{sum(kill.mended.values())}; {len(kill.problems)} inconsistencies"
                + "".join(f"\n    {p}" for p in kill.problems))  # fmt: skip
        path.unlink()
        after.unlink()
    return done


def table(done: list[Kill]) -> str:
    lines = ["| point reached at the kill | runs | inconsistencies | leftovers removed | lake files removed | "
             "receipts set aside | next submission took the next version |",
             "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for phase in [*PHASES, "all"]:
        chosen = [kill for kill in done if phase in ("all", kill.phase)]
        if not chosen:
            continue
        mended = sum((kill.mended for kill in chosen), Counter())
        leftovers = mended["left by a process that died"]
        lake = mended["a lake file the ledger does not know (never in the warehouse)"]
        receipts = sum(count for kind, count in mended.items() if kind.startswith("a receipt"))
        good = sum(1 for kill in chosen if not any("next submission" in p for p in kill.problems))
        label = f"**{phase}**" if phase == "all" else phase
        lines.append(f"| {label} | {len(chosen)} | {sum(len(kill.problems) for kill in chosen)} | {leftovers} | "
                     f"{lake} | {receipts} | {good} of {len(chosen)} |")  # fmt: skip
    return "\n".join(lines)


def _marts(home: Path) -> dict[str, list[tuple]]:
    """The published marts' rows, without the columns that name a submission, a version or a
    moment (they differ between two homes that hold the same data)."""
    import duckdb

    from pipelines.warehouse.catalog import published_marts

    skipped = ("submission", "version", "received", "_at", "invocation", "built", "late", "supersede")
    found = {}
    with duckdb.connect(str(home / "warehouse" / "published.duckdb"), read_only=True) as connection:
        for name in published_marts():
            columns = [row[0] for row in connection.execute(f"describe marts.{name}").fetchall()]
            kept = [column for column in columns if not any(word in column for word in skipped)]
            rows = connection.execute(f"select {', '.join(kept)} from marts.{name}").fetchall()
            found[name] = sorted((tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows),
                                 key=repr)  # fmt: skip
    return found


# The marts that count submissions (how many versions, which rules fired in each) differ, rightly,
# from a home where only the current files were sent: compared are those that hold the data.
HISTORY_MARTS = ("submission_compliance", "submission_rule_counts", "cycle_events", "return_status",
                 "regional_quality_by_rule")  # fmt: skip


def compare_with_rebuild(home: Path, folder: Path) -> list[str]:
    """`ciess build` on the home, and on a fresh home where only the ledger's current files are
    sent again (with the same pseudonym key): the marts must be the same."""
    runner = subprocess_runner(home)
    code, output = runner("build")
    if code != 0:
        return [f"ciess build on the killed home failed: {output[-1500:]}"]
    fresh = folder / "fresh-home"
    shutil.rmtree(fresh, ignore_errors=True)
    (fresh / "secrets").mkdir(parents=True)
    for key in (home / "secrets").iterdir():
        shutil.copy2(key, fresh / "secrets" / key.name)
    current = [row for row in _ledger(home) if row["status"].startswith("ACCEPTED")]
    latest: dict[tuple, dict] = {}
    for row in current:
        slot = (row["institution"], row["kind"], row["period"])
        if slot not in latest or row["version"] > latest[slot]["version"]:
            latest[slot] = row
    again = subprocess_runner(fresh)
    for row in sorted(latest.values(), key=lambda row: row["kind"] != "staffing"):  # the roster first
        code, output = again("submit", home / row["archive_path"], "--institution", row["institution"], "--kind",
                             row["kind"], "--period", row["period"], "--json")  # fmt: skip
        if code != 0:
            return [f"re-submitting {row['archive_path']} on a fresh home failed: {output[-1500:]}"]
    code, output = again("build")
    if code != 0:
        return [f"ciess build on the fresh home failed: {output[-1500:]}"]
    ours, theirs = _marts(home), _marts(fresh)
    problems = []
    for name in ours:
        if name in HISTORY_MARTS:
            continue
        if ours[name] != theirs.get(name):
            extra = [row for row in ours[name] if row not in theirs.get(name, [])][:3]
            problems.append(f"mart {name} differs from the clean rebuild ({len(ours[name])} rows against "
                            f"{len(theirs.get(name, []))}; first rows not in the rebuild: {extra})")  # fmt: skip
    return problems


def replace_section(path: Path, heading: str, section: str) -> None:
    from fuzz_intake import replace_section as replace

    replace(path, heading, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=100, help="how many kills (default 100)")
    parser.add_argument("--rows", type=int, default=300_000, help="rows of the training file killed (default 300,000)")
    parser.add_argument("--seed", type=int, default=None, help="of the delays (default: random)")
    parser.add_argument("--keep", metavar="DIR", help="work here and keep the home (default: a temporary folder)")
    parser.add_argument("--no-build", action="store_true", help="leave out the final build and its comparison")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/reliability.md as it is")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    folder = Path(args.keep or tempfile.mkdtemp(prefix="ciess-kills-"))
    home = folder / "home"
    shutil.rmtree(home, ignore_errors=True)
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    say(f"Kill -9 during intake: {args.kills} kills of `ciess submit` ({args.rows:,} rows) on {home}")
    files = make_files(folder / "files", args.rows)
    started = time.monotonic()
    done = kills(home, subprocess_runner(home), files, folder, args.kills, seed, say)
    rebuild = None if args.no_build else compare_with_rebuild(home, folder)
    minutes = (time.monotonic() - started) / 60
    killed = sum(kill.phase != FINISHED for kill in done)
    problems = [problem for kill in done for problem in kill.problems] + (rebuild or [])
    size = files.training.stat().st_size / 1e6
    if rebuild is None:
        build_line = "The final build and its comparison with a clean rebuild were left out (--no-build)."
    elif rebuild:
        build_line = "The marts after the kills differ from a clean rebuild: " + "; ".join(rebuild)
    else:
        build_line = ("`ciess build` on the home after the kills published the same marts as a build on a fresh home "
                      "where only the ledger's current files were sent again (the data marts, without the columns "
                      "that name a submission, a version or a moment; the marts of the submission history are left "
                      "out, as they rightly count every version).")  # fmt: skip
    command = "`.venv/bin/python benchmarks/kill_intake.py" + (f" --kills {args.kills}" if args.kills != 100 else "")
    command += (f" --rows {args.rows}" if args.rows != 300_000 else "") + "`"
    section = "\n".join([
        SECTION, "",
        f"Measured on {datetime.now(UTC):%Y-%m-%d}, {machine()}, with {command} (`make fuzz`), seed {seed}: "
        f"{killed} kills in {minutes:.1f} minutes (and {len(done) - killed} runs that finished before their kill, "
        "checked the same way). Each kill is a `kill -9` of `ciess submit` of a training "
        f"file of {args.rows:,} rows ({size:.0f} MB, {INSTITUTION} {PERIOD}, its roster accepted first) at a "
        "random moment of the intake; the point it reached is told from what it left. Then: the ledger must "
        "agree with the archive and the lake; the home is aged past the 10 minutes doctor leaves alone and "
        "`ciess doctor --repair` run, after which nothing the ledger does not know, nothing in the staging "
        "and scratch folders and no half-written file may be left; and a next `ciess submit` must be "
        "accepted with the next version. An inconsistency is any of these that fails.", "",
        table(done), "",
        build_line, "",
        *(["Inconsistencies:", "", *(f"- {problem}" for problem in problems), ""] if problems else []),
    ])  # fmt: skip
    print(section)
    if not args.no_write:
        replace_section(ROOT / "docs" / "reliability.md", SECTION, section)
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


def machine() -> str:
    from intake_bench import machine as described

    return described()


if __name__ == "__main__":
    main()

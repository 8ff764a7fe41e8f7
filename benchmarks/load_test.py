"""Load test of the portal as a deadline day would bring it (issue #18), bounded in count and time,
on loopback only: the portal with several uvicorn workers (`ciess up`'s command) on a new home;
60 clients upload at once, each for one institution of the registry (so some institutions have two
clients on the same slots), several files each (a roster, a training file, the same training file
again, which is a DUPLICATE, and a corrected one, a new version; each with replace=true, as a script
that knows it may replace would send them); GET traffic (the history, the
home page) alongside; and one token that asks far more than its rate limit, across the workers.

Pass: every upload gets its receipt (201); no 5xx; versions are gap-free per slot in the ledger;
the over-asking token gets exactly its limit. Prints the receipt's p50/p95 latency and writes the
figures to docs/performance.md, one section per backend.

    .venv/bin/python benchmarks/load_test.py [--workers 4] [--clients 60] [--rows 2000] [--no-write]
    .ci/with-postgres sh -c '.venv/bin/python benchmarks/load_test.py --postgres "$CIESS_TEST_POSTGRES_URL"'
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from make_training_file import roster_frame, training_frame  # noqa: E402

from benchmarks.build_bench import machine, write_section  # noqa: E402

MARKERS = {  # where each backend's figures go in docs/performance.md
    "SQLite": ("<!-- load test: written by benchmarks/load_test.py -->", "<!-- end of load test -->"),
    "PostgreSQL": ("<!-- load test on PostgreSQL: written by benchmarks/load_test.py -->",
                   "<!-- end of load test on PostgreSQL -->"),
}  # fmt: skip
PERIOD = "2026-Q2"
RATE_LIMIT = 100  # per token per minute: above what a client of the test sends, below the over-asking token's
OVER_ASKING = 250


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_files(folder: Path, rows: int) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"roster": folder / "roster.csv", "training": folder / "training.csv", "corrected": folder / "fix.csv"}
    roster_frame(rows).write_csv(files["roster"])
    training = training_frame(rows * 3, bad_share=0.0)
    training.write_csv(files["training"])
    training.head(len(training) - 5).write_csv(files["corrected"])  # a new version: five rows fewer
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=60)
    parser.add_argument(
        "--rows", type=int, default=2000, help="Roster rows (the training file has three times as many)."
    )
    parser.add_argument("--minutes", type=float, default=10, help="Give up after this long.")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--postgres", metavar="URL", help="Run on PostgreSQL: a new database is made (and "
                        "dropped after) on the server of URL, whose role may create databases.")  # fmt: skip
    options = parser.parse_args()
    database = new_database(options.postgres) if options.postgres else None
    try:
        load(options, database)
    finally:
        if database:
            drop_database(options.postgres, database)


def new_database(admin_url: str) -> str:
    import psycopg

    name = f"ciess_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'create database "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_database(admin_url: str, url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'drop database if exists "{url.rsplit("/", 1)[1]}" with (force)')


def load(options, database: str | None) -> None:
    from pipelines.common.registry import institutions
    from pipelines.common.settings import Settings
    from pipelines.portal.auth import TokenStore

    if database:
        os.environ["CIESS_DATABASE_URL"] = database  # this process's tokens, and the workers'
    else:
        os.environ.pop("CIESS_DATABASE_URL", None)
    home = Path(tempfile.mkdtemp(prefix="ciess-load-"))
    files = make_files(home.parent / f"{home.name}-files", options.rows)
    codes = sorted(institutions())
    settings = Settings.from_env(home)
    store = TokenStore.of(settings)
    tokens = {code: store.create(code)[0] for code in codes}
    hammer = store.create(codes[0], label="over-asking")[0]
    port = free_port()
    env = {**os.environ, "CIESS_HOME": str(home), "DO_NOT_TRACK": "1", "CIESS_RATE_LIMIT": str(RATE_LIMIT),
           "CIESS_PAGE_RATE_LIMIT": "100000"}  # fmt: skip
    log = open(home / "portal.log", "wb")  # noqa: SIM115 (open while the server runs: closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "pipelines.cli.serving:portal_app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(options.workers), "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        results = run(base, codes, tokens, hammer, files, options)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
        log.close()
    report(results, settings, options)


def run(base, codes, tokens, hammer, files, options) -> dict:
    uploads: list[tuple[float, int, str]] = []  # seconds, status, receipt status
    refused: list[str] = []  # the first answers that were not a receipt, to say why
    statuses: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()
    limit = time.monotonic() + options.minutes * 60

    def upload(client: httpx.Client, token: str, path: Path, kind: str) -> None:
        started = time.perf_counter()
        with open(path, "rb") as handle:
            form = {"kind": kind, "period": PERIOD, "replace": "true"}
            answer = client.post(base + "/api/submissions", headers={"Authorization": f"Bearer {token}"},
                                 data=form, files={"file": (path.name, handle, "text/csv")})  # fmt: skip
        seconds = time.perf_counter() - started
        body = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
        with lock:
            uploads.append((seconds, answer.status_code, body.get("status", "")))
            statuses.append(answer.status_code)
            if answer.status_code != 201 and len(refused) < 5:
                refused.append(f"{answer.status_code} {kind} {path.name}: {answer.text[:300]}")

    def client_work(number: int) -> None:
        code = codes[number % len(codes)]
        with httpx.Client(timeout=300) as client:
            for path, kind in ((files["roster"], "staffing"), (files["training"], "training"),
                               (files["training"], "training"), (files["corrected"], "training")):  # fmt: skip
                if time.monotonic() > limit:
                    return
                upload(client, tokens[code], path, kind)

    def reader(number: int) -> None:
        code = codes[number % len(codes)]
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                answer = client.get(base + "/api/submissions", headers={"Authorization": f"Bearer {tokens[code]}"})
                page = client.get(base + "/")
                with lock:
                    statuses.extend((answer.status_code, page.status_code))
                time.sleep(0.5)

    readers = [threading.Thread(target=reader, args=(n,), daemon=True) for n in range(4)]
    for thread in readers:
        thread.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=options.clients) as pool:
        list(pool.map(client_work, range(options.clients)))
    wall = time.perf_counter() - started
    stop.set()
    for thread in readers:
        thread.join(timeout=30)
    with httpx.Client(timeout=60) as client:  # one token far over its limit, across the workers
        asked = [client.get(base + "/api/submissions", headers={"Authorization": f"Bearer {hammer}"}).status_code
                 for _ in range(OVER_ASKING)]  # fmt: skip
    return {"uploads": uploads, "statuses": statuses, "wall": wall, "hammer": asked, "refused": refused}


def report(results: dict, settings, options) -> None:
    from contextlib import closing

    uploads, statuses = results["uploads"], results["statuses"]
    backend = "PostgreSQL" if settings.ledger.backend == "postgresql" else "SQLite"
    with closing(settings.ledger.connect()) as connection:
        rows = connection.execute(
            "select institution, kind, period, version from submissions"
            " where version is not null and status != 'DUPLICATE'"
        ).fetchall()
    versions: dict[tuple, list[int]] = {}
    for institution, kind, period, version in rows:
        versions.setdefault((institution, kind, period), []).append(version)
    gaps = [slot for slot, found in versions.items() if sorted(found) != list(range(1, len(found) + 1))]
    receipts = [seconds for seconds, status, _ in uploads if status == 201]
    errors = [status for status in statuses if status >= 500]
    allowed = sum(1 for status in results["hammer"] if status == 200)
    expected_uploads = options.clients * 4
    quantiles = statistics.quantiles(receipts, n=20) if len(receipts) > 1 else [0] * 19
    by_status: dict[str, int] = {}
    for _seconds, _status, said in uploads:
        by_status[said or "no receipt"] = by_status.get(said or "no receipt", 0) + 1
    checks = {
        "every upload got its receipt": len(receipts) == expected_uploads,
        "no 5xx": not errors,
        "versions gap-free per slot": not gaps,
        f"the over-asking token got exactly its limit ({RATE_LIMIT})": allowed == RATE_LIMIT,
    }
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    flag = " --postgres URL" if backend == "PostgreSQL" else ""
    where = ("one PostgreSQL 15 database on loopback for the ledger, the tokens and the rate limits"
             if backend == "PostgreSQL" else "the embedded SQLite ledger")  # fmt: skip
    text = f"""## Portal under load ({backend}), measured {stamp}

Machine: {machine()}.
`benchmarks/load_test.py --workers {options.workers} --clients {options.clients} --rows {options.rows}{flag}`:
the portal with {options.workers} uvicorn workers on one home ({where}), {options.clients} clients
uploading at once for the {len(set(slot[0] for slot in versions))} institutions of the registry (some two clients on one
slot), 4 files each (roster {options.rows} rows, training {options.rows * 3} rows, the same training file again, a
corrected one), 4 readers of the history and the home page alongside, then one token asking {OVER_ASKING} times
with a limit of {RATE_LIMIT} a minute.

| | value |
|---|---:|
| uploads | {len(uploads)} of {expected_uploads} ({", ".join(f"{k} {v}" for k, v in sorted(by_status.items()))}) |
| receipt latency p50 / p95 | {quantiles[9]:.2f} s / {quantiles[18]:.2f} s |
| all uploads done in | {results["wall"]:.1f} s |
| requests answered 5xx | {len(errors)} of {len(statuses)} |
| slots with a gap in their versions | {len(gaps)} of {len(versions)} |
| over-asking token: answered 200 / 429 | {allowed} / {OVER_ASKING - allowed} |

{"; ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in checks.items())}.
"""
    print(text)
    for line in results["refused"]:
        print("  not a receipt:", line, file=sys.stderr)
    if not options.no_write:
        write_section(ROOT / "docs" / "performance.md", text, *MARKERS[backend])
    if not all(checks.values()):
        sys.exit("the load test failed: " + ", ".join(name for name, ok in checks.items() if not ok))


if __name__ == "__main__":
    main()

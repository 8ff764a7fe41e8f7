"""`ciess up`: the whole stack on one machine, as one command: the portal with N workers (uvicorn),
Dagster's webserver and its daemon (the schedules and sensors: the inbox, the warehouse's
freshness, the reports). Each logs to $CIESS_HOME/logs/; Ctrl-C or SIGTERM stops all of them
within 10 s and leaves no process behind.

Each service runs in a process group of its own (its workers and code servers with it), which is
sent SIGTERM, then SIGKILL when it is still there after STOP_SECONDS; each is also tied to `ciess
up` itself (PR_SET_PDEATHSIG), so that a `ciess up` killed outright takes them down with it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import click

from pipelines.common.paths import PROJECT_ROOT
from pipelines.common.settings import Settings
from pipelines.warehouse.dbt_process import end_with_parent
from pipelines.warehouse.instance import database_environment, write_instance_settings

STOP_SECONDS = 6.0  # SIGTERM, then this long before SIGKILL: all stopped within 10 s
READY_SECONDS = 120.0


@dataclass
class Service:
    name: str
    command: list[str]
    ready_url: str | None
    log: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, env: dict[str, str]) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            out.write(f"\n--- ciess up: {' '.join(self.command)} ({time.strftime('%Y-%m-%d %H:%M:%S')})\n".encode())
            self.process = subprocess.Popen(
                self.command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=end_with_parent,
            )  # fmt: skip

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ready(self) -> bool:
        if self.ready_url is None:
            return self.running()
        try:
            with urllib.request.urlopen(self.ready_url, timeout=2) as answer:
                return answer.status < 500
        except (urllib.error.URLError, OSError):
            return False

    def signal_group(self, number: int) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, number)

    def group_alive(self) -> bool:
        """Any process of the service's group still there (its workers outlive a dead leader)."""
        if self.process is None:
            return False
        self.process.poll()  # reap the leader
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def services(
    settings: Settings, host: str, port: int, workers: int, dagster_port: int, trusted_proxies: str = "127.0.0.1"
) -> list[Service]:
    bin_dir = Path(sys.executable).parent
    logs = settings.home / "logs"
    return [
        Service(
            "portal",
            [sys.executable, "-m", "uvicorn", "--factory", "pipelines.cli.serving:portal_app", "--host", host,
             "--port", str(port), "--workers", str(workers), "--timeout-graceful-shutdown", "5",
             # behind a reverse proxy with TLS: the client's address and https come from its X-Forwarded-* headers
             "--proxy-headers", "--forwarded-allow-ips", trusted_proxies],
            f"http://{host}:{port}/", logs / "portal.log",
        ),
        Service(
            "dagster-webserver",
            [str(bin_dir / "dagster-webserver"), "-w", "workspace.yaml", "-h", host, "-p", str(dagster_port)],
            f"http://{host}:{dagster_port}/server_info", logs / "dagster-webserver.log",
        ),
        Service("dagster-daemon", [str(bin_dir / "dagster-daemon"), "run", "-w", "workspace.yaml"], None,
                logs / "dagster-daemon.log"),
    ]  # fmt: skip


def environment(settings: Settings) -> dict[str, str]:
    dagster = write_instance_settings(settings).parent
    bin_dir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "CIESS_HOME": str(settings.home),
        "DAGSTER_HOME": str(dagster),
        "DO_NOT_TRACK": "1",
        **database_environment(settings),  # the home's database.url, as Dagster's yaml asks for it
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),  # dbt, dagster's own commands
    }


def stop_all(running: list[Service], say) -> float:
    """SIGTERM to every group, SIGKILL to what is left after STOP_SECONDS; the seconds it took."""
    started = time.monotonic()
    for service in running:
        service.signal_group(signal.SIGTERM)
    while any(service.group_alive() for service in running) and time.monotonic() - started < STOP_SECONDS:
        time.sleep(0.1)
    for service in running:
        if service.group_alive():
            say(f"  {service.name} did not stop after {STOP_SECONDS:.0f} s: killed")
            service.signal_group(signal.SIGKILL)
    while any(service.group_alive() for service in running) and time.monotonic() - started < STOP_SECONDS + 1.5:
        time.sleep(0.05)
    return time.monotonic() - started


class _Stop(Exception):
    pass


def run_stack(
    settings: Settings, host: str, port: int, workers: int, dagster_port: int, say=click.echo,
    trusted_proxies: str = "127.0.0.1",
) -> int:  # fmt: skip
    settings.ensure()
    env = environment(settings)
    stack = services(settings, host, port, workers, dagster_port, trusted_proxies)

    def stop(number, _frame):
        raise _Stop(signal.Signals(number).name)

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    code = 0
    try:
        for service in stack:
            service.start(env)
            say(f"  started {service.name} (pid {service.process.pid}), log {service.log}")
        waiting = list(stack)
        while waiting:
            for service in list(waiting):
                if not service.running():
                    raise RuntimeError(service.name)
                if service.ready():
                    waiting.remove(service)
            if time.monotonic() - started > READY_SECONDS:
                raise RuntimeError(", ".join(service.name for service in waiting) + " (not ready in time)")
            time.sleep(0.3)
        say(f"Ready in {time.monotonic() - started:.1f} s:")
        say(f"  portal            http://{host}:{port}/  ({workers} workers; API description /docs)")
        say(f"  Dagster UI        http://{host}:{dagster_port}/")
        say("  Dagster daemon    schedules and sensors (inbox, warehouse freshness, reports, feedback)")
        say(f"  logs              {settings.home / 'logs'}")
        store = settings.ledger
        say(f"  store             {'PostgreSQL' if store.backend == 'postgresql' else 'SQLite'} {store.describe()}")
        say("Ctrl-C (or SIGTERM) stops everything.")
        while True:
            for service in stack:
                if not service.running():
                    raise RuntimeError(service.name)
            time.sleep(0.5)
    except _Stop as why:
        say(f"\n{why}: stopping ...")
    except RuntimeError as failed:
        code = 1
        say(f"\n{failed} stopped on its own or never became ready; stopping the others. Its log ends:", err=True)
        for service in stack:
            if service.name in str(failed):
                say(service.tail(), err=True)
    finally:
        # a second Ctrl-C or SIGTERM (a supervisor's, a `timeout`'s) must not cut the stop short:
        # the SIGKILL after STOP_SECONDS is what guarantees that no process is left
        for number in previous:
            signal.signal(number, lambda *_: say("  already stopping ..."))
        taken = stop_all([service for service in stack if service.process is not None], say)
        for number, handler in previous.items():
            signal.signal(number, handler)
        say(f"Stopped in {taken:.1f} s; nothing left running.")
    return code

"""`ciess up` as an operator runs it: the portal, Dagster's UI and its daemon start and answer;
SIGTERM stops all of them within 10 s and leaves no process behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.long, pytest.mark.postgres]  # the stack on either backend


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_stack_starts_answers_and_stops_within_ten_seconds(tmp_path):
    home, port, dagster_port = tmp_path / "home", _free_port(), _free_port()
    ciess = str(Path(sys.executable).with_name("ciess"))
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    stack = subprocess.Popen(
        [ciess, "--home", str(home), "up", "--workers", "2", "--port", str(port), "--dagster-port", str(dagster_port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    said = []
    try:
        for line in stack.stdout:
            said.append(line)
            if line.startswith("Ready in") or "never became ready" in line:
                break
        assert any(line.startswith("Ready in") for line in said), "".join(said)
        groups = [int(found) for found in re.findall(r"\(pid (\d+)\)", "".join(said))]
        assert len(groups) == 3
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert page.status == 200 and b"token" in page.read().lower()
        with urllib.request.urlopen(f"http://127.0.0.1:{dagster_port}/server_info", timeout=5) as info:
            assert info.status == 200
        assert (home / "dagster" / "dagster.yaml").read_text().count("QueuedRunCoordinator") == 1

        started = time.monotonic()
        stack.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        stack.send_signal(signal.SIGTERM)  # a second one (a supervisor's, `timeout`'s) does not cut the stop short
        rest, _ = stack.communicate(timeout=15)
        stopped = time.monotonic() - started
    finally:
        if stack.poll() is None:
            stack.kill()
    assert stack.returncode == 0, rest
    assert stopped < 10, f"stopped in {stopped:.1f} s"
    assert "already stopping" in rest and "nothing left running" in rest
    assert not [pgid for pgid in groups if _group_alive(pgid)]
    for name in ("portal", "dagster-webserver", "dagster-daemon"):
        assert (home / "logs" / f"{name}.log").stat().st_size > 0

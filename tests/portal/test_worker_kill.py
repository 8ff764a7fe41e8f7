"""A portal worker killed mid-upload (kill -9 of the uvicorn process, as the OOM killer or a
crashed machine would): the client gets an error, not a receipt; the ledger agrees with the
archive and the lake at once, `ciess doctor --repair` leaves nothing the ledger does not know, and
the same file sent again is taken in with the next version."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest

from pipelines.common.paths import PROJECT_ROOT
from pipelines.common.settings import Settings
from pipelines.portal.auth import TokenStore

sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
from kill_intake import age, ledger_problems, make_files, orphans  # the long run's checks

pytestmark = pytest.mark.long
ROWS = 150_000  # about a second of intake


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, home, port):
        self.home, self.port = home, port
        env = {**os.environ, "CIESS_HOME": str(home), "DO_NOT_TRACK": "1"}
        command = [sys.executable, "-m", "uvicorn", "--factory", "pipelines.cli.serving:portal_app",
                   "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "warning"]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the portal did not start")

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def _multipart(path, kind: str, period: str) -> tuple[bytes, bytes]:
    boundary = uuid.uuid4().hex.encode()
    parts = [b"--" + boundary + b'\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (name, value)
             for name, value in ((b"kind", kind.encode()), (b"period", period.encode()))]  # fmt: skip
    head = (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="training.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n")  # fmt: skip
    body = b"".join(parts) + head + path.read_bytes() + b"\r\n--" + boundary + b"--\r\n"
    return body, b"multipart/form-data; boundary=" + boundary


def _upload(port, token, body, content_type, stop_after: int | None = None, server: Server | None = None):
    """POST the upload; with `stop_after`, only that many bytes of the body before the server is
    killed (then the rest). Returns the answer's status and receipt, or raises the client's error."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.putrequest("POST", "/api/submissions")
    for name, value in (("Authorization", f"Bearer {token}"), ("Content-Type", content_type.decode()),
                        ("Content-Length", str(len(body)))):  # fmt: skip
        connection.putheader(name, value)
    connection.endheaders()
    if stop_after is None:
        connection.send(body)
    else:
        connection.send(body[:stop_after])
        time.sleep(0.3)
        server.kill()
        connection.send(body[stop_after:])
    answer = connection.getresponse()
    return answer.status, json.loads(answer.read() or b"null")


def test_a_worker_killed_mid_upload_records_nothing_by_half(ciess, tmp_path):
    files = make_files(tmp_path / "files", ROWS)
    assert ciess.run("submit", files.roster, "--institution", "AR-ANSES", "--kind", "staffing",
                     "--period", "2026-Q2").exit_code == 0  # fmt: skip
    token = TokenStore.of(Settings.from_env(ciess.home)).create("AR-ANSES")[0]
    body, content_type = _multipart(files.training, "training", "2026-Q2")

    # killed while the body arrives, then while the intake checks the file
    server = Server(ciess.home, _free_port())
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        _upload(server.port, token, body, content_type, stop_after=len(body) // 2, server=server)
    server = Server(ciess.home, _free_port())
    connection_error = None
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type.decode()}
        connection.request("POST", "/api/submissions", body=body, headers=headers)
        deadline = time.monotonic() + 30
        while not list((ciess.home / "lake" / ".staging").glob("*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.01)  # the body is in and the intake is staging the rows it checks
        server.kill()
        connection.getresponse()
    except (ConnectionError, http.client.HTTPException, OSError) as error:
        connection_error = error
    assert connection_error is not None, "the client got an answer from a killed worker"
    assert ledger_problems(ciess.home) == []

    age(ciess.home)
    repaired = ciess.run("doctor", "--repair")
    assert repaired.exit_code == 0 and "mended" in repaired.output  # what the killed intake had staged
    assert orphans(ciess.home) == [] and ledger_problems(ciess.home) == []

    server = Server(ciess.home, _free_port())
    try:
        status, receipt = _upload(server.port, token, body, content_type)
    finally:
        server.kill()
    # nothing was committed by the killed workers (or, had the kill come just after the commit, it
    # was whole): the file is version 1
    assert status == 201 and receipt["version"] == 1 and receipt["status"] in ("ACCEPTED", "DUPLICATE")

"""A client that sends its upload a byte at a time, or stops halfway, is refused (408) and its connection
is closed, over a real socket to a real server; nothing is recorded."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest

from pipelines.common.settings import Settings
from pipelines.intake.storing.ledger import Ledger
from pipelines.portal.app import create_app
from pipelines.portal.auth import TokenStore
from pipelines.portal.limits import UploadPace
from tests.portal.test_portal_browser import serving

BOUNDARY = "pace"


def _request_head(base: str, token: str, length: int) -> bytes:
    host = urlsplit(base).netloc
    return (
        f"POST /api/submissions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n"
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nstaffing\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="slow.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()


def _answer(connection: socket.socket, trickle: bool, within: float) -> tuple[bytes, float]:
    """What the server sends back until it closes the connection, sending a byte every 0.1 s while
    `trickle`; and how long it took."""
    started, answer = time.monotonic(), b""
    connection.settimeout(0.1)
    while time.monotonic() - started < within:
        if trickle and not answer:
            connection.sendall(b"x")
        try:
            chunk = connection.recv(65536)
        except TimeoutError:
            continue
        if not chunk:  # the server closed the connection: it holds nothing for this client any more
            return answer, time.monotonic() - started
        answer += chunk
    pytest.fail(f"the server still held the connection after {within} s; it answered {answer[:200]!r}")


@pytest.fixture
def slow_server(tmp_path):
    settings = Settings.from_env(tmp_path / "home")
    app = create_app(settings, upload_pace=UploadPace(idle=1.5, grace=1.0, min_rate=1024))
    token = TokenStore.of(settings).create("AR-ANSES")[0]
    with serving(app) as base:
        yield base, token, settings


@pytest.mark.parametrize("trickle", [True, False], ids=["a byte at a time", "stops halfway"])
def test_a_slow_upload_is_refused_and_its_connection_closed(slow_server, trickle):
    base, token, settings = slow_server
    host, port = urlsplit(base).hostname, urlsplit(base).port
    with socket.create_connection((host, port)) as connection:
        connection.sendall(_request_head(base, token, length=1_000_000))
        answer, seconds = _answer(connection, trickle=trickle, within=10)
    status_line, _, body = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout", answer[:300]
    assert (b"too slowly" if trickle else b"nothing arrived for 1.5 seconds") in body
    assert seconds < 6
    assert Ledger.of(settings).all() == []
    # the server is free for the next client
    with socket.create_connection((host, port)) as other:
        other.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        other.settimeout(5)
        assert other.recv(65536).startswith(b"HTTP/1.1 ")

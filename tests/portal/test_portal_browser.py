"""A data officer's first quarter, in a real headless Chromium: sign in, send a file with an
error, read the first problem on the receipt page, fix it, send again, see version 1 accepted."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from pipelines.common.paths import PROJECT_ROOT
from pipelines.common.settings import Settings
from pipelines.portal.app import create_app
from pipelines.portal.auth import TokenStore
from tests.conftest import EXAMPLES

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="Chromium is not installed (`apt-get install chromium`; .ci/run installs it)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    settings = Settings(home=tmp_path / "home")
    app = create_app(settings)
    token = TokenStore(settings.home / "access.sqlite").create("AR-ANSES")[0]
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", token
    server.should_exit = True
    thread.join(timeout=10)


def test_officer_fixes_a_file_and_sees_it_accepted(served, tmp_path):
    from playwright.sync_api import sync_playwright

    base, token = served
    shots = Path(os.environ.get("CIESS_SCREENSHOTS", tmp_path))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(base + "/")
        assert page.locator("html").get_attribute("lang") == "en"
        page.fill("#token", token)
        page.click("button[type=submit]")
        assert "AR-ANSES" in page.inner_text("header")
        assert page.inner_text("h1") == "Enviar un archivo"  # Argentina: Spanish by default

        page.select_option("#kind", "staffing")
        page.fill("#period", "2026-Q2")
        page.set_input_files("#file", str(EXAMPLES["staffing"] / "invalid-VALUE_RANGE.csv"))
        page.click("form.upload button[type=submit]")
        assert page.inner_text("h1.verdict").startswith("RECHAZADO")
        first = page.locator("table.issues tr").nth(1).locator("td")
        assert [first.nth(i).inner_text() for i in range(3)] == ["4", "fte", "VALUE_RANGE"]
        assert "FTE" in first.nth(3).inner_text() or "Jornada" in first.nth(3).inner_text()
        page.screenshot(path=str(shots / "portal-receipt-rejected.png"), full_page=True)

        page.click("text=Volver")
        page.set_input_files("#file", str(EXAMPLES["staffing"] / "valid.csv"))
        page.select_option("#kind", "staffing")
        page.fill("#period", "2026-Q2")
        page.click("form.upload button[type=submit]")
        assert page.inner_text("h1.verdict").startswith("ACEPTADO")
        page.click("text=Volver")
        rows = page.locator("table.history tr")
        assert rows.count() == 3  # header, the accepted file, the rejected one
        newest = rows.nth(1).inner_text()
        assert "ACCEPTED" in newest and "\t1\t" in newest
        page.screenshot(path=str(shots / "portal-history.png"), full_page=True)
        browser.close()


def test_docs_screenshots_exist():
    """The README links these pictures of the portal; they come from the test above."""
    for name in ("portal-receipt-rejected.png", "portal-history.png"):
        assert (PROJECT_ROOT / "docs" / name).exists(), f"run CIESS_SCREENSHOTS=docs pytest {__file__}"

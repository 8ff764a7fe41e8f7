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
        assert page.inner_text("h1") == "Sus trimestres"  # Argentina: Spanish by default
        assert "Falta un archivo" in page.inner_text("section.quarter")  # the quarter due, nothing sent yet

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


def _sign_in(browser, base: str, token: str, lang: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/?lang={lang}")
    page.fill("#token", token)
    page.click("button[type=submit]")
    return page


def _send(page, path: Path, kind: str) -> None:
    page.select_option("#kind", kind)
    page.fill("#period", "2026-Q2")
    page.set_input_files("#file", str(path))
    page.click("form.upload button[type=submit]")


def test_a_quarter_through_the_cycle_in_the_browser(served, tmp_path):
    """The officer sends both files, explains a warning, is asked before a replacement; CIESS
    approves from the grid; the officer sees it approved."""
    from playwright.sync_api import sync_playwright

    base, token = served
    home = tmp_path / "home"  # the served portal's (the fixture shares tmp_path)
    operator = TokenStore(home / "access.sqlite").create(None, "Review desk")[0]
    shots = Path(os.environ.get("CIESS_SCREENSHOTS", tmp_path))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        officer = _sign_in(browser, base, token, "en")
        _send(officer, EXAMPLES["staffing"] / "valid.csv", "staffing")
        officer.goto(base + "/")
        _send(officer, EXAMPLES["training"] / "warning-HOURS_UNUSUAL.csv", "training")
        officer.goto(base + "/")
        quarter = officer.locator("section#q-AR-ANSES-2026-Q2")
        assert "Needs explanations" in quarter.inner_text() and "days past the deadline" in quarter.inner_text()
        quarter.locator("textarea").fill("Two staff took the year-long diploma course this quarter.")
        quarter.locator("form.explain button").click()
        assert "Ready for review" in officer.locator("section#q-AR-ANSES-2026-Q2").inner_text()
        officer.screenshot(path=str(shots / "officer-status.png"), full_page=True)

        shorter = tmp_path / "roster-by-mistake.csv"
        lines = (EXAMPLES["staffing"] / "valid.csv").read_text(encoding="utf-8").splitlines()
        shorter.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
        _send(officer, shorter, "staffing")
        assert "This replaces version 1" in officer.inner_text("p.replaces")
        officer.click("text=No, keep version 1")
        assert "version 1 stays the accepted file" in officer.inner_text("p.notice")

        desk = _sign_in(browser, base, operator, "en")
        desk.goto(base + "/review?period=2026-Q2&subregion=SOUTHERN_CONE")
        row = desk.locator("table.grid tr.state-READY")
        assert row.count() == 1 and "AR-ANSES" in row.inner_text()
        desk.screenshot(path=str(shots / "operator-grid.png"), full_page=True)
        row.locator("text=Approve").click()
        assert "the return is now “Approved”" in desk.inner_text("p.notice")

        officer.goto(base + "/")
        assert "Approved by CIESS" in officer.locator("section#q-AR-ANSES-2026-Q2").inner_text()
        browser.close()


def test_docs_screenshots_exist():
    """The README links these pictures of the portal; they come from the tests above."""
    for name in ("portal-receipt-rejected.png", "portal-history.png", "officer-status.png", "operator-grid.png"):
        assert (PROJECT_ROOT / "docs" / name).exists(), f"run CIESS_SCREENSHOTS=docs pytest {__file__}"

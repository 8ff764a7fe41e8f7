"""A data officer's first quarter, in a real headless Chromium: sign in, send a file with an
error, read the first problem on the receipt page, fix it, send again, see version 1 accepted."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from pipelines.common.paths import PROJECT_ROOT
from pipelines.common.settings import Settings
from pipelines.portal.app import create_app
from pipelines.portal.auth import TokenStore
from tests.conftest import EXAMPLES, copy_home

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


@contextmanager
def serving(app):
    """The app on a loopback port of its own, in a thread, for as long as the block runs."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def served(tmp_path):
    settings = Settings.from_env(tmp_path / "home")
    app = create_app(settings)  # makes the home folder
    token = TokenStore.of(settings).create("AR-ANSES")[0]
    with serving(app) as base:
        yield base, token


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
        assert [first.nth(i).inner_text() for i in range(3)] == ["4", "Jornada (ETC)", "VALUE_RANGE"]  # fte, in Spanish
        assert "Jornada" in first.nth(3).inner_text()
        page.screenshot(path=str(shots / "portal-receipt-rejected.png"), full_page=True)

        page.click("text=Volver")
        page.set_input_files("#file", str(EXAMPLES["staffing"] / "valid.csv"))
        page.select_option("#kind", "staffing")
        page.fill("#period", "2026-T2")  # trimestre, as the Spanish label says
        page.click("form.upload button[type=submit]")
        assert page.inner_text("h1.verdict").startswith("ACEPTADO")
        page.click("text=Volver")
        rows = page.locator("table.history tr")
        assert rows.count() == 3  # header, the accepted file, the rejected one
        newest = rows.nth(1).inner_text()
        assert "\tPlantilla de personal\t" in newest and "\tAceptado\t1\t" in newest  # labels, not codes
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


@pytest.fixture
def served_built(example_home, tmp_path):
    """A copy of the built example home (AR-ANSES's 2026-Q2 files accepted and published), served
    as `ciess serve` serves it: with the build a lock runs."""
    from pipelines.cli.cycle import build_for_lock

    home = copy_home(example_home, tmp_path).home
    settings = Settings.from_env(home)
    store = TokenStore.of(Settings.from_env(home))
    tokens = {"officer": store.create("AR-ANSES")[0], "desk": store.create(None, "Review desk")[0]}
    with serving(create_app(settings, build=build_for_lock(settings))) as base:
        yield base, tokens


@pytest.mark.warehouse
def test_a_quarter_through_the_cycle_in_the_browser(served_built, tmp_path):
    """Officer: a new version, a warning explained, the return sent back, fixed, approved.
    CIESS: return, approve, lock. Officer again: a file for the locked quarter refused, in Spanish."""
    from playwright.sync_api import sync_playwright

    base, tokens = served_built
    shots = Path(os.environ.get("CIESS_SCREENSHOTS", tmp_path))
    quarter = "section#q-AR-ANSES-2026-Q2"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        officer = _sign_in(browser, base, tokens["officer"], "es")  # Argentina reads Spanish
        assert "Listo para revisión" in officer.inner_text(quarter)  # both example files accepted

        _send(officer, EXAMPLES["training"] / "warning-HOURS_UNUSUAL.csv", "training")
        assert "Esto reemplaza la versión 1" in officer.inner_text("p.replaces")
        officer.click("text=Sí, reemplazarla")
        assert officer.inner_text("h1.verdict").startswith("ACEPTADO")
        officer.goto(base + "/")
        assert "Requiere explicaciones" in officer.inner_text(quarter)
        officer.locator(f"{quarter} textarea").fill("Dos funcionarios cursaron el diplomado anual este trimestre.")
        officer.locator(f"{quarter} form.explain button").click()
        assert "Listo para revisión" in officer.inner_text(quarter)
        officer.screenshot(path=str(shots / "officer-status.png"), full_page=True)

        desk = _sign_in(browser, base, tokens["desk"], "en")
        desk.goto(base + "/review?period=2026-Q2&state=READY")
        row = desk.locator("table.grid tr.state-READY")
        assert row.count() == 1 and "AR-ANSES" in row.inner_text()
        row.locator("summary").click()
        row.locator("textarea").fill("The July course lasted 300 hours, not 3000: please check the file.")
        row.locator("form button:has-text('Return with a comment')").click()
        assert "returned; the return is now “Returned by CIESS”" in desk.inner_text("p.notice")

        officer.goto(base + "/")
        assert "Devuelto por el CIESS" in officer.inner_text(quarter)
        assert "not 3000" in officer.inner_text(f"{quarter} ul.comments")
        fixed = tmp_path / "training-fixed.csv"  # the fix: a corrected file (not version 1's bytes again)
        fixed.write_text((EXAMPLES["training"] / "valid.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8")
        _send(officer, fixed, "training")
        officer.click("text=Sí, reemplazarla")
        officer.goto(base + "/")
        assert "Listo para revisión" in officer.inner_text(quarter)

        desk.goto(base + "/review?period=2026-Q2&subregion=SOUTHERN_CONE")
        desk.locator("table.grid tr.state-READY").locator("text=Approve").click()
        assert "approved; the return is now “Approved”" in desk.inner_text("p.notice")
        desk.screenshot(path=str(shots / "operator-grid.png"), full_page=True)
        officer.goto(base + "/")
        assert "Aprobado por el CIESS" in officer.inner_text(quarter)

        desk.fill("section.period-actions input[name=reason]", "Quarterly review done")
        # Playwright cannot read a page whose navigation is pending, so the page notes what it showed
        # while the lock runs (a listener added after the form's own runs after it) where it survives the navigation
        desk.evaluate("""document.querySelector('section.period-actions form').addEventListener('submit', (event) => {
            const progress = event.target.querySelector('.progress');
            localStorage.setItem('progressShown', String(getComputedStyle(progress).display !== 'none'));
        })""")
        with desk.expect_navigation(timeout=300_000):  # builds, keeps the final figures, builds again
            desk.click("section.period-actions button", no_wait_after=True)
        assert desk.evaluate("localStorage.getItem('progressShown')") == "true"
        assert "2026-Q2 locked: final figures revision 1 kept" in desk.inner_text("p.notice")

        officer.goto(base + "/")
        assert "Cifras definitivas, revisión 1" in officer.inner_text("table.closed")
        _send(officer, EXAMPLES["staffing"] / "warning-AGE_UNUSUAL.csv", "staffing")  # no question: it is refused
        assert officer.inner_text("h1.verdict").startswith("RECHAZADO")
        assert "PERIOD_LOCKED" in officer.inner_text("main") and "cerrado" in officer.inner_text("main")
        browser.close()


def test_docs_screenshots_exist():
    """The README links these pictures of the portal; they come from the tests above."""
    for name in ("portal-receipt-rejected.png", "portal-history.png", "officer-status.png", "operator-grid.png"):
        assert (PROJECT_ROOT / "docs" / name).exists(), f"run CIESS_SCREENSHOTS=docs pytest {__file__}"


def test_officer_sees_what_a_replacement_changes_before_and_after_confirming(served, tmp_path):
    from playwright.sync_api import sync_playwright

    base, token = served
    shots = Path(os.environ.get("CIESS_SCREENSHOTS", tmp_path))
    header, first, _, *rest = (EXAMPLES["staffing"] / "valid.csv").read_text(encoding="utf-8").splitlines()
    replacement = tmp_path / "plantilla-v2.csv"
    replacement.write_text("\n".join([header, first.replace(",F,", ",M,", 1), *rest,
                                      "E0999,X,1991,2020-02-03,IT,TEMPORARY,1"]) + "\n", encoding="utf-8")  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = _sign_in(browser, base, token, "es")
        for path in (EXAMPLES["staffing"] / "valid.csv", replacement):
            page.goto(base + "/")
            page.select_option("#kind", "staffing")
            page.fill("#period", "2026-Q2")
            page.set_input_files("#file", str(path))
            page.click("form.upload button[type=submit]")
        assert "Comparado con la versión 1:" in page.inner_text("main")
        counts = page.locator("table.diff tr")
        assert [counts.nth(i).inner_text().split("\t") for i in range(4)] == [
            ["Añadidas", "1"], ["Eliminadas", "1"], ["Modificadas", "1"], ["Sin cambios", "4"]]  # fmt: skip
        assert page.locator("table.diff-columns tr").first.inner_text().split("\t") == ["Sexo", "1"]
        page.screenshot(path=str(shots / "portal-confirm-diff.png"), full_page=True)
        page.click("button[value=replace]")
        assert page.inner_text("h1.verdict").startswith("ACEPTADO")
        assert page.locator("table.diff-columns tr").first.inner_text().split("\t") == ["Sexo", "1"]
        with page.expect_download() as download:
            page.click("text=Todas las filas añadidas, eliminadas y modificadas (CSV)")
        assert "E0999" in Path(download.value.path()).read_text(encoding="utf-8-sig")
        page.screenshot(path=str(shots / "portal-receipt-diff.png"), full_page=True)
        browser.close()

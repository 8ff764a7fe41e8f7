"""The feedback reports on the portal: an institution finds its own on its home page and downloads
them; another institution's report answers 404, like one that does not exist; CIESS staff see all."""

from __future__ import annotations

import pytest

from pipelines.reports.feedback import feedback_file
from tests.conftest import PERIOD, copy_home
from tests.portal.test_cycle_portal import signed_in
from tests.portal.test_portal import Portal

pytestmark = pytest.mark.warehouse


@pytest.fixture(scope="module")
def portal(example_home, tmp_path_factory) -> Portal:
    ciess = copy_home(example_home, tmp_path_factory.mktemp("feedback-portal"))
    made = ciess.run("feedback", "--period", PERIOD, "--institution", "AR-ANSES", "--institution", "BR-INSS",
                     "--lang", "es", "--lang", "en")  # fmt: skip
    assert made.exit_code == 0, made.output
    return Portal(ciess.home)


def test_an_institution_downloads_its_own_reports_and_never_another(portal):
    browser = signed_in(portal, "AR-ANSES", "es")
    home = browser.get("/").text
    assert (
        f'href="/feedback/{PERIOD}/AR-ANSES.es.pdf"' in home and f'href="/feedback/{PERIOD}/AR-ANSES.en.html"' in home
    )
    assert "BR-INSS." not in home
    pdf = browser.get(f"/feedback/{PERIOD}/AR-ANSES.es.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == feedback_file(portal.settings, PERIOD, "AR-ANSES", "es", "pdf").read_bytes()
    html = browser.get(f"/feedback/{PERIOD}/AR-ANSES.en.html")
    assert html.status_code == 200 and "Feedback report" in html.text
    # another institution's report exists on disk, and is answered like one that does not
    assert feedback_file(portal.settings, PERIOD, "BR-INSS", "es", "pdf").exists()
    for path in (f"/feedback/{PERIOD}/BR-INSS.es.pdf", f"/feedback/{PERIOD}/AR-ANSES.fr.pdf",
                 "/feedback/2026-Q1/AR-ANSES.es.pdf", f"/feedback/{PERIOD}/..%2Findex.html",
                 f"/feedback/{PERIOD}/AR-ANSES.es.exe", "/feedback/nonsense/AR-ANSES.es.pdf"):  # fmt: skip
        assert browser.get(path).status_code == 404, path


def test_staff_see_every_institutions_reports(portal):
    browser = signed_in(portal, "operator")
    home = browser.get("/").text
    for code in ("AR-ANSES", "BR-INSS"):
        assert f'href="/feedback/{PERIOD}/{code}.es.pdf"' in home
    assert browser.get(f"/feedback/{PERIOD}/BR-INSS.en.pdf").status_code == 200


def test_a_visitor_who_has_not_signed_in_is_sent_to_sign_in(portal):
    from tests.portal.browsing import Browser

    answer = Browser(portal.app).get(f"/feedback/{PERIOD}/AR-ANSES.es.pdf", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"

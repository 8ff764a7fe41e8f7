"""The reporting cycle on the portal and the API (spec cycle.md), through real HTTP requests on real
files: what a data officer sees and owes, a replacement that asks first, explanations, and CIESS's
review grid with the same rules as the command line."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from pipelines.common.periods import Period
from pipelines.common.registry import expected_in, institutions
from pipelines.intake.storing.ledger import Ledger
from pipelines.portal.uploads import PENDING_DIR
from tests.conftest import EXAMPLES, PERIOD, copy_home
from tests.portal.browsing import Browser
from tests.portal.test_portal import Portal

ROSTER, TRAINING = EXAMPLES["staffing"] / "valid.csv", EXAMPLES["training"] / "valid.csv"
FLAGGED = EXAMPLES["training"] / "warning-HOURS_UNUSUAL.csv"
WHY = "Two staff took the year-long diploma course this quarter."


@pytest.fixture
def portal(tmp_path) -> Portal:
    return Portal(tmp_path / "home")


def signed_in(portal: Portal, who: str, lang: str = "en") -> TestClient:
    """A browser of its own (its own cookies), signed in with `who`'s token."""
    browser = Browser(portal.app)
    assert browser.sign_in(portal.tokens[who]).status_code == 303
    browser.get(f"/?lang={lang}")  # the language is kept in a cookie from then on
    return browser


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def send_page(browser: TestClient, path, kind: str, period: str = PERIOD):
    files = {"file": (path.name, path.read_bytes(), "text/csv")}
    return browser.post("/upload", files=files, data={"kind": kind, "period": period}, follow_redirects=False)


def versions(portal: Portal, kind: str = "staffing") -> list[int]:
    return [row.version for row in Ledger.of(portal.settings).all() if row.kind == kind and row.version]


def test_the_officer_sees_the_deadline_the_days_left_and_what_is_still_owed(portal):
    portal.upload("AR-ANSES", ROSTER, kind="staffing")
    officer = signed_in(portal, "AR-ANSES")
    page = text_of(officer.get("/").text)
    deadline = Period.parse(PERIOD).deadline(portal.settings.deadline_days)
    late_by = (datetime.now(UTC).date() - deadline).days
    assert f"{PERIOD}" in page and deadline.isoformat() in page
    assert f"{late_by} days past the deadline" in page
    assert "Missing a file" in page and "Next step: Send what is missing (Training activities) by" in page

    detail = portal.client.get(f"/api/returns/AR-ANSES/{PERIOD}", headers=portal.auth("AR-ANSES")).json()
    assert (detail["state"], detail["next_step"], detail["days_left"]) == ("MISSING", "send_missing", -late_by)
    assert detail["kinds"]["staffing"]["accepted_version"] == 1 and detail["kinds"]["training"]["received_at"] is None
    # the quarter due now is shown too, with nothing received yet
    due_now = str(Period.parse(PERIOD).next())
    assert due_now in page
    assert [row["period"] for row in portal.client.get("/api/returns", headers=portal.auth("AR-ANSES")).json()][:2] \
        == sorted([due_now, PERIOD], reverse=True)  # fmt: skip


def test_the_page_asks_before_a_file_replaces_the_accepted_version(portal, tmp_path):
    officer = signed_in(portal, "AR-ANSES")
    assert send_page(officer, ROSTER, "staffing").status_code == 303
    shorter = tmp_path / "roster-by-mistake.csv"
    shorter.write_text("\n".join(ROSTER.read_text(encoding="utf-8").splitlines()[:5]) + "\n", encoding="utf-8")
    before = Ledger.of(portal.settings).current("AR-ANSES", "staffing", PERIOD).rows

    asked = send_page(officer, shorter, "staffing")
    assert asked.status_code == 200
    assert f"This replaces version 1 ({before} rows → 4 rows)" in text_of(asked.text)
    assert versions(portal) == [1]  # nothing taken in yet
    pending_id = re.search(r'name="pending_id" value="([0-9a-f]+)"', asked.text).group(1)

    kept = officer.post("/upload/confirm", data={"pending_id": pending_id, "answer": "keep"})
    assert "version 1 stays the accepted file" in text_of(kept.text) and versions(portal) == [1]
    assert not any((portal.settings.home / PENDING_DIR).iterdir())  # the held file is gone, never submitted

    asked = send_page(officer, shorter, "staffing")
    pending_id = re.search(r'name="pending_id" value="([0-9a-f]+)"', asked.text).group(1)
    other = signed_in(portal, "BR-INSS")  # a held upload belongs to the token that sent it
    assert other.post("/upload/confirm", data={"pending_id": pending_id, "answer": "replace"}).status_code == 404
    done = officer.post("/upload/confirm", data={"pending_id": pending_id, "answer": "replace"}, follow_redirects=False)
    assert done.status_code == 303 and versions(portal) == [1, 2]
    current = Ledger.of(portal.settings).current("AR-ANSES", "staffing", PERIOD)
    assert (current.version, current.rows) == (2, 4)
    again = officer.post("/upload/confirm", data={"pending_id": pending_id, "answer": "replace"})  # answered twice
    assert again.status_code == 404 and "send the file again if it is not there" in text_of(again.text)
    assert versions(portal) == [1, 2]
    # a file that would be rejected replaces nothing: it is taken in at once and gets its receipt
    rejected = send_page(officer, EXAMPLES["staffing"] / "invalid-VALUE_RANGE.csv", "staffing")
    assert rejected.status_code == 303 and rejected.headers["location"].startswith("/receipts/")


def test_the_api_needs_replace_true_to_replace_an_accepted_version(portal, tmp_path):
    assert portal.upload("AR-ANSES", ROSTER, kind="staffing").status_code == 201
    other = tmp_path / "roster.csv"
    other.write_text("\n".join(ROSTER.read_text(encoding="utf-8").splitlines()[:3]) + "\n", encoding="utf-8")
    refused = portal.upload("AR-ANSES", other, kind="staffing")
    assert refused.status_code == 409
    assert "version 1" in refused.json()["detail"] and "replace=true" in refused.json()["detail"]
    assert versions(portal) == [1] and len(Ledger.of(portal.settings).all()) == 1  # nothing recorded
    assert portal.upload("AR-ANSES", ROSTER, kind="staffing").json()["status"] == "DUPLICATE"  # the same file again
    replaced = portal.upload("AR-ANSES", other, kind="staffing", replace="true")
    assert (replaced.status_code, replaced.json()["version"]) == (201, 2)


def test_warnings_are_explained_one_form_per_rule_with_the_previous_text_offered(portal):
    portal.upload("AR-ANSES", ROSTER, kind="staffing")
    first = portal.upload("AR-ANSES", FLAGGED).json()
    assert first["rule_counts"].get("HOURS_UNUSUAL")
    officer = signed_in(portal, "AR-ANSES")
    page = officer.get("/").text
    assert "Needs explanations" in text_of(page)
    assert page.count('name="rule" value="HOURS_UNUSUAL"') == 1

    short = officer.post("/explanations", data={"submission_id": first["submission_id"], "rule": "HOURS_UNUSUAL",
                                                "text": "ok"})  # fmt: skip
    assert short.status_code == 422 and "at least 20 characters (this text has 2)" in text_of(short.text)
    saved = officer.post("/explanations", data={"submission_id": first["submission_id"], "rule": "HOURS_UNUSUAL",
                                                "text": WHY})  # fmt: skip
    assert saved.status_code == 200 and "Ready for review" in text_of(saved.text)

    # another institution's submission is not there for BR-INSS, by the API as on the page
    stranger = portal.client.post(
        f"/api/submissions/{first['submission_id']}/explanations", headers=portal.auth("BR-INSS"),
        json={"rule": "HOURS_UNUSUAL", "text": WHY},
    )  # fmt: skip
    assert stranger.status_code == 404

    # a new version needs its own explanation; the old text is offered as the starting point
    again = FLAGGED.read_text(encoding="utf-8") + "\n"
    second_file = portal.settings.home.parent / "training-v2.csv"
    second_file.write_text(again, encoding="utf-8")
    second = portal.upload("AR-ANSES", second_file, replace="true").json()
    assert second["version"] == 2
    detail = portal.client.get(f"/api/returns/AR-ANSES/{PERIOD}", headers=portal.auth("AR-ANSES")).json()
    (warning,) = detail["warnings"]
    assert (detail["state"], warning["explained"], warning["starting_text"]) == ("NEEDS_EXPLANATION", False, WHY)
    assert f">{WHY}</textarea>" in officer.get("/").text
    made = portal.client.post(f"/api/submissions/{second['submission_id']}/explanations",
                              headers=portal.auth("AR-ANSES"), json={"rule": "HOURS_UNUSUAL", "text": WHY})  # fmt: skip
    assert made.status_code == 201 and made.json()["rule"] == "HOURS_UNUSUAL"
    assert portal.client.get(f"/api/returns/AR-ANSES/{PERIOD}", headers=portal.auth("AR-ANSES")).json()["state"] \
        == "READY"  # fmt: skip


def test_ciess_reviews_from_the_grid_and_institutions_cannot(portal):
    portal.upload("AR-ANSES", ROSTER, kind="staffing")
    portal.upload("AR-ANSES", TRAINING)
    operator = signed_in(portal, "operator")
    grid = operator.get(f"/review?period={PERIOD}")
    assert grid.status_code == 200
    expected = expected_in(PERIOD)
    assert f"{len(expected)} returns expected" in text_of(grid.text)
    assert grid.text.count('<tr class="state-') == len(expected)
    andean = [code.code for code in expected if code.subregion_code == "ANDEAN"]
    filtered = operator.get(f"/review?period={PERIOD}&subregion=ANDEAN")
    assert filtered.text.count('<tr class="state-') == len(andean)
    ready = operator.get(f"/review?period={PERIOD}&state=READY").text
    assert ready.count('<tr class="state-') == 1 and "AR-ANSES" in ready
    no_training = operator.get(f"/review?period={PERIOD}&state=MISSING&kind=training").text
    assert no_training.count('<tr class="state-') == len(expected) - 1

    # an institution can neither see the grid nor act on a return, and another's return is 404
    officer = signed_in(portal, "AR-ANSES")
    assert officer.get("/review").status_code == 403
    assert officer.post(f"/review/AR-ANSES/{PERIOD}/approve").status_code == 403
    for action in ("approve", "return", "reopen"):
        response = portal.client.post(f"/api/returns/AR-ANSES/{PERIOD}/{action}", headers=portal.auth("AR-ANSES"),
                                      json={"comment": WHY})  # fmt: skip
        assert response.status_code == 403
    for action in ("lock", "unlock"):
        response = portal.client.post(f"/api/periods/{PERIOD}/{action}", headers=portal.auth("AR-ANSES"),
                                      json={"reason": "closing the quarter"})  # fmt: skip
        assert response.status_code == 403
    assert portal.client.get(f"/api/returns/BR-INSS/{PERIOD}", headers=portal.auth("AR-ANSES")).status_code == 404
    assert officer.get(f"/returns/BR-INSS/{PERIOD}").status_code == 404

    # CIESS returns it with a comment; the officer reads it; the same rules as the command line
    short = operator.post(f"/review/AR-ANSES/{PERIOD}/return", data={"comment": "fix it"})
    assert short.status_code == 409 and "at least 20 characters" in short.text
    comment = "The roster counts the regional offices twice; send it again."
    returned = operator.post(f"/review/AR-ANSES/{PERIOD}/return?subregion=SOUTHERN_CONE", data={"comment": comment})
    assert "AR-ANSES 2026-Q2: returned; the return is now “Returned by CIESS”" in text_of(returned.text)
    southern = [code for code in expected if code.subregion_code == "SOUTHERN_CONE"]
    assert returned.text.count('<tr class="state-') == len(southern)  # the grid keeps its filters
    home = text_of(officer.get("/").text)
    assert comment in home and "CIESS sent your return back" in home
    refused = operator.post(f"/review/AR-ANSES/{PERIOD}/approve")
    assert refused.status_code == 409 and "it is RETURNED" in refused.text
    portal.upload("AR-ANSES", EXAMPLES["staffing"] / "warning-AGE_UNUSUAL.csv", kind="staffing", replace="true")
    by_api = portal.client.get(f"/api/returns?period={PERIOD}&state=NEEDS_EXPLANATION", headers=portal.auth("operator"))
    assert [row["institution"] for row in by_api.json()] == ["AR-ANSES"]

    # an operator records the explanation on the institution's behalf, then approves through the API
    current = Ledger.of(portal.settings).current("AR-ANSES", "staffing", PERIOD)
    recorded = portal.client.post(
        f"/api/submissions/{current.submission_id}/explanations", headers=portal.auth("operator"),
        json={"rule": "AGE_UNUSUAL", "text": WHY},
    )  # fmt: skip
    assert recorded.status_code == 201
    approved = portal.client.post(f"/api/returns/AR-ANSES/{PERIOD}/approve", headers=portal.auth("operator"))
    assert (approved.status_code, approved.json()["state"]) == (200, "APPROVED")
    assert approved.json()["approved_by"] == "operator"
    late_file = portal.upload("AR-ANSES", TRAINING.with_name("warning-COLUMN_UNKNOWN.csv"), replace="true").json()
    assert late_file["status"] == "REJECTED" and "RETURN_APPROVED" in late_file["rule_counts"]
    reopened = operator.post(f"/review/AR-ANSES/{PERIOD}/reopen", data={"comment": "The institution found a typo."})
    assert "reopened; the return is now “Ready for review”" in text_of(reopened.text)
    status = portal.client.get(f"/api/periods/{PERIOD}", headers=portal.auth("operator")).json()
    assert status["states"]["READY"] == 1 and status["expected"] == len(expected)
    assert portal.client.get(f"/api/periods/{PERIOD}", headers=portal.auth("AR-ANSES")).status_code == 403


def test_the_grid_speaks_the_operators_language(portal):
    operator = signed_in(portal, "operator", lang="es")
    page = text_of(operator.get(f"/review?period={PERIOD}").text)
    assert "Revisar las entregas" in page and "Falta un archivo" in page
    assert institutions()["AR-ANSES"].code in page


@pytest.mark.warehouse
def test_ciess_locks_and_unlocks_a_quarter_from_the_grid(example_home, tmp_path):
    from pipelines.cli.cycle import build_for_lock
    from pipelines.common.settings import Settings
    from pipelines.portal.app import create_app
    from pipelines.portal.auth import TokenStore

    ciess = copy_home(example_home, tmp_path)
    settings = Settings.from_env(ciess.home)
    store = TokenStore.of(Settings.from_env(ciess.home))
    portal = Portal.__new__(Portal)  # the built home, served with the build a lock runs, as `ciess serve` does
    portal.settings, portal.app = settings, create_app(settings, rate_limit=1000, build=build_for_lock(settings))
    portal.tokens = {"AR-ANSES": store.create("AR-ANSES")[0], "operator": store.create(None, "Review desk")[0]}
    portal.client = TestClient(portal.app)
    operator = signed_in(portal, "operator")

    assert operator.post(f"/review/periods/{PERIOD}/lock", data={"reason": ""}).status_code == 409
    locked = operator.post(f"/review/periods/{PERIOD}/lock", data={"reason": "Quarterly review done"})
    assert locked.status_code == 200, text_of(locked.text)[:2000]
    assert f"{PERIOD} locked: final figures revision 1 kept" in text_of(locked.text)
    assert "locked by Review desk" in text_of(locked.text) and '/lock"' not in locked.text  # now it offers unlock
    final = ciess.run("query", f"select count(*) as n from final_capacity_by_institution where period = '{PERIOD}'",
                      "--format", "json")  # fmt: skip
    assert json.loads(final.stdout)[0]["n"] == len(expected_in(PERIOD))  # one row per expected institution

    refused = portal.upload("AR-ANSES", EXAMPLES["staffing"] / "warning-AGE_UNUSUAL.csv", kind="staffing",
                            replace="true").json()  # fmt: skip
    assert refused["status"] == "REJECTED" and "PERIOD_LOCKED" in refused["rule_counts"]
    officer = signed_in(portal, "AR-ANSES")
    assert "Cifras definitivas, revisión 1" in text_of(officer.get("/?lang=es").text)  # in the closed quarters
    assert operator.post(f"/review/AR-ANSES/{PERIOD}/approve").status_code == 409  # reviews refused while locked

    unlocked = portal.client.post(f"/api/periods/{PERIOD}/unlock", headers=portal.auth("operator"),
                                  json={"reason": "A late correction of the roster"})  # fmt: skip
    assert unlocked.status_code == 200 and unlocked.json()["locked"] is False and unlocked.json()["revisions"] == 1
    events = json.loads(ciess.run("audit", "--period", PERIOD, "--json").stdout)
    assert [(e["action"], e["actor"].endswith("(Review desk)")) for e in events if e["action"] in ("lock", "unlock")] \
        == [("lock", True), ("unlock", True)]  # fmt: skip

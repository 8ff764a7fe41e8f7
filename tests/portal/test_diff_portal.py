"""The resubmission diff on the portal and the API, through real HTTP requests on real files: the
confirmation before a replacement shows what would change and records nothing until confirmed; the
receipt page and the API carry the counts; diff.csv is served to the institution and to CIESS staff
only (404 to another institution, as for its files)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from pipelines.intake.storing.ledger import Ledger
from pipelines.portal.uploads import PENDING_DIR
from tests.conftest import EXAMPLES
from tests.intake.checking.test_version_diff import diff_csv_lines, expected_diff
from tests.portal.test_cycle_portal import send_page, signed_in, text_of
from tests.portal.test_portal import Portal

ROSTER = EXAMPLES["staffing"] / "valid.csv"


@pytest.fixture
def portal(tmp_path) -> Portal:
    return Portal(tmp_path / "home")


def _second_roster(tmp_path):
    """The example roster with its first row's sex changed, its second row gone and a new row."""
    lines = ROSTER.read_text(encoding="utf-8").splitlines()
    header, first, _, *rest = lines
    edited = [header, first.replace(",F,", ",M,", 1), *rest, "E0999,X,1991,2020-02-03,IT,TEMPORARY,1"]
    path = tmp_path / "roster-v2.csv"
    path.write_text("\n".join(edited) + "\n", encoding="utf-8")
    return path


def _recorded(portal: Portal) -> list[str]:
    home = portal.settings.home
    skip = {PENDING_DIR, ".scratch"}
    return sorted(str(p.relative_to(home)) for p in home.rglob("*")
                  if p.is_file() and not skip & set(p.relative_to(home).parts))  # fmt: skip


def test_the_confirmation_shows_what_would_change_and_records_nothing_until_confirmed(portal, tmp_path):
    officer = signed_in(portal, "AR-ANSES")
    assert send_page(officer, ROSTER, "staffing").status_code == 303
    second = _second_roster(tmp_path)
    before = _recorded(portal)

    asked = send_page(officer, second, "staffing")
    shown = text_of(asked.text)
    assert asked.status_code == 200 and "What would change if you confirm" in shown
    assert "Compared with version 1:" in shown
    for label, count in (("Added", 1), ("Removed", 1), ("Changed", 1), ("Unchanged", 4), ("Sex", 1)):
        assert f" {label} {count} " in shown, label
    assert _recorded(portal) == before  # no ledger row, no lake file, no archive
    assert len(Ledger.of(portal.settings).all()) == 1

    pending_id = re.search(r'name="pending_id" value="([0-9a-f]+)"', asked.text).group(1)
    done = officer.post("/upload/confirm", data={"pending_id": pending_id, "answer": "replace"}, follow_redirects=False)
    assert done.status_code == 303
    receipt_page = text_of(officer.get(done.headers["location"]).text)
    assert "Compared with version 1:" in receipt_page and " Sex 1 " in receipt_page
    assert "Every added, removed and changed row (CSV)" in receipt_page


def test_the_receipt_page_speaks_the_readers_language(portal, tmp_path):
    portal.upload("AR-ANSES", ROSTER, kind="staffing")
    receipt = portal.upload("AR-ANSES", _second_roster(tmp_path), kind="staffing", replace="true").json()
    officer = signed_in(portal, "AR-ANSES", lang="pt")
    page = text_of(officer.get(f"/receipts/{receipt['submission_id']}").text)
    assert "Comparado com a versão 1:" in page and " Adicionadas 1 " in page and " Sexo 1 " in page


def test_diff_csv_is_served_to_the_institution_and_staff_only(portal, tmp_path):
    portal.upload("AR-ANSES", ROSTER, kind="staffing")
    second = _second_roster(tmp_path)
    receipt = portal.upload("AR-ANSES", second, kind="staffing", replace="true").json()
    assert receipt["diff"] == {"previous_version": 1, "added": 1, "removed": 1, "changed": 1, "unchanged": 4,
                               "changed_by_column": {"sex": 1}}  # fmt: skip
    submission = receipt["submission_id"]
    api = f"/api/submissions/{submission}/diff.csv"
    mine = portal.client.get(api, headers=portal.auth("AR-ANSES"))
    staff = portal.client.get(api, headers=portal.auth("operator"))
    assert mine.status_code == staff.status_code == 200 and mine.content == staff.content
    assert portal.client.get(api, headers=portal.auth("BR-INSS")).status_code == 404
    assert portal.client.get(api).status_code == 401

    written = tmp_path / "served-diff.csv"
    written.write_bytes(mine.content)
    _, lines = expected_diff(ROSTER, second, "staffing")
    assert diff_csv_lines(written, "staffing", "es") == lines  # AR-ANSES reads Spanish
    assert {row[3] for row in csv.reader(io.StringIO(mine.content.decode("utf-8-sig")), delimiter=";")} >= {
        "E0001", "E0002", "E0999"}  # the institution's own identifiers  # fmt: skip

    # the page's route: the same file, to the institution and to staff; 404 to another institution
    page_route = f"/receipts/{submission}/diff.csv"
    assert signed_in(portal, "AR-ANSES").get(page_route).content == mine.content
    assert signed_in(portal, "operator").get(page_route).content == mine.content
    assert signed_in(portal, "BR-INSS").get(page_route).status_code == 404
    # a first version has no diff
    first = Ledger.of(portal.settings).all()[0].submission_id
    assert portal.client.get(f"/api/submissions/{first}/diff.csv", headers=portal.auth("AR-ANSES")).status_code == 404
    assert portal.client.get(f"/api/submissions/{first}", headers=portal.auth("AR-ANSES")).json()["diff"] is None
    assert "open that version's receipt" in portal.client.get(
        f"/api/submissions/{first}/diff.csv", headers=portal.auth("AR-ANSES")).json()["detail"]  # fmt: skip
    # a diff.csv gone from the archive (a home restored without it) is a 404 that says whom to tell, not a 503
    (portal.settings.home / Ledger.of(portal.settings).diff_of(submission)["diff_path"]).unlink()
    gone = portal.client.get(api, headers=portal.auth("AR-ANSES"))
    assert gone.status_code == 404 and "tell CIESS" in gone.json()["detail"]

"""The upload portal's HTTP API: every endpoint, every refusal, through real HTTP requests."""

from __future__ import annotations

import io
import json
import threading
from datetime import datetime

import openpyxl
import polars as pl
import pytest
from fastapi.testclient import TestClient

from pipelines.common.paths import PROJECT_ROOT
from pipelines.common.settings import Settings
from pipelines.contract.model import load_contract
from pipelines.intake.storing.ledger import Ledger
from pipelines.portal.app import create_app
from pipelines.portal.auth import TokenStore
from tests.conftest import EXAMPLES, PERIOD
from tests.portal.browsing import Browser


class Portal:
    def __init__(self, home, rate_limit=1000, max_upload_mb=200, page_rate_limit=1000):
        self.settings = Settings.from_env(home, max_upload_mb=max_upload_mb)
        self.app = create_app(self.settings, rate_limit=rate_limit, page_rate_limit=page_rate_limit)
        store = TokenStore.of(Settings.from_env(home))
        self.tokens = {code: store.create(code)[0] for code in ("AR-ANSES", "BR-INSS")}
        self.tokens["operator"] = store.create(None)[0]
        self.store = store
        self.client = Browser(self.app)

    def auth(self, who: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def upload(self, who, path, kind="training", period=PERIOD, name=None, content_type="text/csv", **form):
        files = {"file": (name or path.name, path.read_bytes(), content_type)}
        return self.client.post("/api/submissions", headers=self.auth(who), files=files,
                                data={"kind": kind, "period": period, **form})  # fmt: skip


@pytest.fixture
def portal(tmp_path) -> Portal:
    return Portal(tmp_path / "home")


def test_upload_returns_the_receipt_and_lists_it(portal):
    response = portal.upload("AR-ANSES", EXAMPLES["staffing"] / "valid.csv", kind="staffing")
    assert response.status_code == 201
    receipt = response.json()
    assert (receipt["institution"], receipt["status"], receipt["version"]) == ("AR-ANSES", "ACCEPTED", 1)
    listed = portal.client.get("/api/submissions", headers=portal.auth("AR-ANSES")).json()
    assert [(row["submission_id"], row["status"], row["version"]) for row in listed] == [
        (receipt["submission_id"], "ACCEPTED", 1)
    ]
    again = portal.client.get(f"/api/submissions/{receipt['submission_id']}", headers=portal.auth("AR-ANSES"))
    assert again.json() == receipt
    # the warehouse, the sensor and the reports read the same ledger and lake as for `ciess submit`
    (current,) = Ledger.of(portal.settings).current_versions()
    assert current.submission_id == receipt["submission_id"] and (portal.settings.home / current.lake_path).exists()


def test_rejected_upload_has_its_issues_csv(portal):
    receipt = portal.upload("AR-ANSES", EXAMPLES["training"] / "invalid-DATE_ORDER.csv").json()
    assert receipt["status"] == "REJECTED" and receipt["rule_counts"]["DATE_ORDER"] == 1
    issues = portal.client.get(
        f"/api/submissions/{receipt['submission_id']}/issues.csv", headers=portal.auth("AR-ANSES")
    )
    assert issues.status_code == 200 and issues.headers["content-type"].startswith("text/csv")
    assert "DATE_ORDER" in issues.content.decode("utf-8-sig")


def test_receipt_language_defaults_to_the_institution_and_can_be_asked(portal):
    spanish = portal.upload("AR-ANSES", EXAMPLES["training"] / "invalid-CODE_UNKNOWN.csv").json()
    assert "Modalidad" in spanish["issues"][0]["message"]
    french = portal.upload("AR-ANSES", EXAMPLES["training"] / "invalid-CODE_UNKNOWN.csv", lang="fr").json()
    assert "Modalité" in french["issues"][0]["message"]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "no token"),
        ({"Authorization": "Bearer ciess_not-a-token"}, "not valid"),
        ({"Authorization": "Basic x"}, "no token"),
    ],
)
def test_missing_or_wrong_token_is_401(portal, headers, message):
    for method, url in (("get", "/api/submissions"), ("get", "/api/me"), ("post", "/api/submissions")):
        response = getattr(portal.client, method)(url, headers=headers)
        assert response.status_code == 401
        assert message in response.json()["detail"]


def test_revoked_token_is_401(portal):
    (record,) = [r for r in portal.store.all() if r.institution == "BR-INSS"]
    assert portal.client.get("/api/me", headers=portal.auth("BR-INSS")).status_code == 200
    portal.store.revoke(record.token_id)
    response = portal.client.get("/api/me", headers=portal.auth("BR-INSS"))
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_another_institutions_receipt_is_404_and_the_operator_sees_all(portal):
    receipt = portal.upload("AR-ANSES", EXAMPLES["staffing"] / "valid.csv", kind="staffing").json()
    url = f"/api/submissions/{receipt['submission_id']}"
    assert portal.client.get(url, headers=portal.auth("BR-INSS")).status_code == 404
    assert portal.client.get(url + "/issues.csv", headers=portal.auth("BR-INSS")).status_code == 404
    unknown = portal.client.get("/api/submissions/20260101T000000-nothing", headers=portal.auth("BR-INSS"))
    assert unknown.status_code == 404  # the same answer whether the submission exists or not
    assert portal.client.get("/api/submissions", headers=portal.auth("BR-INSS")).json() == []
    assert portal.client.get(url, headers=portal.auth("operator")).status_code == 200
    assert len(portal.client.get("/api/submissions", headers=portal.auth("operator")).json()) == 1


def test_operator_uploads_for_a_named_institution(portal):
    response = portal.upload("operator", EXAMPLES["staffing"] / "valid.csv", kind="staffing", institution="CL-IPS")
    assert response.status_code == 201 and response.json()["institution"] == "CL-IPS"
    assert portal.upload("operator", EXAMPLES["staffing"] / "valid.csv", kind="staffing").status_code == 422


def test_oversize_upload_is_413_and_nothing_is_recorded(tmp_path):
    portal = Portal(tmp_path / "home", max_upload_mb=1)
    big = tmp_path / "big.csv"
    big.write_bytes((EXAMPLES["staffing"] / "valid.csv").read_bytes() * 6000)  # about 1.7 MB
    response = portal.upload("AR-ANSES", big, kind="staffing")
    assert response.status_code == 413 and "limit of 1 MB" in response.json()["detail"]

    def chunks():  # no Content-Length: the limit holds while the body streams in
        boundary = b"--xyz\r\n"
        yield boundary + b'Content-Disposition: form-data; name="kind"\r\n\r\nstaffing\r\n'
        yield boundary + b'Content-Disposition: form-data; name="period"\r\n\r\n2026-Q2\r\n'
        yield (
            boundary
            + b'Content-Disposition: form-data; name="file"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        )
        for _ in range(40):
            yield b"x" * 65536
        yield b"\r\n--xyz--\r\n"

    headers = {**portal.auth("AR-ANSES"), "Content-Type": "multipart/form-data; boundary=xyz"}
    streamed = portal.client.post("/api/submissions", headers=headers, content=chunks())
    assert streamed.status_code == 413
    assert Ledger.of(portal.settings).all() == []


@pytest.mark.parametrize("content_type", ["image/png", "application/pdf", "text/html"])
def test_wrong_content_type_is_415(portal, content_type):
    response = portal.upload("AR-ANSES", EXAMPLES["staffing"] / "valid.csv", kind="staffing", content_type=content_type)
    assert response.status_code == 415 and content_type in response.json()["detail"]
    assert Ledger.of(portal.settings).all() == []


def test_client_file_name_is_never_a_path(portal, tmp_path):
    response = portal.upload("AR-ANSES", EXAMPLES["staffing"] / "valid.csv", kind="staffing",
                             name="../../../../tmp/..\\etc\\evil.csv")  # fmt: skip
    assert response.status_code == 201
    (row,) = Ledger.of(portal.settings).all()
    assert row.original_name == "evil.csv"
    assert (portal.settings.home / row.archive_path).resolve().is_relative_to(portal.settings.home.resolve())
    assert not list(tmp_path.parent.glob("**/evil*.csv"))


def test_bad_period_or_kind_is_422_with_a_message(portal):
    response = portal.upload("AR-ANSES", EXAMPLES["staffing"] / "valid.csv", kind="staffing", period="2026-5")
    assert response.status_code == 422 and "YYYY-Qn" in response.json()["detail"]
    assert portal.upload("AR-ANSES", EXAMPLES["staffing"] / "valid.csv", kind="payroll").status_code == 422
    future = portal.upload("AR-ANSES", EXAMPLES["staffing"] / "valid.csv", kind="staffing", period="2999-Q1")
    assert future.status_code == 422 and "has not started yet" in future.json()["detail"]
    assert portal.client.get("/api/submissions", headers=portal.auth("AR-ANSES")).json() == []  # nothing recorded


def test_a_period_written_with_t_for_trimestre_is_that_quarter(portal):
    receipt = portal.upload("AR-ANSES", EXAMPLES["staffing"] / "valid.csv", kind="staffing", period="2026-T2").json()
    assert (receipt["period"], receipt["status"]) == ("2026-Q2", "ACCEPTED")
    again = portal.upload("AR-ANSES", EXAMPLES["staffing"] / "valid.csv", kind="staffing", period="2026-q2").json()
    assert again["status"] == "DUPLICATE"  # one quarter, however it is written


@pytest.mark.parametrize(
    ("accept_language", "words"),
    [("es-PE,es;q=0.9,en;q=0.5", "Token de acceso"), ("de-DE,de;q=0.9,pt-BR;q=0.8", "Token de acesso"),
     ("fr-CA", "Jeton d&#39;accès"), (None, "Access token")],
)  # fmt: skip
def test_the_sign_in_page_follows_the_browsers_language(portal, accept_language, words):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    page = TestClient(portal.app).get("/", headers=headers)
    assert page.status_code == 200 and words in page.text


def test_two_institutions_uploading_at_once_are_both_recorded(portal):
    results = {}

    def send(who):
        results[who] = portal.upload(who, EXAMPLES["staffing"] / "valid.csv", kind="staffing")

    threads = [threading.Thread(target=send, args=(who,)) for who in ("AR-ANSES", "BR-INSS")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {who: r.status_code for who, r in results.items()} == {"AR-ANSES": 201, "BR-INSS": 201}
    rows = Ledger.of(portal.settings).all()
    assert sorted((row.institution, row.version) for row in rows) == [("AR-ANSES", 1), ("BR-INSS", 1)]


def test_rate_limit_per_token(tmp_path):
    portal = Portal(tmp_path / "home", rate_limit=3)
    codes = [portal.client.get("/api/me", headers=portal.auth("AR-ANSES")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert portal.client.get("/api/me", headers=portal.auth("BR-INSS")).status_code == 200  # another token


def test_the_rate_limit_holds_across_workers(tmp_path):
    """Two workers of the portal on one home (two apps, as uvicorn's workers are) count together."""
    first = Portal(tmp_path / "home", rate_limit=3)
    second = Browser(create_app(first.settings, rate_limit=3))
    clients = [first.client, second, first.client, second]
    codes = [client.get("/api/submissions", headers=first.auth("AR-ANSES")).status_code for client in clients]
    assert codes == [200, 200, 200, 429]
    assert second.get("/api/submissions", headers=first.auth("BR-INSS")).status_code == 200  # per token


def test_pages_are_rate_limited_per_visitor_in_the_visitors_language(tmp_path):
    portal = Portal(tmp_path / "home", page_rate_limit=3)
    signed_in = Browser(portal.app)  # from the same address, but counted by its session once signed in
    assert signed_in.sign_in(portal.tokens["BR-INSS"]).status_code == 303  # the address's first page
    codes = [portal.client.get("/?lang=es").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = portal.client.get("/?lang=es")
    assert refused.headers["retry-after"] == "60" and "Espere un minuto" in refused.text
    assert portal.client.get("/api/me", headers=portal.auth("AR-ANSES")).status_code == 200  # the API counts apart
    assert signed_in.get("/").status_code == 200


@pytest.mark.parametrize(("lang", "sheet"), [("pt", "quadro"), ("es", "plantilla"), ("fr", "effectifs")])
def test_filled_xlsx_template_uploaded_as_is_is_accepted(portal, tmp_path, lang, sheet):
    """An officer fills the template in its language, picking codes from its drop-down lists."""
    roster = portal.client.get(f"/api/templates/staffing.xlsx?lang={lang}")
    assert roster.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(roster.content))
    data = workbook[sheet]
    contract = load_contract("staffing")
    assert data["A1"].value == contract.column("staff_id").label(lang)
    offered = {}  # column letter -> what its drop-down list offers
    for validation in data.data_validations.dataValidation:
        listed = workbook[validation.formula1.split("!")[0].strip("'")]
        letter = validation.formula1.split("!$")[1][0]
        offered[letter] = [cell.value for cell in listed[letter] if cell.value]
        assert validation.showErrorMessage and validation.errorStyle == "stop"  # anything else is refused
    sex, group = offered["B"], offered["E"]
    assert sex == [f"{code} — {contract.column('sex').code_label(code, lang)}" for code in ("F", "M", "X")]
    for row, values in enumerate(
        [["E0001", sex[0], 1985, datetime(2010, 3, 1), group[5], offered["F"][0], 1],
         ["E0002", sex[1], 1972, datetime(1999, 7, 15), group[4], offered["F"][1], 0.5]], start=2):  # fmt: skip
        for column, value in enumerate(values, start=1):
            data.cell(row=row, column=column, value=value)
    filled = tmp_path / "roster.xlsx"
    workbook.save(filled)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = portal.upload("BR-INSS", filled, kind="staffing", content_type=xlsx)
    assert (response.json()["status"], response.json()["rows"]) == ("ACCEPTED", 2), response.json()["issues"]
    lake = next((portal.settings.home / "lake" / "staffing").rglob("rows.parquet"))
    stored = pl.read_parquet(lake).sort("source_row")
    assert stored["sex"].to_list() == ["F", "M"] and stored["occupational_group"].to_list() == ["ADMINISTRATION", "IT"]


def test_the_spanish_template_explains_and_exemplifies_in_spanish(portal):
    training = openpyxl.load_workbook(io.BytesIO(portal.client.get("/api/templates/training.xlsx?lang=es").content))
    assert training.sheetnames == ["capacitacion", "listas", "instrucciones"]
    guide = {row[1]: row for row in training["instrucciones"].iter_rows(values_only=True) if row and row[1]}
    assert guide["certified"][5] == "sí" and guide["modality"][5] == "VIRTUAL — Virtual"
    assert "IN_PERSON — Presencial" in guide["modality"][4]


def test_filled_csv_template_uploaded_as_is_is_accepted(portal, tmp_path):
    template = portal.client.get("/api/templates/staffing.csv?lang=fr")
    assert template.status_code == 200 and template.content.startswith(b"\xef\xbb\xbf")
    assert template.content.decode("utf-8-sig").count(";") == 6  # a French spreadsheet opens it in columns
    filled = tmp_path / "effectifs.csv"
    filled.write_bytes(template.content + "E1;Féminin;1980;01/01/2010;Juridique;Permanent (titulaire);0,5\r\n".encode())
    assert portal.upload("BR-INSS", filled, kind="staffing").json()["status"] == "ACCEPTED"


def test_template_of_an_unknown_kind_is_404(portal):
    assert portal.client.get("/api/templates/payroll.xlsx").status_code == 404


def test_served_openapi_is_the_one_kept_in_the_repo(portal):
    kept = json.loads((PROJECT_ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert portal.client.get("/openapi.json").json() == kept, (
        "docs/openapi.json is out of date; write it again from the served one (json.dumps(..., indent=2, "
        "ensure_ascii=False) of GET /openapi.json) and review the difference"
    )


def test_sign_in_page_refuses_a_bad_token_clearly(portal):
    page = portal.client.get("/?lang=es")
    assert page.status_code == 200 and "Token de acceso" in page.text
    refused = portal.client.post("/signin", data={"token": "wrong"})
    assert refused.status_code == 401 and "no es válido" in refused.text  # the language chosen sticks
    signed = portal.client.post("/signin", data={"token": portal.tokens["BR-INSS"]}, follow_redirects=True)
    assert signed.status_code == 200 and "BR-INSS" in signed.text and "Enviar un archivo" in signed.text
    assert portal.tokens["BR-INSS"] not in str(portal.client.cookies.items())  # the cookie holds no token

    fresh = TestClient(portal.app)  # no language chosen yet: the institution's own (Brazil: Portuguese)
    signed = fresh.post("/signin", data={"token": portal.tokens["BR-INSS"]}, follow_redirects=True)
    assert "Enviar um arquivo" in signed.text


def test_an_institution_cannot_upload_as_another(portal):
    response = portal.upload("AR-ANSES", EXAMPLES["staffing"] / "valid.csv", kind="staffing", institution="BR-INSS")
    assert response.status_code == 201 and response.json()["institution"] == "AR-ANSES"


def test_file_contents_are_escaped_on_the_receipt_page(portal, tmp_path):
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(
        "staff_id,sex,birth_year,hire_date,occupational_group,employment_type,fte\n"
        "E1,<script>alert(1)</script>,1980,2010-01-01,IT,PERMANENT,1\n",
        encoding="utf-8",
    )
    receipt = portal.upload("AR-ANSES", hostile, kind="staffing").json()
    portal.client.sign_in(portal.tokens["operator"])
    page = portal.client.get(f"/receipts/{receipt['submission_id']}")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


@pytest.mark.sqlite_only
def test_a_damaged_workbook_gets_a_receipt_and_a_lost_ledger_a_503(portal, tmp_path):
    from tests.intake.reading.test_hostile_files import BROKEN, _replace_part, workbook

    damaged = _replace_part(workbook(tmp_path / "good.xlsx"), tmp_path / "bad.xlsx", "xl/styles.xml", BROKEN)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = portal.upload("AR-ANSES", damaged, kind="staffing", content_type=xlsx)
    assert response.status_code == 201 and response.json()["rule_counts"] == {"FILE_FORMAT": 1}

    portal.settings.ledger_path.unlink()  # a careless hand: the archive still holds the receipts
    lost = portal.upload("AR-ANSES", EXAMPLES["staffing"] / "valid.csv", kind="staffing")
    assert lost.status_code == 503 and "ciess doctor" in lost.json()["detail"]
    assert not portal.settings.ledger_path.exists()


@pytest.mark.parametrize("path", ["/", "/api/templates/staffing.csv", "/openapi.json", "/api/me"])
def test_every_answer_carries_the_security_headers(portal, path):
    answer = portal.client.get(path)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["referrer-policy"] == "same-origin"

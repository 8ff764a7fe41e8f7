"""The portal's JSON API (`/api/...`, described at /openapi.json) and its response models.

Every route but the templates needs `Authorization: Bearer <token>`; an institution's token sees
only its own submissions, an operator's sees all."""

import json
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from pipelines.contract.model import KINDS, LANGUAGES, load_contract
from pipelines.contract.templates import csv_template, xlsx_template
from pipelines.portal.dependencies import ApiPrincipal, LedgerDep, SettingsDep
from pipelines.portal.language import choose_language
from pipelines.portal.uploads import receive_upload
from pipelines.portal.visibility import diff_file, visible_history, visible_submission

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SubmissionSummary(BaseModel):
    submission_id: str
    institution: str
    kind: str
    period: str
    status: str
    version: int | None
    received_at: str
    late: bool
    rows: int
    errors: int
    warnings: int


class ReceiptIssue(BaseModel):  # one issue as a receipt lists it; the checks' own is pipelines.contract.issues.Issue
    rule: str
    severity: str
    row: int | None
    column: str | None
    value: str | None
    message: str


class ReceiptDiff(BaseModel):  # the receipt's `diff` (pipelines.intake.checking.version_diff.DiffCounts)
    """What a later accepted version changed against the version before it, by the kind's key."""

    previous_version: int
    added: int
    removed: int
    changed: int
    unchanged: int
    changed_by_column: dict[str, int]


class Receipt(BaseModel):
    """The receipt of the spec (field names fixed by the submission contract)."""

    submission_id: str
    institution: str
    kind: str
    period: str
    status: str
    received_at: str
    sha256: str
    version: int | None
    supersedes: str | None
    late: bool
    rows: int
    errors: int
    warnings: int
    rule_counts: dict[str, int]
    diff: ReceiptDiff | None = None  # null for a first version, a duplicate and a rejected file
    issues: list[ReceiptIssue]


class Me(BaseModel):
    institution: str | None
    operator: bool
    language: str


class Problem(BaseModel):
    detail: str


PROBLEMS = {401: {"model": Problem}, 404: {"model": Problem}, 429: {"model": Problem}}

router = APIRouter(prefix="/api")


@router.get("/me", response_model=Me, responses=PROBLEMS, tags=["api"])
def me(principal: ApiPrincipal) -> Me:
    return Me(
        institution=principal.institution, operator=principal.is_operator, language=choose_language(principal, None)
    )


@router.post("/submissions", response_model=Receipt, status_code=201,
             responses={**PROBLEMS, 409: {"model": Problem}, 413: {"model": Problem}, 415: {"model": Problem},
                        422: {"model": Problem}},
             tags=["api"])  # fmt: skip
def upload_submission(
    principal: ApiPrincipal,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="The CSV or XLSX file")],
    kind: Annotated[str, Form(description="staffing or training")],
    period: Annotated[str, Form(description="Calendar quarter, YYYY-Qn (or YYYY-Tn); it must have begun")],
    institution: Annotated[str | None, Form(description="Operators only: the institution's code")] = None,
    lang: Annotated[str | None, Form(description="Receipt language: en, es, pt or fr")] = None,
    replace: Annotated[
        bool,
        Form(
            description="Required (true) when the kind already has an accepted version "
            "for the period: this file then becomes the next version"
        ),
    ] = False,
) -> dict:
    """Submit one file for (kind, period) as the signed-in institution; the receipt comes back.
    409, and nothing taken in, when an accepted version exists and `replace` is not true."""
    return receive_upload(settings, principal, file, kind, period, institution, lang, replace)


@router.get("/submissions", response_model=list[SubmissionSummary], responses=PROBLEMS, tags=["api"])
def list_submissions(principal: ApiPrincipal, ledger: LedgerDep) -> list[dict]:
    """Every submission of the institution (all institutions for an operator), newest first."""
    return [
        {name: getattr(row, name) for name in SubmissionSummary.model_fields}
        for row in visible_history(ledger, principal)
    ]


@router.get("/submissions/{submission_id}", response_model=Receipt, responses=PROBLEMS, tags=["api"])
def get_receipt(submission_id: str, principal: ApiPrincipal, settings: SettingsDep, ledger: LedgerDep) -> dict:
    row = visible_submission(ledger, principal, submission_id)
    return json.loads((settings.home / row.receipt_path).read_text(encoding="utf-8"))


@router.get("/submissions/{submission_id}/issues.csv", responses={**PROBLEMS, 200: {"content": {"text/csv": {}}}},
            response_class=Response, tags=["api"])  # fmt: skip
def get_issues(submission_id: str, principal: ApiPrincipal, settings: SettingsDep, ledger: LedgerDep) -> Response:
    row = visible_submission(ledger, principal, submission_id)
    return Response((settings.home / row.issues_path).read_bytes(), media_type="text/csv; charset=utf-8")


@router.get("/submissions/{submission_id}/diff.csv", responses={**PROBLEMS, 200: {"content": {"text/csv": {}}}},
            response_class=Response, tags=["api"])  # fmt: skip
def get_diff(submission_id: str, principal: ApiPrincipal, settings: SettingsDep, ledger: LedgerDep) -> Response:
    """Every row a later accepted version added, removed or changed (key, column, old and new value),
    with the institution's own identifiers: for that institution and CIESS operators only."""
    path = diff_file(settings, ledger, principal, submission_id)
    return Response(path.read_bytes(), media_type="text/csv; charset=utf-8")


@router.get("/templates/{kind}.xlsx", response_class=Response, tags=["templates"],
            responses={200: {"content": {XLSX_TYPE: {}}}, 404: {"model": Problem}})  # fmt: skip
def template_xlsx(kind: str, lang: str = "en") -> Response:
    contract, lang = _template_args(kind, lang)
    headers = {"Content-Disposition": f'attachment; filename="ciess-{kind}-{lang}.xlsx"'}
    return Response(xlsx_template(contract, lang), media_type=XLSX_TYPE, headers=headers)


@router.get("/templates/{kind}.csv", response_class=Response, tags=["templates"],
            responses={200: {"content": {"text/csv": {}}}, 404: {"model": Problem}})  # fmt: skip
def template_csv(kind: str, lang: str = "en") -> Response:
    contract, lang = _template_args(kind, lang)
    headers = {"Content-Disposition": f'attachment; filename="ciess-{kind}-{lang}.csv"'}
    return Response(csv_template(contract, lang), media_type="text/csv; charset=utf-8", headers=headers)


def _template_args(kind: str, lang: str):
    if kind not in KINDS:
        raise HTTPException(404, f"no template for {kind!r}: the kinds are {', '.join(KINDS)}")
    return load_contract(kind), lang if lang in LANGUAGES else "en"

"""The upload portal: an HTTP API and server-rendered pages over the same intake as `ciess submit`.

Each institution signs in with its own token and only ever sees its own submissions (another
institution's receipt is 404, so existence does not leak); an operator token sees all. Uploads
are streamed to disk under a size limit, their content type checked, and the client's file name
is kept only as a label, never used as a path.
"""

import json
import os
import re
import tempfile
import threading
import time
from collections import deque
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import jinja2
import yaml
from fastapi import Depends, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from pipelines.common.periods import Period, period_of
from pipelines.common.registry import institutions
from pipelines.common.settings import Settings
from pipelines.contract.model import KINDS, LANGUAGES, load_contract
from pipelines.contract.templates import csv_template, xlsx_template
from pipelines.intake.receipts import first_problems, headline
from pipelines.intake.storing.ledger import Ledger, LedgerRow
from pipelines.intake.submission import UsageError, submit
from pipelines.portal.auth import Principal, TokenStore

ACCEPTED_CONTENT_TYPES = {
    "text/csv",
    "text/plain",
    "text/tab-separated-values",
    "application/csv",
    "application/vnd.ms-excel",  # what browsers on Windows send for .csv
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",  # what clients send when they do not know; the intake reads the content
}
MULTIPART_OVERHEAD = 64 * 1024
COOKIE_TOKEN, COOKIE_LANG = "ciess_token", "ciess_lang"
TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")
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


class Issue(BaseModel):
    rule: str
    severity: str
    row: int | None
    column: str | None
    value: str | None
    message: str


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
    issues: list[Issue]


class Me(BaseModel):
    institution: str | None
    operator: bool
    language: str


class Problem(BaseModel):
    detail: str


@cache
def _words() -> dict:
    with open(TEMPLATES_DIR / "portal_text.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def translator(lang: str):
    def t(key: str, **values: Any) -> str:
        texts = _words()[key]
        return (texts.get(lang) or texts["en"]).format(**values)

    return t


def safe_name(name: str | None) -> str:
    """A client's file name as a label only: no folders, no control characters, bounded."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip().lstrip(".")
    return base[:120] or "upload"


class RateLimiter:
    """At most `limit` requests per token in any `window` seconds."""

    def __init__(self, limit: int, window: float = 60.0):
        self.limit, self.window = limit, window
        self.calls: dict[str, deque] = {}
        self.lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self.lock:
            calls = self.calls.setdefault(key, deque())
            while calls and now - calls[0] > self.window:
                calls.popleft()
            if len(calls) >= self.limit:
                return False
            calls.append(now)
            return True


class BodyLimit:
    """Refuses a request body over the limit while it streams in (413), whatever it claims."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.limit:
            response = JSONResponse({"detail": self._message()}, status_code=413)
            return await response(scope, receive, send)
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413, self._message())
            return message

        return await self.app(scope, counted, send)

    def _message(self) -> str:
        return f"the upload is over the limit of {self.limit // (1024 * 1024)} MB; send a smaller file"


def create_app(settings: Settings, rate_limit: int | None = None) -> FastAPI:
    settings.ensure()
    tokens = TokenStore(settings.home / "access.sqlite")
    limiter = RateLimiter(rate_limit or int(os.environ.get("CIESS_RATE_LIMIT", "120")))
    ledger = Ledger(settings.ledger_path)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True)
    pages = Jinja2Templates(env=environment)  # every page escaped: file contents reach the receipt page
    app = FastAPI(
        title="CIESS submissions portal",
        version="1.0.0",
        description="Upload quarterly staffing and training files and read their receipts. "
        "Authenticate with `Authorization: Bearer <token>` (tokens are issued with `ciess tokens create`).",
    )
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes + MULTIPART_OVERHEAD)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    problems = {401: {"model": Problem}, 404: {"model": Problem}, 429: {"model": Problem}}

    def principal_from(token: str | None) -> Principal:
        if not token:
            raise HTTPException(401, "no token: send `Authorization: Bearer <token>`", {"WWW-Authenticate": "Bearer"})
        found = tokens.authenticate(token)
        if found is None:
            raise HTTPException(401, "the token is not valid (wrong or revoked); ask CIESS for a new one",
                                {"WWW-Authenticate": "Bearer"})  # fmt: skip
        if not limiter.allow(found.token_id):
            raise HTTPException(429, "too many requests for this token; wait a minute and try again",
                                {"Retry-After": "60"})  # fmt: skip
        return found

    def api_principal(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        return principal_from(token)

    def visible(principal: Principal, submission_id: str) -> LedgerRow:
        row = ledger.get(submission_id)
        if row is None or (not principal.is_operator and row.institution != principal.institution):
            raise HTTPException(404, f"no submission {submission_id} for you")
        return row

    def history(principal: Principal) -> list[LedgerRow]:
        rows = ledger.all()
        if not principal.is_operator:
            rows = [row for row in rows if row.institution == principal.institution]
        return list(reversed(rows))

    def language(principal: Principal | None, asked: str | None) -> str:
        if asked in LANGUAGES:
            return asked
        if principal and principal.institution:
            return institutions()[principal.institution].language
        return "en"

    def take_in(principal: Principal, upload: UploadFile, kind: str, period: str, institution: str | None,
                lang: str | None) -> dict:  # fmt: skip
        code = institution if principal.is_operator and institution else principal.institution
        if code is None:
            raise HTTPException(422, "an operator must say for which institution the file is")
        content_type = (upload.content_type or "application/octet-stream").split(";")[0].strip().lower()
        if content_type not in ACCEPTED_CONTENT_TYPES:
            raise HTTPException(415, f"content type {content_type} is not accepted: send a CSV or XLSX file")
        with tempfile.TemporaryDirectory(dir=settings.home, prefix=".upload-") as folder:
            target = Path(folder) / "upload"  # never the client's name
            with open(target, "wb") as handle:
                while chunk := upload.file.read(1024 * 1024):
                    handle.write(chunk)
            try:
                result = submit(
                    target, code, kind, period, settings, lang=lang, original_name=safe_name(upload.filename)
                )
            except UsageError as error:
                raise HTTPException(422, str(error)) from error
        return result.receipt

    # ---------------------------------------------------------------- API
    @app.get("/api/me", response_model=Me, responses=problems, tags=["api"])
    def me(principal: Annotated[Principal, Depends(api_principal)]) -> Me:
        return Me(institution=principal.institution, operator=principal.is_operator, language=language(principal, None))

    @app.post("/api/submissions", response_model=Receipt, status_code=201,
              responses={**problems, 413: {"model": Problem}, 415: {"model": Problem}, 422: {"model": Problem}},
              tags=["api"])  # fmt: skip
    def upload_submission(
        principal: Annotated[Principal, Depends(api_principal)],
        file: Annotated[UploadFile, File(description="The CSV or XLSX file")],
        kind: Annotated[str, Form(description="staffing or training")],
        period: Annotated[str, Form(description="Calendar quarter, YYYY-Qn")],
        institution: Annotated[str | None, Form(description="Operators only: the institution's code")] = None,
        lang: Annotated[str | None, Form(description="Receipt language: en, es, pt or fr")] = None,
    ) -> dict:
        """Submit one file for (kind, period) as the signed-in institution; the receipt comes back."""
        return take_in(principal, file, kind, period, institution, lang)

    @app.get("/api/submissions", response_model=list[SubmissionSummary], responses=problems, tags=["api"])
    def list_submissions(principal: Annotated[Principal, Depends(api_principal)]) -> list[dict]:
        """Every submission of the institution (all institutions for an operator), newest first."""
        return [{name: getattr(row, name) for name in SubmissionSummary.model_fields} for row in history(principal)]

    @app.get("/api/submissions/{submission_id}", response_model=Receipt, responses=problems, tags=["api"])
    def get_receipt(submission_id: str, principal: Annotated[Principal, Depends(api_principal)]) -> dict:
        row = visible(principal, submission_id)
        return json.loads((settings.home / row.receipt_path).read_text(encoding="utf-8"))

    @app.get("/api/submissions/{submission_id}/issues.csv", responses={**problems, 200: {"content": {"text/csv": {}}}},
             response_class=Response, tags=["api"])  # fmt: skip
    def get_issues(submission_id: str, principal: Annotated[Principal, Depends(api_principal)]) -> Response:
        row = visible(principal, submission_id)
        return Response((settings.home / row.issues_path).read_bytes(), media_type="text/csv; charset=utf-8")

    @app.get("/api/templates/{kind}.xlsx", response_class=Response, tags=["templates"],
             responses={200: {"content": {XLSX_TYPE: {}}}, 404: {"model": Problem}})  # fmt: skip
    def template_xlsx(kind: str, lang: str = "en") -> Response:
        contract, lang = _template_args(kind, lang)
        headers = {"Content-Disposition": f'attachment; filename="ciess-{kind}-{lang}.xlsx"'}
        return Response(xlsx_template(contract, lang), media_type=XLSX_TYPE, headers=headers)

    @app.get("/api/templates/{kind}.csv", response_class=Response, tags=["templates"],
             responses={200: {"content": {"text/csv": {}}}, 404: {"model": Problem}})  # fmt: skip
    def template_csv(kind: str, lang: str = "en") -> Response:
        contract, lang = _template_args(kind, lang)
        headers = {"Content-Disposition": f'attachment; filename="ciess-{kind}-{lang}.csv"'}
        return Response(csv_template(contract, lang), media_type="text/csv; charset=utf-8", headers=headers)

    def _template_args(kind: str, lang: str):
        if kind not in KINDS:
            raise HTTPException(404, f"no template for {kind!r}: the kinds are {', '.join(KINDS)}")
        return load_contract(kind), lang if lang in LANGUAGES else "en"

    # ---------------------------------------------------------------- pages
    def page(request: Request, name: str, principal: Principal | None, lang: str, **context) -> HTMLResponse:
        who = None
        if principal:
            who = translator(lang)("operator") if principal.is_operator else principal.institution
        values = {"t": translator(lang), "lang": lang, "languages": LANGUAGES, "principal": principal, "who": who}
        response = pages.TemplateResponse(request, name, {**values, **context})
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(COOKIE_LANG, lang, samesite="strict", httponly=True)
        return response

    def web_principal(request: Request) -> Principal | None:
        return tokens.authenticate(request.cookies.get(COOKIE_TOKEN))

    def web_language(request: Request, principal: Principal | None) -> str:
        return language(principal, request.query_params.get("lang") or request.cookies.get(COOKIE_LANG))

    def home_page(request: Request, principal: Principal, error: str | None = None, status: int = 200):
        lang = web_language(request, principal)
        kinds = [(kind, load_contract(kind).labels.get(lang, kind)) for kind in KINDS]
        response = page(
            request, "home.html.j2", principal, lang, error=error, kinds=kinds,
            history=[row.__dict__ for row in history(principal)][:50],
            institutions=sorted(institutions()), default_period=str(period_of(datetime.now(UTC).date()).previous()),
        )  # fmt: skip
        response.status_code = status
        return response

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request):
        principal = web_principal(request)
        if principal is None:
            return page(request, "signin.html.j2", None, web_language(request, None), error=None)
        return home_page(request, principal)

    @app.post("/signin", include_in_schema=False)
    def signin(request: Request, token: Annotated[str, Form()]):
        principal = tokens.authenticate(token.strip())
        if principal is None:
            lang = web_language(request, None)
            response = page(request, "signin.html.j2", None, lang, error=translator(lang)("bad_token"))
            response.status_code = 401
            return response
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE_TOKEN, token.strip(), httponly=True, samesite="strict")
        return response

    @app.post("/signout", include_in_schema=False)
    def signout():
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE_TOKEN)
        return response

    @app.post("/upload", include_in_schema=False)
    def upload_page(
        request: Request,
        file: Annotated[UploadFile, File()],
        kind: Annotated[str, Form()],
        period: Annotated[str, Form()],
        institution: Annotated[str | None, Form()] = None,
    ):
        principal = web_principal(request)
        if principal is None:
            return RedirectResponse("/", status_code=303)
        lang = web_language(request, principal)
        try:
            receipt = take_in(principal, file, kind, period, institution, lang)
        except HTTPException as error:
            return home_page(request, principal, error=str(error.detail), status=error.status_code)
        return RedirectResponse(f"/receipts/{receipt['submission_id']}", status_code=303)

    @app.get("/receipts/{submission_id}", response_class=HTMLResponse, include_in_schema=False)
    def receipt_page(request: Request, submission_id: str):
        principal = web_principal(request)
        if principal is None:
            return RedirectResponse("/", status_code=303)
        row = visible(principal, submission_id)
        receipt = json.loads((settings.home / row.receipt_path).read_text(encoding="utf-8"))
        lang = web_language(request, principal)
        deadline = Period.parse(row.period).deadline(settings.deadline_days).isoformat()
        top = headline(receipt, load_contract(row.kind), lang, deadline)
        return page(
            request, "receipt.html.j2", principal, lang, receipt=receipt, verdict=top["verdict"],
            notes=[line for line in (top["late"], top["supersedes"]) if line], counts=top["counts"],
            first=first_problems(receipt),
        )  # fmt: skip

    @app.get("/receipts/{submission_id}/issues.csv", include_in_schema=False)
    def receipt_issues(request: Request, submission_id: str):
        principal = web_principal(request)
        if principal is None:
            return RedirectResponse("/", status_code=303)
        row = visible(principal, submission_id)
        headers = {"Content-Disposition": f'attachment; filename="issues-{submission_id}.csv"'}
        return Response((settings.home / row.issues_path).read_bytes(), media_type="text/csv", headers=headers)

    return app

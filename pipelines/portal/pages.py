"""The portal's HTML pages (sign-in, home with the upload form and history, receipt page) and the
portal's words: `templates/portal_text.yaml`, looked up in the language chosen by `?lang=` (kept
in a cookie), else the institution's own. Signed in by a signed session cookie (`sessions`), and
every form that acts carries the session's CSRF secret; not in the OpenAPI description."""

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from pipelines.common.periods import Period, period_of
from pipelines.common.registry import institutions
from pipelines.common.settings import Settings
from pipelines.common.texts import Texts
from pipelines.contract import vocabulary
from pipelines.contract.model import KINDS, LANGUAGES, load_contract
from pipelines.cycle.dues import institution_dues
from pipelines.cycle.review import MIN_TEXT
from pipelines.intake.receipts import diff_summary, first_problems, headline
from pipelines.intake.storing.ledger import Ledger
from pipelines.portal.auth import Principal
from pipelines.portal.cycle_actions import explain_warning, today
from pipelines.portal.dependencies import (
    FormNotTrusted,
    FormPrincipal,
    LedgerDep,
    SessionsDep,
    SettingsDep,
    TokensDep,
    WebPrincipal,
    web_session,
)
from pipelines.portal.language import choose_language
from pipelines.portal.sessions import SESSION_COOKIE, SESSION_HOURS, Session, Sessions
from pipelines.portal.uploads import Pending, cancel_upload, confirm_upload, upload_or_hold
from pipelines.portal.visibility import diff_file, visible_history, visible_submission
from pipelines.reports.feedback import held_reports
from pipelines.reports.regional import LANGUAGE_NAMES
from pipelines.warehouse import dictionary

COOKIE_LANG = "ciess_lang"
TEMPLATES_DIR = Path(__file__).with_name("templates")
TEMPLATES = Jinja2Templates(  # every page escaped: file contents reach the receipt page
    env=jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True)
)


class TooManyPages(Exception):
    """A visitor asked for more pages than the page rate limit allows; answered 429 in `lang`."""

    def __init__(self, lang: str):
        self.lang = lang


def page_rate_limited(request: Request) -> None:
    """Pages are counted per visitor, as the API is per token: by the session cookie, else by the
    address; TooManyPages once over the limit (a script hammering the sign-in page included)."""
    visitor = request.cookies.get(SESSION_COOKIE) or (request.client.host if request.client else "")
    if not request.app.state.page_limiter.allow(hashlib.sha256(visitor.encode()).hexdigest()):
        raise TooManyPages(web_language(request, None))


def too_many_pages(request: Request, error: TooManyPages) -> HTMLResponse:
    response = page(request, "too_many_pages.html.j2", None, error.lang)
    response.status_code, response.headers["Retry-After"] = 429, "60"
    return response


def form_not_trusted(request: Request, error: FormNotTrusted) -> HTMLResponse:
    response = page(request, "form_not_trusted.html.j2", error.principal, web_language(request, error.principal))
    response.status_code = 403
    return response


router = APIRouter(include_in_schema=False, dependencies=[Depends(page_rate_limited)])


PORTAL_TEXTS = Texts(TEMPLATES_DIR / "portal_text.yaml")


def translator(lang: str):
    def t(key: str, **values: Any) -> str:
        return PORTAL_TEXTS.say(key, lang, **values)

    return t


def kind_labeller(lang: str):
    def kind_label(*kinds: str) -> str:
        return " + ".join(vocabulary.label(vocabulary.KIND, kind, lang) for kind in kinds)

    return kind_label


def web_language(request: Request, principal: Principal | None) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(COOKIE_LANG)
    return choose_language(principal, asked, request.headers.get("accept-language"))


def page(request: Request, name: str, principal: Principal | None, lang: str, **context) -> HTMLResponse:
    who = None
    if principal:
        who = translator(lang)("operator") if principal.is_operator else principal.institution
    values = {"t": translator(lang), "lang": lang, "languages": LANGUAGES, "principal": principal, "who": who,
              "kind_label": kind_labeller(lang), "label": vocabulary.labeller(lang), "min_text": MIN_TEXT,
              "csrf": getattr(request.state, "csrf", "")}  # fmt: skip
    response = TEMPLATES.TemplateResponse(request, name, {**values, **context})
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(COOKIE_LANG, lang, samesite="strict", httponly=True)
    return response


def home_page(request: Request, principal: Principal, settings: Settings, error: str | None = None,
              status: int = 200, notice: str | None = None) -> HTMLResponse:  # fmt: skip
    lang = web_language(request, principal)
    kinds = [(kind, vocabulary.label(vocabulary.KIND, kind, lang)) for kind in KINDS]
    opened, closed = ([], []) if principal.is_operator else institution_dues(settings, principal.institution, today())
    response = page(
        request, "home.html.j2", principal, lang, error=error, notice=notice, kinds=kinds, opened=opened,
        closed=closed, history=[row.__dict__ for row in visible_history(Ledger.of(settings), principal, limit=50)],
        institutions=sorted(institutions()), default_period=str(period_of(today()).previous()),
        feedback=held_reports(settings, None if principal.is_operator else principal.institution),
        language_names=LANGUAGE_NAMES,
    )  # fmt: skip
    response.status_code = status
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: WebPrincipal, settings: SettingsDep):
    if principal is None:
        lang = web_language(request, None)
        ended = translator(lang)("session_ended", hours=SESSION_HOURS) if request.cookies.get(SESSION_COOKIE) else None
        response = page(request, "signin.html.j2", None, lang, error=None, notice=ended)
        if ended:
            Sessions.end(response)
        return response
    return home_page(request, principal, settings)


@router.post("/signin")
def signin(request: Request, tokens: TokensDep, sessions: SessionsDep, token: Annotated[str, Form()]):
    principal = tokens.authenticate(token.strip())
    if principal is None:
        lang = web_language(request, None)
        response = page(request, "signin.html.j2", None, lang, error=translator(lang)("bad_token"))
        response.status_code = 401
        return response
    response = RedirectResponse("/", status_code=303)
    sessions.start(request, response, tokens.open_session(principal.token_id))
    return response


@router.post("/signout")
def signout(principal: FormPrincipal, tokens: TokensDep, session: Annotated[Session | None, Depends(web_session)]):
    if principal is not None:
        tokens.end_session(session.session_id)
    response = RedirectResponse("/", status_code=303)
    Sessions.end(response)
    return response


@router.post("/upload")
def upload_page(
    request: Request,
    principal: FormPrincipal,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()],
    period: Annotated[str, Form()],
    institution: Annotated[str | None, Form()] = None,
):
    """Take the file in, or, when it would replace an accepted version, ask first."""
    if principal is None:
        return RedirectResponse("/", status_code=303)
    lang = web_language(request, principal)
    try:
        outcome = upload_or_hold(settings, principal, file, kind, period, institution, lang)
    except HTTPException as error:
        return home_page(request, principal, settings, error=str(error.detail), status=error.status_code)
    if isinstance(outcome, Pending):
        diff = diff_summary(outcome.diff, load_contract(outcome.kind), lang)
        return page(request, "confirm.html.j2", principal, lang, held=outcome, diff=diff)
    return RedirectResponse(f"/receipts/{outcome['submission_id']}", status_code=303)


@router.post("/upload/confirm")
def confirm_page(request: Request, principal: FormPrincipal, settings: SettingsDep,
                 pending_id: Annotated[str, Form()], answer: Annotated[str, Form()]):  # fmt: skip
    if principal is None:
        return RedirectResponse("/", status_code=303)
    t = translator(web_language(request, principal))
    try:
        if answer != "replace":
            held = cancel_upload(settings, principal, pending_id)
            return home_page(request, principal, settings, notice=t("replace_cancelled", version=held.current.version))
        receipt = confirm_upload(settings, principal, pending_id)
    except HTTPException as error:
        if error.status_code != 404:
            raise
        return home_page(request, principal, settings, error=t("upload_gone"), status=404)  # answered twice, or expired
    return RedirectResponse(f"/receipts/{receipt['submission_id']}", status_code=303)


def _back(path: str) -> str:
    """Where a form sends the reader back to: a page of this portal only."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


@router.post("/explanations")
def explanation_page(request: Request, principal: FormPrincipal, settings: SettingsDep,
                     submission_id: Annotated[str, Form()], rule: Annotated[str, Form()],
                     text: Annotated[str, Form()], back: Annotated[str, Form()] = "/"):  # fmt: skip
    """Save one explanation from a return's panel, then show the panel again."""
    if principal is None:
        return RedirectResponse("/", status_code=303)
    t = translator(web_language(request, principal))
    length = len(text.strip())
    try:
        if length < MIN_TEXT:
            raise HTTPException(422, t("text_too_short", minimum=MIN_TEXT, length=length))
        explain_warning(settings, principal, submission_id, rule, text)
    except HTTPException as error:
        if error.status_code == 404:
            raise
        return home_page(request, principal, settings, error=str(error.detail), status=error.status_code)
    return RedirectResponse(_back(back), status_code=303)


@router.get("/receipts/{submission_id}", response_class=HTMLResponse)
def receipt_page(request: Request, submission_id: str, principal: WebPrincipal, settings: SettingsDep,
                 ledger: LedgerDep):  # fmt: skip
    if principal is None:
        return RedirectResponse("/", status_code=303)
    row = visible_submission(ledger, principal, submission_id)
    receipt = json.loads((settings.home / row.receipt_path).read_text(encoding="utf-8"))
    lang = web_language(request, principal)
    deadline = Period.parse(row.period).deadline(settings.deadline_days).isoformat()
    contract = load_contract(row.kind)
    top = headline(receipt, contract, lang, deadline)
    diff = ledger.diff_of(submission_id)
    return page(
        request, "receipt.html.j2", principal, lang, receipt=receipt, verdict=top["verdict"],
        notes=[line for line in (top["late"], top["supersedes"]) if line], counts=top["counts"],
        first=first_problems(receipt, contract, lang), diff=diff_summary(diff, contract, lang),
        has_diff_file=diff is not None,
    )  # fmt: skip


@router.get("/receipts/{submission_id}/issues.csv")
def receipt_issues(submission_id: str, principal: WebPrincipal, settings: SettingsDep, ledger: LedgerDep):
    if principal is None:
        return RedirectResponse("/", status_code=303)
    row = visible_submission(ledger, principal, submission_id)
    headers = {"Content-Disposition": f'attachment; filename="issues-{submission_id}.csv"'}
    return Response((settings.home / row.issues_path).read_bytes(), media_type="text/csv", headers=headers)


@router.get("/receipts/{submission_id}/diff.csv")
def receipt_diff(submission_id: str, principal: WebPrincipal, settings: SettingsDep, ledger: LedgerDep):
    """Every row the version added, removed or changed: the institution's own identifiers, so only
    to that institution and to CIESS staff (another institution gets 404, as for its files)."""
    if principal is None:
        return RedirectResponse("/", status_code=303)
    path = diff_file(settings, ledger, principal, submission_id)
    headers = {"Content-Disposition": f'attachment; filename="diff-{submission_id}.csv"'}
    return Response(path.read_bytes(), media_type="text/csv", headers=headers)


@router.get("/docs/data-dictionary", response_class=HTMLResponse)
def data_dictionary_page(principal: WebPrincipal, settings: SettingsDep):
    """The data dictionary of the last publish (dbt's static docs), for an operator only: 403 for an
    institution (it documents the whole warehouse, not one institution's files), 404 before a build."""
    if principal is None:
        return RedirectResponse("/", status_code=303)
    if not principal.is_operator:
        raise HTTPException(403, "the data dictionary is for CIESS operators only; sign in with an operator token")
    try:
        path = dictionary.published_dictionary(settings)
    except dictionary.NoDictionary:
        raise HTTPException(404, "no data dictionary yet: `ciess build` makes one when it publishes") from None
    return FileResponse(path, media_type="text/html")

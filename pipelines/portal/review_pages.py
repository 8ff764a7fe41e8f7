"""CIESS's review pages (operator token): the grid of every expected institution of a quarter with
its return's state, lateness and receipts, filterable by subregion, state and kind, from which staff
approve, return, reopen, lock and unlock (the same functions and rules as `ciess review` and `ciess
period`); and one return's page, which an institution may open for its own returns too."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from pipelines.common.periods import period_of
from pipelines.common.registry import subregions
from pipelines.common.settings import Settings
from pipelines.contract import vocabulary
from pipelines.contract.model import KINDS
from pipelines.cycle.dues import institution_due
from pipelines.cycle.review import ALLOWED_FROM, MIN_TEXT
from pipelines.cycle.states import STATES
from pipelines.cycle.status import period_report
from pipelines.intake.storing.ledger import Ledger
from pipelines.intake.submission import written_period
from pipelines.portal.auth import Principal
from pipelines.portal.cycle_actions import (
    STAFF_ONLY,
    answered,
    lock,
    review_return,
    today,
    unlock,
    visible_return,
)
from pipelines.portal.dependencies import BuildDep, FormPrincipal, SettingsDep, WebPrincipal
from pipelines.portal.pages import page, page_rate_limited, translator, web_language

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_rate_limited)])
ACTION_DONE = {"approve": "done_approve", "return": "comment_return", "reopen": "comment_reopen"}  # portal_text.yaml


def _periods(settings: Settings) -> list[str]:
    """The quarters to choose from, newest first: every one with a file, and the last closed one."""
    due = str(period_of(today()).previous())
    return sorted(set(Ledger.of(settings).periods()) | {due}, reverse=True)


def _chosen(period: str | None, settings: Settings) -> str:
    return str(answered(lambda: written_period(period))) if period else _periods(settings)[0]


def grid_page(request: Request, principal: Principal | None, settings: Settings, period: str | None = None,
              notice: str | None = None, error: str | None = None, status: int = 200):  # fmt: skip
    if principal is None:
        return RedirectResponse("/", status_code=303)
    lang = web_language(request, principal)
    if not principal.is_operator:
        raise HTTPException(403, STAFF_ONLY)
    query = request.query_params
    period = _chosen(period or query.get("period"), settings)
    report = period_report(settings, period).as_json()
    subregion, state, kind = query.get("subregion") or None, query.get("state") or None, query.get("kind") or None
    kinds = [kind] if kind in KINDS else list(KINDS)
    rows = [
        row for row in report["returns"]
        if (subregion is None or row["subregion_code"] == subregion) and (state is None or row["state"] == state)
        and (kind not in KINDS or state != "MISSING" or row[f"{kind}_version"] is None)
    ]  # fmt: skip
    regions = [(code, vocabulary.label(vocabulary.SUBREGION, code, lang)) for code in sorted(subregions())]
    chosen = {"subregion": subregion, "state": state, "kind": kind}
    response = page(
        request, "review.html.j2", principal, lang, report=report, rows=rows, periods=_periods(settings),
        period=period, subregions=regions,
        states=STATES, kinds=[(code, vocabulary.label(vocabulary.KIND, code, lang)) for code in KINDS], shown=kinds,
        chosen=chosen, allowed=ALLOWED_FROM, notice=notice,
        error=error, filters=urlencode({name: value for name, value in chosen.items() if value}),
    )  # fmt: skip
    response.status_code = status
    return response


@router.get("/review", response_class=HTMLResponse)
def review_grid(request: Request, principal: WebPrincipal, settings: SettingsDep):
    return grid_page(request, principal, settings)


def _acted(request: Request, principal: Principal | None, settings: Settings, period: str, act):
    """The grid after `act(t)` (which says what it did), or with the refusal said on top (403 and 404
    stay errors: not for this token, or nothing there)."""
    if principal is None:
        return RedirectResponse("/", status_code=303)
    t = translator(web_language(request, principal))
    try:
        notice, period = act(t)
    except HTTPException as error:
        if error.status_code in (403, 404):
            raise
        return grid_page(request, principal, settings, period, error=f"{t('refused')}: {error.detail}",
                         status=error.status_code)  # fmt: skip
    return grid_page(request, principal, settings, period, notice=notice)


@router.post("/review/periods/{period}/{action}", response_class=HTMLResponse)
def period_action(request: Request, period: str, action: str, principal: FormPrincipal, settings: SettingsDep,
                  build: BuildDep, reason: Annotated[str | None, Form()] = None):  # fmt: skip
    def act(t):
        if action == "lock":
            result = lock(settings, principal, period, reason, build)
            return t("done_lock", period=result.period, revision=result.revision), result.period
        if action == "unlock":
            opened = unlock(settings, principal, _chosen(period, settings), reason, build)
            return t("done_unlock", period=opened), opened
        raise HTTPException(404, f"no period action {action!r}")

    return _acted(request, principal, settings, period, act)


# after the periods' route, which it would otherwise take (an institution named `periods`)
@router.post("/review/{institution}/{period}/{action}", response_class=HTMLResponse)
def review_action(request: Request, institution: str, period: str, action: str, principal: FormPrincipal,
                  settings: SettingsDep, comment: Annotated[str | None, Form()] = None):  # fmt: skip
    def act(t):
        if action not in ALLOWED_FROM:
            raise HTTPException(404, f"no review action {action!r}")
        after = review_return(settings, principal, action, institution, period, comment)
        state = vocabulary.label(vocabulary.RETURN_STATUS, after.state, web_language(request, principal))
        done = t("done_review", institution=institution, period=after.period, action=t(ACTION_DONE[action]),
                 state=state)  # fmt: skip
        return done, after.period

    return _acted(request, principal, settings, period, act)


@router.get("/returns/{institution}/{period}", response_class=HTMLResponse)
def return_page(request: Request, institution: str, period: str, principal: WebPrincipal, settings: SettingsDep):
    """One return's panel (deadline, files, warnings and their explanations, CIESS's comments)."""
    if principal is None:
        return RedirectResponse("/", status_code=303)
    period = visible_return(principal, institution, period)
    due = institution_due(settings, institution, period, today())
    return page(request, "return.html.j2", principal, web_language(request, principal), due=due,
                back=f"/returns/{institution}/{period}", allowed=ALLOWED_FROM, min_text=MIN_TEXT)  # fmt: skip

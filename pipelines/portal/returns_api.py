"""The reporting cycle in the JSON API (spec cycle.md): returns and their states, explanations,
CIESS's review and the locks of periods. An institution's token sees its own returns and explains
its own warnings; approving, returning, reopening, locking and unlocking need an operator's token
(403 otherwise); another institution's return is 404."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from pipelines.common.periods import period_of
from pipelines.cycle.dues import institution_due, institution_dues
from pipelines.cycle.review import MIN_TEXT
from pipelines.cycle.states import STATES
from pipelines.cycle.status import period_report, return_row
from pipelines.intake.submission import written_period
from pipelines.portal.api import PROBLEMS, Problem
from pipelines.portal.auth import Principal
from pipelines.portal.cycle_actions import (
    answered,
    explain_warning,
    lock,
    require_operator,
    review_return,
    today,
    unlock,
    visible_return,
)
from pipelines.portal.dependencies import ApiPrincipal, BuildDep, SettingsDep

router = APIRouter(prefix="/api", tags=["cycle"])
REFUSALS = {**PROBLEMS, 403: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}}


class ReturnRow(BaseModel):
    """One return (institution x period) as CIESS's grid shows it."""

    institution: str
    country_iso2: str
    subregion_code: str
    period: str
    state: Literal["MISSING", "NEEDS_EXPLANATION", "READY", "RETURNED", "APPROVED"]
    deadline: str
    staffing_version: int | None
    training_version: int | None
    staffing_submission_id: str | None
    training_submission_id: str | None
    staffing_late: bool | None
    training_late: bool | None
    warnings_to_explain: int
    explained: int
    last_event_at: str | None
    approved_by: str | None
    approved_at: str | None
    returned_comment: str | None


class ReturnDetail(BaseModel):
    """What the institution owes for one period, as its data officer reads it."""

    institution: str
    period: str
    deadline: str
    days_left: int = Field(description="Days until the deadline; negative once it has passed")
    state: str
    locked: bool
    locked_at: str | None
    final_revision: int | None
    next_step: Literal["send_missing", "explain_warnings", "wait_for_review", "fix_returned", "nothing_to_do", "locked"]
    kinds: dict[str, dict[str, Any]]
    warnings: list[dict[str, Any]]
    comments: list[dict[str, Any]]


class PeriodStatus(BaseModel):
    period: str
    deadline: str
    locked: bool
    revision: int | None
    locked_at: str | None
    locked_by: str | None
    revisions: int
    expected: int
    states: dict[str, int]
    returns: list[ReturnRow]


class ExplanationIn(BaseModel):
    rule: Literal["HOURS_UNUSUAL", "AGE_UNUSUAL", "STAFF_NOT_IN_ROSTER", "HEADCOUNT_JUMP"]
    text: str = Field(description=f"Why the flagged values are right, at least {MIN_TEXT} characters, any language")


class ExplanationOut(BaseModel):
    event_id: int
    submission_id: str
    institution: str
    period: str
    kind: str
    rule: str
    at: str
    text: str


class ReviewIn(BaseModel):
    comment: str | None = Field(None, description=f"Required for return (what to fix) and reopen (why), "
                                                  f"at least {MIN_TEXT} characters")  # fmt: skip


class ReasonIn(BaseModel):
    reason: str = Field(description="Why the period is locked or unlocked (kept in the audit log)")


class LockOut(BaseModel):
    period: str
    revision: int
    locked_at: str
    rows: dict[str, int]


def _period(text: str) -> str:
    return str(answered(lambda: written_period(text)))


def _rows(settings, principal: Principal, period: str | None) -> list[dict]:
    if principal.is_operator:
        return period_report(settings, _period(period or str(period_of(today()).previous()))).as_json()["returns"]
    opened, closed = institution_dues(settings, principal.institution, today())
    rows = [return_row(due.item) for due in opened + closed]
    return [row for row in rows if period is None or row["period"] == _period(period)]


@router.get("/returns", response_model=list[ReturnRow], responses=REFUSALS)
def list_returns(
    principal: ApiPrincipal,
    settings: SettingsDep,
    period: Annotated[
        str | None, Query(description="YYYY-Qn (or YYYY-Tn); an operator's default is the last closed quarter")
    ] = None,
    state: Annotated[str | None, Query(description=f"One of {', '.join(STATES)}")] = None,
    subregion: Annotated[str | None, Query(description="Subregion code, e.g. ANDEAN")] = None,
) -> list[dict]:
    """Returns with their state: the institution's own (every quarter), or every expected
    institution's for one period (operator)."""
    rows = _rows(settings, principal, period)
    return [
        row for row in rows
        if (state is None or row["state"] == state) and (subregion is None or row["subregion_code"] == subregion)
    ]  # fmt: skip


@router.get("/returns/{institution}/{period}", response_model=ReturnDetail, responses=REFUSALS)
def get_return(institution: str, period: str, principal: ApiPrincipal, settings: SettingsDep) -> dict:
    """The return's deadline, days left, files received and accepted, warnings to explain (with a
    starting text), CIESS's comments and the next step."""
    period = visible_return(principal, institution, period)
    return institution_due(settings, institution, period, today()).as_json()


@router.post("/returns/{institution}/{period}/{action}", response_model=ReturnRow, responses=REFUSALS)
def act_on_return(
    institution: str,
    period: str,
    action: Literal["approve", "return", "reopen"],
    principal: ApiPrincipal,
    settings: SettingsDep,
    body: Annotated[ReviewIn | None, Body()] = None,
) -> dict:
    """CIESS staff only: approve (from READY), return with a comment (from READY or
    NEEDS_EXPLANATION), reopen with a reason (from APPROVED). 409 says why when the state forbids it."""
    after = review_return(settings, principal, action, institution, period, body.comment if body else None)
    return return_row(after)


@router.post("/submissions/{submission_id}/explanations", response_model=ExplanationOut, status_code=201,
             responses=REFUSALS)  # fmt: skip
def explain_submission(submission_id: str, body: ExplanationIn, principal: ApiPrincipal, settings: SettingsDep) -> dict:
    """Explain one warning of a current version (one text per rule; a newer one replaces it)."""
    event = explain_warning(settings, principal, submission_id, body.rule, body.text)
    return {name: getattr(event, name) for name in ExplanationOut.model_fields}


@router.get("/periods/{period}", response_model=PeriodStatus, responses=REFUSALS)
def get_period(period: str, principal: ApiPrincipal, settings: SettingsDep) -> dict:
    """CIESS staff only: every expected return of the period, its deadline and its lock."""
    require_operator(principal)
    return period_report(settings, _period(period)).as_json()


@router.post("/periods/{period}/lock", response_model=LockOut, responses={**REFUSALS, 503: {"model": Problem}})
def lock_a_period(period: str, body: ReasonIn, principal: ApiPrincipal, settings: SettingsDep, build: BuildDep) -> dict:
    """CIESS staff only: build, keep the period's figures as its next final revision, refuse every
    later file. Takes as long as a build (about a minute)."""
    result = lock(settings, principal, period, body.reason, build)
    return {"period": result.period, "revision": result.revision, "locked_at": result.locked_at, "rows": result.rows}


@router.post("/periods/{period}/unlock", response_model=PeriodStatus, responses=REFUSALS)
def unlock_a_period(period: str, body: ReasonIn, principal: ApiPrincipal, settings: SettingsDep,
                    build: BuildDep) -> dict:  # fmt: skip
    """CIESS staff only: open the period again (its final revisions stay)."""
    unlocked = unlock(settings, principal, period, body.reason, build)
    return period_report(settings, unlocked).as_json()

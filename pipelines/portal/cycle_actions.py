"""The cycle's actions as the portal offers them (spec cycle.md): the same functions as `ciess
explain`, `ciess review` and `ciess period lock|unlock`, with the same rules, and HTTP answers for
their refusals: 403 when an institution's token tries what only CIESS staff may do, 404 for another
institution's return (as for its receipts), 409 when the cycle refuses (the detail says why), 422
for a request that names nothing real."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from fastapi import HTTPException

from pipelines.common.settings import Settings
from pipelines.cycle.explanations import explain
from pipelines.cycle.returns import Return
from pipelines.cycle.review import Refused, check_return, review
from pipelines.intake.storing.cycle_log import Event
from pipelines.intake.storing.ledger import Ledger
from pipelines.intake.submission import UsageError
from pipelines.portal.auth import Principal
from pipelines.portal.visibility import visible_submission
from pipelines.warehouse.locking import Build, LockResult, lock_period, unlock_period

STAFF_ONLY = "only CIESS staff (an operator token) can approve, return, reopen, lock or unlock"
T = TypeVar("T")


def today():
    return datetime.now(UTC).date()


def answered(action: Callable[[], T]) -> T:
    """The action's result, or its refusal as an HTTP answer."""
    try:
        return action()
    except Refused as error:
        raise HTTPException(409, str(error)) from error
    except UsageError as error:
        raise HTTPException(422, str(error)) from error


def require_operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise HTTPException(403, STAFF_ONLY)


def visible_return(principal: Principal, institution: str, period: str) -> str:
    """The period (written once) of a return the principal may see: 404 for another institution's."""
    if not principal.is_operator and institution != principal.institution:
        raise HTTPException(404, f"no return of {institution} for {period} for you")
    try:
        return check_return(institution, period)
    except UsageError as error:
        raise HTTPException(404, str(error)) from error


def review_return(settings: Settings, principal: Principal, action: str, institution: str, period: str,
                  comment: str | None) -> Return:  # fmt: skip
    require_operator(principal)
    period = visible_return(principal, institution, period)
    return answered(lambda: review(settings, action, institution, period, principal.actor, comment))


def explain_warning(settings: Settings, principal: Principal, submission_id: str, rule: str, text: str) -> Event:
    """An explanation given by the institution (or recorded by CIESS staff on its behalf)."""
    visible_submission(Ledger.of(settings), principal, submission_id)
    return answered(lambda: explain(settings, submission_id, rule, text, principal.actor))


def _build(build: Build | None) -> Build:
    if build is None:
        raise HTTPException(
            503, "this portal was started without a warehouse build; lock with `ciess period lock` on the "
            "command line, or serve the portal with `ciess serve`",
        )  # fmt: skip
    return build


def lock(settings: Settings, principal: Principal, period: str, reason: str | None, build: Build | None) -> LockResult:
    require_operator(principal)
    return answered(lambda: lock_period(settings, period, reason or "", principal.actor, _build(build)))


def unlock(settings: Settings, principal: Principal, period: str, reason: str | None, build: Build | None) -> str:
    require_operator(principal)
    answered(lambda: unlock_period(settings, period, reason or "", principal.actor, build))
    return period

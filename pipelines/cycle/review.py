"""CIESS's review of a return (spec cycle.md: "Review and approval"): approve, return with a comment,
reopen with a reason. Each action reads the return and appends its event in one write transaction,
so two reviewers acting at once are served one after the other: the second decides on what the
first did (and is refused if the return is no longer in a state its action accepts)."""

from __future__ import annotations

from pipelines.common.registry import institutions
from pipelines.common.settings import Settings
from pipelines.common.timestamps import now
from pipelines.cycle.return_notices import enqueue_after
from pipelines.cycle.returns import Return, load_return
from pipelines.intake.storing import cycle_log
from pipelines.intake.storing.ledger import Ledger
from pipelines.intake.submission import UsageError, written_period

MIN_TEXT = 20  # characters of a return's comment, a reopening's reason, an explanation
ALLOWED_FROM = {"approve": ("READY",), "return": ("READY", "NEEDS_EXPLANATION"), "reopen": ("APPROVED",)}
NEEDS_TEXT = {"return": "comment", "reopen": "reason"}
WHY_NOT = {
    "MISSING": "a kind has no accepted version yet",
    "NEEDS_EXPLANATION": "a warning still needs its explanation",
    "READY": "it waits for review",
    "RETURNED": "it was returned and nothing changed since",
    "APPROVED": "it is approved (reopen it first)",
}


class Refused(Exception):
    """The cycle refuses the action (wrong state, locked, text too short): exit 1, with the reason."""


def check_return(institution: str, period: str) -> str:
    """The period, written once, of a return that exists: the institution is a member then (else exit 2)."""
    registry = institutions()
    if institution not in registry:
        raise UsageError(f"unknown institution {institution!r}; `ciess institutions` lists the codes")
    parsed = str(written_period(period))
    member = registry[institution]
    if not member.expected_in(parsed):
        raise UsageError(f"{institution} has no return for {parsed}: it is a {member.membership()}")
    return parsed


def check_text(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if len(text) < MIN_TEXT:
        raise Refused(f"the {what} must say why in at least {MIN_TEXT} characters (it has {len(text)})")
    return text


def refuse_if_locked(connection, period: str) -> None:
    lock = cycle_log.period_lock(connection, period)
    if lock is not None:
        raise Refused(
            f"{period} is locked (by {cycle_log.who(lock.actor)} on {lock.at[:10]}): its returns cannot change; "
            f"unlock it first with `ciess period unlock {period} --reason ...`"
        )


def review(
    settings: Settings, action: str, institution: str, period: str, actor: str, comment: str | None = None
) -> Return:
    """Approve, return or reopen one return; the return as it is afterwards."""
    if action not in ALLOWED_FROM:
        raise UsageError(f"unknown review action {action!r}: use one of {', '.join(ALLOWED_FROM)}")
    period = check_return(institution, period)
    if action in NEEDS_TEXT:
        comment = check_text(comment, NEEDS_TEXT[action])
    ledger = Ledger.of(settings)
    with ledger.decision() as connection:
        refuse_if_locked(connection, period)
        current = load_return(connection, institution, period, settings.deadline_days)
        if current.state not in ALLOWED_FROM[action]:
            allowed = " or ".join(ALLOWED_FROM[action])
            raise Refused(
                f"cannot {action} the return of {institution} for {period}: it is {current.state} "
                f"({WHY_NOT[current.state]}); {action} needs {allowed}"
            )
        event = cycle_log.append(
            connection, action=action, at=now(), period=period, institution=institution, actor=actor,
            text=(comment or "").strip() or None,
        )  # fmt: skip
        enqueue_after(connection, current, event, settings.deadline_days)  # RETURNED, APPROVED
        return load_return(connection, institution, period, settings.deadline_days)

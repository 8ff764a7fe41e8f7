"""The state of a return (one institution x one period), derived from its current versions and its
events, never typed by hand (spec cycle.md: "The return"). Pure: no file, no database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipelines.contract.model import KINDS
from pipelines.intake.storing.cycle_log import REVIEW_ACTIONS, Event
from pipelines.intake.storing.ledger import ACCEPTED_STATUSES

EXPLAINABLE_RULES = ("HOURS_UNUSUAL", "AGE_UNUSUAL", "STAFF_NOT_IN_ROSTER", "HEADCOUNT_JUMP")
STATES = ("MISSING", "NEEDS_EXPLANATION", "READY", "RETURNED", "APPROVED")


@dataclass(frozen=True)
class CurrentVersion:
    """What the state needs of a current version: which it is and how many warnings of each rule."""

    submission_id: str
    version: int
    rule_counts: Mapping[str, int]


@dataclass(frozen=True)
class ExplainableWarning:
    """An explainable warning of a current version, with its explanation when there is one."""

    kind: str
    submission_id: str
    rule: str
    count: int
    explanation: Event | None


@dataclass(frozen=True)
class ReturnState:
    state: str
    warnings: tuple[ExplainableWarning, ...]
    last_event: Event | None
    approval: Event | None  # the approve event, while APPROVED
    last_return: Event | None  # the newest return event (its comment), whatever came after

    @property
    def warnings_to_explain(self) -> int:
        return len(self.warnings)

    @property
    def explained(self) -> int:
        return sum(1 for warning in self.warnings if warning.explanation is not None)


def explanations(events: Sequence[Event]) -> dict[tuple[str, str], Event]:
    """The explanation in force for each (submission_id, rule): the newest one given."""
    return {(event.submission_id, event.rule): event for event in events if event.action == "explanation"}


def is_change(event: Event) -> bool:
    """What sends a returned return back to review: an accepted new version, or an explanation."""
    return event.action == "explanation" or (event.action == "submission" and event.status in ACCEPTED_STATUSES)


def derive(current: Mapping[str, CurrentVersion], events: Sequence[Event]) -> ReturnState:
    """The state of a return from its current version of each kind and its own events, oldest first
    (the period's lock and unlock events may be among them: they do not change the state)."""
    given = explanations(events)
    warnings = tuple(
        ExplainableWarning(kind, version.submission_id, rule, count, given.get((version.submission_id, rule)))
        for kind, version in sorted(current.items())
        for rule in EXPLAINABLE_RULES
        if (count := int(version.rule_counts.get(rule, 0))) > 0
    )
    if any(kind not in current for kind in KINDS):
        state = "MISSING"
    elif any(warning.explanation is None for warning in warnings):
        state = "NEEDS_EXPLANATION"
    else:
        state = "READY"
    reviews = [event for event in events if event.action in REVIEW_ACTIONS]
    last_review = reviews[-1] if reviews else None
    last_change = max((event.event_id for event in events if is_change(event)), default=0)
    approval = None
    if last_review is not None and last_review.action == "approve":
        state, approval = "APPROVED", last_review
    elif last_review is not None and last_review.action == "return" and last_change < last_review.event_id:
        state = "RETURNED"
    returns = [event for event in reviews if event.action == "return"]
    own = [event for event in events if event.institution is not None]
    return ReturnState(
        state=state,
        warnings=warnings,
        last_event=own[-1] if own else None,
        approval=approval,
        last_return=returns[-1] if returns else None,
    )

"""Explanations of flagged values (spec cycle.md: "Explanations"): one per (submission, explainable
rule), given by the institution or recorded by CIESS on its behalf; a newer text replaces the older
one in force, and both stay in the audit log."""

from __future__ import annotations

from contextlib import closing

from pipelines.common.settings import Settings
from pipelines.cycle.return_notices import enqueue_after
from pipelines.cycle.returns import load_return
from pipelines.cycle.review import Refused, check_text, now, refuse_if_locked
from pipelines.cycle.states import EXPLAINABLE_RULES, explanations
from pipelines.intake.storing import cycle_log
from pipelines.intake.storing.cycle_log import Event
from pipelines.intake.storing.ledger import Ledger, LedgerRow
from pipelines.intake.submission import UsageError


def explained_submission(ledger: Ledger, submission_id: str, rule: str) -> tuple[LedgerRow, str]:
    """The submission and the rule (written in capitals) of an explanation that can be given (else exit 2)."""
    row = ledger.get(submission_id)
    if row is None:
        raise UsageError(f"no submission {submission_id!r}; its receipt names it (submission_id)")
    rule = rule.strip().upper()
    if rule not in EXPLAINABLE_RULES:
        raise UsageError(f"{rule} is not a warning that takes an explanation: those are {', '.join(EXPLAINABLE_RULES)}")
    if row.version is None or row.status == "DUPLICATE":
        raise UsageError(f"submission {submission_id} is {row.status}: only accepted versions take explanations")
    if not row.rule_counts.get(rule):
        flagged = [name for name in EXPLAINABLE_RULES if row.rule_counts.get(name)]
        raise UsageError(
            f"submission {submission_id} has no {rule} warning; "
            + (f"it has {', '.join(flagged)}" if flagged else "it has no warning to explain")
        )
    return row, rule


def explain(settings: Settings, submission_id: str, rule: str, text: str, actor: str) -> Event:
    ledger = Ledger.of(settings)
    row, rule = explained_submission(ledger, submission_id, rule)
    text = check_text(text, "explanation")
    with ledger.decision() as connection:
        refuse_if_locked(connection, row.period)
        approval = cycle_log.approval(connection, row.institution, row.period)
        if approval is not None:
            raise Refused(
                f"the return of {row.institution} for {row.period} is approved (by {cycle_log.who(approval.actor)} "
                f"on {approval.at[:10]}); CIESS must reopen it before its explanations change"
            )
        current = Ledger.current_in(connection, row.institution, row.kind, row.period)
        if current is not None and current.submission_id != row.submission_id:
            raise Refused(
                f"submission {submission_id} (version {row.version}) is no longer current: version "
                f"{current.version} ({current.submission_id}) is; explain that one"
            )
        before = load_return(connection, row.institution, row.period, settings.deadline_days)
        event = cycle_log.append(
            connection, action="explanation", at=now(), period=row.period, institution=row.institution,
            kind=row.kind, submission_id=row.submission_id, rule=rule, actor=actor, text=text,
        )  # fmt: skip
        enqueue_after(connection, before, event, settings.deadline_days)  # a RETURNED one still to explain
        return event


def previous_text(ledger: Ledger, submission_id: str, rule: str) -> str | None:
    """The explanation of the same rule on the version this one replaced: a starting point."""
    row = ledger.get(submission_id)
    while row is not None and row.supersedes:
        row = ledger.get(row.supersedes)
        with closing(ledger.connect()) as connection:
            given = explanations(cycle_log.events(connection, period=row.period, institution=row.institution))
        if (row.submission_id, rule) in given:
            return given[(row.submission_id, rule)].text
    return None

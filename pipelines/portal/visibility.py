"""Which submissions a principal may see: an institution only its own, an operator all. Another
institution's submission is answered exactly like one that does not exist (404), so existence does
not leak."""

from fastapi import HTTPException

from pipelines.intake.storing.ledger import Ledger, LedgerRow
from pipelines.portal.auth import Principal


def visible_submission(ledger: Ledger, principal: Principal, submission_id: str) -> LedgerRow:
    row = ledger.get(submission_id)
    if row is None or (not principal.is_operator and row.institution != principal.institution):
        raise HTTPException(404, f"no submission {submission_id} for you")
    return row


def visible_history(ledger: Ledger, principal: Principal) -> list[LedgerRow]:
    """The submissions the principal may see, newest first."""
    rows = ledger.all()
    if not principal.is_operator:
        rows = [row for row in rows if row.institution == principal.institution]
    return list(reversed(rows))

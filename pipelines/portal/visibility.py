"""Which submissions a principal may see: an institution only its own, an operator all. Another
institution's submission is answered exactly like one that does not exist (404), so existence does
not leak."""

from pathlib import Path

from fastapi import HTTPException

from pipelines.common.settings import Settings
from pipelines.intake.storing.ledger import Ledger, LedgerRow
from pipelines.portal.auth import Principal


def visible_submission(ledger: Ledger, principal: Principal, submission_id: str) -> LedgerRow:
    row = ledger.get(submission_id)
    if row is None or (not principal.is_operator and row.institution != principal.institution):
        raise HTTPException(404, f"no submission {submission_id} for you")
    return row


def diff_file(settings: Settings, ledger: Ledger, principal: Principal, submission_id: str) -> Path:
    """The diff.csv of a submission the principal may see (404 for a submission without one)."""
    visible_submission(ledger, principal, submission_id)
    diff = ledger.diff_of(submission_id)
    if diff is None:
        raise HTTPException(404, f"submission {submission_id} has no diff.csv: only a version accepted after "
                                 "another has one; open that version's receipt")  # fmt: skip
    path = settings.home / diff["diff_path"]
    if not path.is_file():  # a home restored without it: not a storage failure of this request
        raise HTTPException(404, f"the diff.csv of {submission_id} is missing from the archive; tell CIESS")
    return path


def visible_history(ledger: Ledger, principal: Principal, limit: int | None = None) -> list[LedgerRow]:
    """The submissions the principal may see, newest first (at most `limit`), filtered by the ledger's query."""
    return ledger.history(None if principal.is_operator else principal.institution, limit)

"""The notices a cycle event causes (spec feedback.md: "Notifications by e-mail"), enqueued in the
outbox inside the transaction that appends the event: RECEIPT for every submission's receipt,
EXPLANATION_NEEDED when the return becomes NEEDS_EXPLANATION, RETURNED and APPROVED for the review.

The state before and after comes from the cycle's own derivation (`load_return`), read inside the
same transaction. The words of each notice are written when it is sent (`pipelines.notices`)."""

from __future__ import annotations

from typing import Any

from pipelines.common.store import Connection
from pipelines.common.timestamps import now
from pipelines.cycle.returns import Return, load_return
from pipelines.intake.storing import outbox
from pipelines.intake.storing.cycle_log import Event


def enqueue_receipt(connection: Connection, receipt: dict[str, Any]) -> int:
    """RECEIPT:<submission_id>: the status, the counts per rule and a link to the portal."""
    facts = ("submission_id", "kind", "period", "status", "version", "rows", "errors", "warnings", "late",
             "rule_counts", "received_at")  # fmt: skip
    return outbox.enqueue(
        connection, key=f"RECEIPT:{receipt['submission_id']}", notice="RECEIPT", institution=receipt["institution"],
        period=receipt["period"], params={name: receipt[name] for name in facts}, at=now(),
    )  # fmt: skip


def enqueue_after(connection: Connection, before: Return, event: Event, deadline_days: int) -> int:
    """The notices `event` causes for its return, `before` being the return as it was before it."""
    after = load_return(connection, before.institution, before.period, deadline_days)
    common = {"institution": after.institution, "period": after.period, "at": now()}
    added = 0
    if after.state == "NEEDS_EXPLANATION" and before.state != "NEEDS_EXPLANATION":
        to_explain = [
            {"kind": warning.kind, "rule": warning.rule, "count": warning.count, "submission_id": warning.submission_id}
            for warning in after.status.warnings
            if warning.explanation is None
        ]
        added += outbox.enqueue(
            connection, key=f"EXPLANATION_NEEDED:{after.period}:{after.institution}:{event.event_id}",
            notice="EXPLANATION_NEEDED", params={"warnings": to_explain}, **common,
        )  # fmt: skip
    if event.action == "return":
        added += outbox.enqueue(
            connection, key=f"RETURNED:{after.period}:{after.institution}:{event.event_id}", notice="RETURNED",
            params={"comment": event.text or ""}, **common,
        )  # fmt: skip
    elif event.action == "approve":
        added += outbox.enqueue(
            connection, key=f"APPROVED:{after.period}:{after.institution}:{event.event_id}", notice="APPROVED",
            params={}, **common,
        )  # fmt: skip
    return added

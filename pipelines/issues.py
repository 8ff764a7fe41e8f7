"""One problem found in a submission: rule code, where it is, and what was sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipelines.contracts import rule_catalog


@dataclass(frozen=True)
class Issue:
    rule: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    variant: str | None = None

    @property
    def severity(self) -> str:
        return rule_catalog().severity(self.rule)


def sort_key(issue: Issue) -> tuple:
    return (issue.row is not None, issue.row or 0, issue.column or "", issue.rule)

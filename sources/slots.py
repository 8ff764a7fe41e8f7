"""Slots: an institution x kind x period that is reported, with its layout, the problems placed on
it, its true rows as a table, and its files."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from pipelines.common.periods import Period
from pipelines.common.registry import Institution
from pipelines.contract.model import load_contract
from sources.simulation import History
from sources.writing import Layout, Table, csv_records, xlsx_bytes


@dataclass(frozen=True)
class ProblemSpec:
    """A problem to place on a slot: the spec rule code (or DUPLICATE, RESUBMISSION) and its variant."""

    code: str
    kind: str
    variant: str = ""
    role: str = "error"  # error: rejected, then a clean file follows; main: the accepted file; followup: after it


@dataclass
class Slot:
    history: History
    kind: str
    period: Period
    layout: Layout
    problems: list[ProblemSpec] = field(default_factory=list)
    jump_to: int | None = None  # HEADCOUNT_JUMP: rows of the inflated roster

    @property
    def institution(self) -> Institution:
        return self.history.institution

    @property
    def lang(self) -> str:
        return self.institution.language

    def size(self) -> int:
        return len(self.history.rosters[self.period] if self.kind == "staffing" else self.history.training[self.period])

    def rows(self) -> list[dict[str, Any]]:
        """A fresh copy of the slot's true rows (problem makers change their copy)."""
        if self.kind == "staffing":
            return [asdict(staff) for staff in self.history.rosters[self.period]]
        return [dict(row) for row in self.history.training[self.period]]

    def table(self, rows: list[dict[str, Any]] | None = None, layout: Layout | None = None) -> Table:
        """The rows under the headers of the institution's layout (or of another one)."""
        layout = layout or self.layout
        contract = load_contract(self.kind)
        columns = [column for column in contract.columns if column.name not in layout.omit]
        headers = [column.name if layout.headers == "name" else column.label(layout.headers) for column in columns]
        return Table([column.name for column in columns], headers, self.rows() if rows is None else rows)

    def title(self) -> str:
        labels = load_contract(self.kind).labels
        return f"{labels.get(self.lang, labels['en'])} - {self.institution.name} - {self.period}"


@dataclass
class GeneratedFile:
    problem: str | None
    note: str
    data: bytes
    extension: str
    rows: int | None
    received_at: datetime | None = None


def render(slot: Slot, table: Table, stamp: datetime) -> bytes:
    if slot.layout.format == "xlsx":
        return xlsx_bytes(table, slot.layout, slot.kind, slot.lang, slot.title(), stamp)
    return "".join(csv_records(table, slot.layout)).encode(slot.layout.encoding)

"""The key findings on a summary's first page: 3 to 5 sentences written from its figures, each
giving a measure, its change against the previous quarter and against the year before, with the
direction and the size of the change, in the reader's language (report_text.yaml `finding*`)."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.reports.data import ReportData
from pipelines.reports.wording import Words
from pipelines.warehouse import catalog

LEAD = "training_coverage"  # always the first finding: the question the centre is asked first
CANDIDATES = (  # the others, the ones that moved most against the previous quarter first
    "hours_per_employee",
    "ciess_hours_share",
    "completion_rate",
    "certification_rate",
    "mean_score_gain",
    "staff_trained",
)
MEASURE_FINDINGS = 4


@dataclass(frozen=True)
class Change:
    """A measure against an earlier figure: `None` when either is missing."""

    now: float | None
    before: float | None

    @property
    def known(self) -> bool:
        return self.now is not None and self.before is not None

    @property
    def difference(self) -> float:
        return (self.now or 0) - (self.before or 0)

    def relative(self) -> float:
        """How much it moved, as a share of where it was (0 when it was 0 or unknown)."""
        return abs(self.difference) / abs(self.before) if self.known and self.before else 0.0


def key_findings(data: ReportData, words: Words) -> list[str]:
    """The sentences, lead measure first; a measure with no figure this quarter is left out, and a
    last sentence names how many expected institutions have not sent both files, when some have not."""
    current, previous, year = (data.headline.get(key) or {} for key in ("current", "previous", "year_before"))
    if not current:
        return []
    moved = sorted(
        (name for name in CANDIDATES if current.get(name) is not None),
        key=lambda name: -Change(current.get(name), previous.get(name)).relative(),
    )
    chosen = [name for name in (LEAD, *moved) if current.get(name) is not None][:MEASURE_FINDINGS]
    sentences = [
        words(
            "finding",
            measure=words.measure(name),
            value=words.value(name, current[name]),
            against_previous=_against(words, name, Change(current[name], previous.get(name)), "previous"),
            against_year=_against(words, name, Change(current[name], year.get(name)), "year"),
        )
        for name in chosen
    ]
    expected, complete = current.get("institutions_expected") or 0, current.get("institutions_reporting") or 0
    if complete < expected:
        sentences.append(words("finding_missing", missing=expected - complete, expected=expected))
    return sentences


def _against(words: Words, name: str, change: Change, when: str) -> str:
    if not change.known:
        return words(f"finding_{when}_none")
    size = _size(words, name, change.difference)
    if size == _size(words, name, 0.0):
        return words(f"finding_{when}_same", before=words.value(name, change.before))
    direction = "up" if change.difference > 0 else "down"
    return words(f"finding_{when}_{direction}", size=size, before=words.value(name, change.before))


def _size(words: Words, name: str, difference: float) -> str:
    """The size of a change as the reader reads it: shares in percentage points, counts as whole
    numbers, other measures with two decimals."""
    unit = catalog.unit_of(name)
    if unit == "ratio":
        return words("points", points=words.number(abs(difference) * 100, 1))
    if unit == "count":
        return words.number(abs(difference))
    return words.number(abs(difference), 2)

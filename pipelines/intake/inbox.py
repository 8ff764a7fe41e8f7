"""The inbox: files dropped in $CIESS_HOME/inbox/<institution>/<kind>/<period>/ are submitted
through the same intake as `ciess submit` (the Dagster sensor `inbox_sensor` finds them)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from pipelines.common.settings import Settings
from pipelines.intake.submission import SubmissionResult, submit


@dataclass(frozen=True)
class DroppedFile:
    path: Path
    institution: str
    kind: str
    period: str


def dropped_files(inbox: Path) -> list[DroppedFile]:
    """Files laid out as inbox/<institution>/<kind>/<period>/<file> (hidden files and folders skipped)."""
    found: list[DroppedFile] = []
    if not inbox.exists():
        return found
    for path in sorted(inbox.glob("*/*/*/*")):
        relative = path.relative_to(inbox).parts
        if path.is_file() and not relative[0].startswith(".") and not path.name.startswith("."):
            found.append(DroppedFile(path, relative[0], relative[1], relative[2]))
    return found


def take_in(dropped: DroppedFile, settings: Settings) -> SubmissionResult:
    """Submit a dropped file, then move it to inbox/.processed/ under its submission id."""
    path = dropped.path
    result = submit(
        path, dropped.institution, dropped.kind, dropped.period, settings, original_name=path.name, actor="inbox"
    )
    done = settings.inbox_dir / ".processed" / dropped.institution / dropped.kind / dropped.period
    done.mkdir(parents=True, exist_ok=True)
    shutil.move(str(path), done / f"{result.receipt['submission_id']}-{path.name}")
    return result

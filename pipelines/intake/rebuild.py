"""The lake rebuilt from the archive: the archive is the source of truth (DESIGN.md), and every
accepted version's lake file can be made again from its original bytes, with the ledger (which
versions were accepted) and the pseudonymisation key (secrets/). A lake file already in place is
never rewritten; one that is missing is checked and staged again exactly as the intake does
(`validate_file`, the same pseudonyms, `lake_rows`) and put in place. `ciess rebuild` then builds
the warehouse from the lake."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.common.home_problems import HomeProblem
from pipelines.common.periods import Period
from pipelines.common.settings import Settings
from pipelines.contract.model import load_contract
from pipelines.intake.checking.validation import validate_file
from pipelines.intake.storing.archive import hash_file
from pipelines.intake.storing.lake import StagedRows, lake_rows, publish_staged
from pipelines.intake.storing.ledger import Ledger, LedgerRow
from pipelines.intake.storing.pseudonym import KEY_FILE, Pseudonymiser, load_or_create_key


@dataclass
class RebuildReport:
    rebuilt: list[str] = field(default_factory=list)  # lake files made again
    kept: int = 0  # lake files already in place
    failed: list[str] = field(default_factory=list)  # what could not be rebuilt, and why


def rebuild_lake(settings: Settings, progress: Callable[[str], None] = lambda _line: None) -> RebuildReport:
    """Make every missing lake file of an accepted version again from its archived original: the
    rosters first (in the ledger's order), so that the key's secret and the order of versions are
    the intake's."""
    ledger = Ledger.of(settings)
    if not (settings.secrets_dir / KEY_FILE).exists():
        raise HomeProblem(
            f"no pseudonymisation key in {settings.secrets_dir}: restore secrets/ from the backup with the "
            "archive; a new key would give the rebuilt lake other staff keys than the kept row hashes"
        )
    report = RebuildReport()
    rows = [row for row in ledger.all() if row.lake_path]
    for row in sorted(rows, key=lambda row: row.kind != "staffing"):
        target = settings.home / row.lake_path
        if target.exists():
            report.kept += 1
            continue
        progress(f"{row.institution} {row.kind} {row.period} version {row.version}")
        problem = _rebuild_one(settings, row, target)
        if problem:
            report.failed.append(f"{row.lake_path}: {problem}")
        else:
            report.rebuilt.append(row.lake_path)
    return report


def _rebuild_one(settings: Settings, row: LedgerRow, target: Path) -> str | None:
    original = settings.home / row.archive_path
    if not original.exists():
        return f"its archived original {row.archive_path} is missing"
    if hash_file(original)[0] != row.sha256:
        return f"its archived original {row.archive_path} is not the file received (its sha256 differs)"
    contract = load_contract(row.kind)
    staged = StagedRows(settings.lake_dir, contract, row.submission_id)
    pseudonymiser = Pseudonymiser(load_or_create_key(settings.secrets_dir))
    hidden = [column.name for column in contract.columns if column.pseudonymise]

    def stage(typed: pl.DataFrame) -> None:
        pseudonyms = {name: pseudonymiser.lookup(typed.get_column(name)).get_column("hashed") for name in hidden}
        staged.write(lake_rows(typed, pseudonyms, contract, row.submission_id))

    try:
        checked = validate_file(original, contract, Period.parse(row.period), on_batch=stage,
                                scratch=settings.scratch_dir)  # fmt: skip
        if checked.has_errors or checked.rows != row.rows:
            staged.discard()
            return (
                f"the contract in use now finds errors in it ({checked.rows} rows)" if checked.has_errors
                else f"it reads {checked.rows} rows now, {row.rows} when it was accepted"
            )  # fmt: skip
        publish_staged(staged.close(), target)
    except BaseException:
        staged.discard()
        raise
    finally:
        pseudonymiser.close()
    return None

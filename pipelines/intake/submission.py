"""One submission, from the file received to its receipt: archive, contract, decision, lake.

This is the only code path for a submission: `ciess submit`, the demo, the Dagster inbox sensor
and the upload portal all call `submit`.
"""

from __future__ import annotations

import difflib
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.common.atomic import write_once, write_once_with
from pipelines.common.periods import Period, PeriodError
from pipelines.common.registry import institutions
from pipelines.common.settings import Settings
from pipelines.contract.issues import Issue, no_row_issues
from pipelines.contract.model import KINDS, LANGUAGES, Contract, load_contract
from pipelines.cycle import return_notices  # the one way up: the notices a submission causes (pyproject)
from pipelines.intake.background import OneBehind
from pipelines.intake.checking.cross_checks import headcount_jump, staff_not_in_roster
from pipelines.intake.checking.issue_order import sorted_run
from pipelines.intake.checking.validation import validate_file
from pipelines.intake.checking.version_diff import Differences, PreviousVersion, VersionDiff, row_hashes_name
from pipelines.intake.diff_file import write_diff_csv
from pipelines.intake.receipts import IssueRecords, receipt_json, render_text
from pipelines.intake.storing import cycle_log
from pipelines.intake.storing.archive import ArchivedFile, archive_file, keep_beside_receipt
from pipelines.intake.storing.doctor import sweep_leftovers
from pipelines.intake.storing.lake import StagedRows, lake_file, lake_rows, publish_staged
from pipelines.intake.storing.ledger import Ledger, LedgerRow
from pipelines.intake.storing.pseudonym import Pseudonymiser, load_or_create_key
from pipelines.intake.storing.staff_ids import STAFF_IDS_FILE, StaffIdsWriter


class UsageError(Exception):
    """The request itself is wrong (unknown institution, bad period, missing file): exit 2."""


@dataclass(frozen=True)
class SubmissionResult:
    receipt: dict[str, Any]
    receipt_path: Path
    issues_path: Path
    lang: str
    contract: Contract
    deadline: str
    diff_path: Path | None = None

    @property
    def status(self) -> str:
        return self.receipt["status"]

    def text(self) -> str:
        return render_text(
            self.receipt, self.contract, self.lang, str(self.receipt_path), str(self.issues_path), self.deadline,
            str(self.diff_path) if self.diff_path else None,
        )  # fmt: skip


def written_period(text: str) -> Period:
    """The period a person wrote (YYYY-Qn, or YYYY-Tn for trimestre), or a usage error that says how
    to write it."""
    try:
        return Period.parse(text)
    except PeriodError as error:
        raise UsageError(str(error)) from error


def check_request(path: Path, institution: str, kind: str, period: str, lang: str | None) -> tuple[Period, str]:
    registry = institutions()
    if institution not in registry:
        close = difflib.get_close_matches(institution.upper(), list(registry), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else " `ciess institutions` lists the codes."
        raise UsageError(f"unknown institution {institution!r}.{hint}")
    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    parsed = written_period(period)
    member = registry[institution]
    if not member.expected_in(str(parsed)):
        raise UsageError(f"{institution} is not expected in {parsed}: it is a {member.membership()}")
    if lang is not None and lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    if not path.exists():
        raise UsageError(f"file not found: {path}")
    if not path.is_file():
        raise UsageError(f"not a file: {path}")
    return parsed, lang or registry[institution].language


def submit(
    path: Path,
    institution: str,
    kind: str,
    period: str,
    settings: Settings,
    lang: str | None = None,
    received_at: datetime | None = None,
    original_name: str | None = None,
    actor: str | None = None,
) -> SubmissionResult:
    """Take one file in. `actor` is who sent it, for the audit log (default `cli:<os user>`)."""
    path = Path(path)
    parsed, lang = check_request(path, institution, kind, period, lang)
    received_at = (received_at or datetime.now(UTC)).astimezone(UTC)
    if parsed.start > received_at.date():
        raise UsageError(
            f"{parsed} has not started yet (it begins on {parsed.start.isoformat()}): "
            "a file for it can be sent once the quarter has begun. Did you mean an earlier quarter?"
        )
    period = str(parsed)  # one spelling of the period everywhere (ledger, lake, receipt)
    settings.ensure()
    sweep_leftovers(settings)  # of processes that died: they never reach the ledger or the warehouse
    ledger = Ledger.of(settings)
    submission_id = f"{received_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:10]}"
    contract = load_contract(kind)
    archived, checked = _archive_and_check(
        path, _Request(contract, parsed, institution, settings, ledger, submission_id)
    )
    issues, row_issues, rows, staged = checked.issues, checked.row_issues, checked.rows, checked.staged

    folder = archived.folder / submission_id
    published: Path | None = None
    diff_path: Path | None = None
    placed = False
    try:
        with ledger.decision() as connection:
            closed = cycle_gate(connection, institution, period, settings.helpdesk)
            before = return_notices.load_return(connection, institution, period, settings.deadline_days)
            duplicate_of = (
                None if closed else Ledger.accepted_with_hash(connection, institution, kind, period, archived.sha256)
            )
            records = IssueRecords(([closed] if closed else []) + issues, row_issues, contract, parsed, lang)
            errors = records.errors()
            warnings = records.total() - errors
            version = supersedes = None
            if duplicate_of is not None:
                status, version, rows, errors, warnings = "DUPLICATE", duplicate_of.version, duplicate_of.rows, 0, 0
                records.drop_all()
            elif errors:
                status = "REJECTED"
            else:
                current = Ledger.current_in(connection, institution, kind, period)
                version = current.version + 1 if current else 1
                supersedes = current.submission_id if current else None
                status = "ACCEPTED_WITH_WARNINGS" if warnings else "ACCEPTED"
            # compared with the version current when the file was checked: should another version
            # have been accepted since (two uploads at once), that comparison is not this version's
            differences = checked.differences if version is not None and status.startswith("ACCEPTED") else None
            if differences is not None and differences.counts.previous_version != version - 1:
                differences = None
            receipt = {
                "submission_id": submission_id,
                "institution": institution,
                "kind": kind,
                "period": period,
                "status": status,
                "received_at": received_at.isoformat().replace("+00:00", "Z"),
                "sha256": archived.sha256,
                "version": version,
                "supersedes": supersedes,
                "late": received_at.date() > parsed.deadline(settings.deadline_days),
                "rows": rows,
                "errors": errors,
                "warnings": warnings,
                "rule_counts": records.counts(),
                "diff": differences.counts.as_receipt() if differences is not None else None,
                "issues": records.capped(),
            }
            receipt_path, issues_path = folder / "receipt.json", folder / "issues.csv"
            write_once_with(issues_path, records.write_csv)
            if differences is not None:
                diff_path = folder / "diff.csv"
                previous = checked.previous
                previous_ids = (settings.home / previous.receipt_path).parent / STAFF_IDS_FILE
                write_once_with(diff_path, lambda path: write_diff_csv(
                    path, differences, contract, lang, checked.staff_ids, previous_ids))  # fmt: skip
            if status.startswith("ACCEPTED") and checked.staff_ids is not None:
                keep_beside_receipt(checked.staff_ids, folder, STAFF_IDS_FILE)
                keep_beside_receipt(checked.row_hashes, folder, row_hashes_name(contract))
            write_once(receipt_path, receipt_json(receipt))
            lake_path = None
            if status.startswith("ACCEPTED") and staged is not None:
                published = lake_file(settings.lake_dir, kind, period, institution, version)
                lake_path = str(published.relative_to(settings.home))
            Ledger.insert(
                connection,
                LedgerRow(
                    submission_id=submission_id,
                    institution=institution,
                    kind=kind,
                    period=period,
                    status=status,
                    received_at=receipt["received_at"],
                    sha256=archived.sha256,
                    size_bytes=archived.size,
                    version=version,
                    supersedes=supersedes,
                    late=receipt["late"],
                    rows=rows,
                    errors=errors,
                    warnings=warnings,
                    rule_counts=receipt["rule_counts"],
                    original_name=original_name or path.name,
                    archive_path=str(archived.path.relative_to(settings.home)),
                    receipt_path=str(receipt_path.relative_to(settings.home)),
                    issues_path=str(issues_path.relative_to(settings.home)),
                    lake_path=lake_path,
                ),
            )
            if differences is not None:
                kept_at = str(diff_path.relative_to(settings.home))
                Ledger.insert_diff(connection, submission_id, receipt["diff"], kept_at)
            event = cycle_log.append(
                connection, action="submission", at=receipt["received_at"], period=period, institution=institution,
                kind=kind, submission_id=submission_id, status=status, version=version,
                actor=actor or cycle_log.cli_actor(),
            )  # fmt: skip
            return_notices.enqueue_receipt(connection, receipt)
            return_notices.enqueue_after(connection, before, event, settings.deadline_days)
            if published is not None:
                publish_staged(staged, published)  # last step before commit: the ledger row names it
                placed = True
    except BaseException:
        if placed:  # the commit failed after the file took its place: only ever remove our own
            published.unlink(missing_ok=True)
        raise
    finally:
        if staged is not None and staged.exists():
            staged.unlink()
        checked.discard()  # the staff identifiers of a version not accepted
    return SubmissionResult(
        receipt=receipt,
        receipt_path=receipt_path,
        issues_path=issues_path,
        lang=lang,
        contract=contract,
        deadline=parsed.deadline(settings.deadline_days).isoformat(),
        diff_path=diff_path,
    )


@dataclass(frozen=True)
class Preview:
    """What `submit` would find in a file, before anything is recorded."""

    rows: int
    has_errors: bool
    diff: dict[str, Any] | None  # the receipt's `diff` it would get, were it accepted now


def preview(path: Path, institution: str, kind: str, period: str, settings: Settings) -> Preview:
    """The file checked and compared with the current version as `submit` does (the same functions),
    recording nothing: no archive, no lake file, no ledger row. The portal shows it before the
    officer confirms a replacement."""
    path = Path(path)
    parsed, _ = check_request(path, institution, kind, period, None)
    request = _Request(load_contract(kind), parsed, institution, settings, Ledger.of(settings), "preview")
    checked = _check_and_stage(path, path.stat().st_size, request, dry_run=True)
    diff = checked.differences.counts.as_receipt() if checked.differences is not None else None
    return Preview(checked.rows, not checked.clean, diff)


def cycle_gate(connection, institution: str, period: str, helpdesk: str) -> Issue | None:
    """The cycle's refusal of any file, read inside the decision's transaction: the quarter is locked
    (PERIOD_LOCKED), or CIESS approved the return (RETURN_APPROVED); None when the slot is open."""
    for rule, event in (
        ("PERIOD_LOCKED", cycle_log.period_lock(connection, period)),
        ("RETURN_APPROVED", cycle_log.approval(connection, institution, period)),
    ):
        if event is not None:
            when = event.at[:10]
            return Issue(rule, params={"who": cycle_log.who(event.actor), "when": when, "helpdesk": helpdesk})
    return None


@dataclass(frozen=True)
class _Request:
    """The submission being taken in: what checking it needs to know besides the file."""

    contract: Contract
    period: Period
    institution: str
    settings: Settings
    ledger: Ledger
    submission_id: str


@dataclass
class _Checked:
    issues: list[Issue]
    row_issues: pl.LazyFrame  # streamed into the issues CSV
    rows: int
    staged: Path | None  # the accepted rows, staged for the lake
    staff_ids: Path | None = None  # their clear staff identifiers, for the archive (pipelines.intake.storing.staff_ids)
    row_hashes: Path | None = None  # their row hashes, for the next version's diff (version_diff.row_hashes_name)
    previous: LedgerRow | None = None  # the version current when the file was checked
    differences: Differences | None = None  # against `previous`
    clean: bool = False  # no error found

    def discard(self) -> None:
        for path in (self.staged, self.staff_ids, self.row_hashes):
            if path is not None:
                path.unlink(missing_ok=True)


def _archive_and_check(path: Path, request: _Request) -> tuple[ArchivedFile, _Checked]:
    """Archive the file and check it at the same time (the copy and its hash run in a thread
    while the rules run on the file as sent). Should the file change while being read, it is
    checked again from the archived copy, so the verdict is always about the bytes archived.
    A file already accepted with the same content is a DUPLICATE: its findings are dropped."""
    before = path.stat()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive") as pool:
        archiving = pool.submit(archive_file, path, request.settings.archive_dir)
        checked = _check_and_stage(path, before.st_size, request)
        archived = archiving.result()
    after = path.stat()
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or after.st_size != archived.size:
        checked.discard()
        checked = _check_and_stage(archived.path, archived.size, request)
    already = request.ledger.find_accepted_with_hash(
        request.institution, request.contract.kind, str(request.period), archived.sha256
    )
    if already is not None:
        checked.discard()
        return archived, _Checked([], no_row_issues().lazy(), 0, None)
    return archived, checked


def _check_and_stage(path: Path, size: int, request: _Request, dry_run: bool = False) -> _Checked:
    """Every rule, batch by batch; the rows are staged for the lake as they are checked, and the
    staged file is kept only when no error was found. A resubmission is compared with the current
    version at the same time (`VersionDiff`, on the rows as the lake holds them). `dry_run`: check
    and compare only, staging nothing (`preview`)."""
    contract, period, settings, ledger = request.contract, request.period, request.settings, request.ledger
    if size > settings.max_upload_bytes:
        size_mb = f"{size / 1024 / 1024:.1f}"
        issue = Issue("FILE_TOO_LARGE", params={"size_mb": size_mb, "limit_mb": settings.max_upload_mb})
        return _Checked([issue], no_row_issues().lazy(), 0, None)
    roster = ledger.current(request.institution, "staffing", str(period)) if contract.kind == "training" else None
    roster_path = settings.home / roster.lake_path if roster is not None and roster.lake_path else None
    previous = ledger.current(request.institution, contract.kind, str(period))
    if previous is not None and not previous.lake_path:
        previous = None
    pseudonymiser = Pseudonymiser(load_or_create_key(settings.secrets_dir), roster=roster_path)
    # a dry run stages into the scratch folder, for the diff to read back the rows that differ
    staged = StagedRows(settings.scratch_dir if dry_run else settings.lake_dir, contract, request.submission_id)
    staff_ids = None if dry_run else StaffIdsWriter(contract, settings.scratch_dir)
    against = None
    if previous is not None:
        kept = (settings.home / previous.receipt_path).parent / row_hashes_name(contract)
        lake = settings.home / previous.lake_path
        against = PreviousVersion(previous.version, previous.rows, previous.size_bytes, lake, kept)
    diff = VersionDiff(contract, against, size, settings.scratch_dir)  # a first version: its row hashes only
    hidden = [column.name for column in contract.columns if column.pseudonymise]

    def stage_now(typed: pl.DataFrame) -> pl.DataFrame | None:
        looked_up = {name: pseudonymiser.lookup(typed.get_column(name)) for name in hidden}
        rows = lake_rows(typed, {name: found.get_column("hashed") for name, found in looked_up.items()}, contract,
                         request.submission_id)  # fmt: skip
        staged.write(rows)
        if staff_ids is not None:
            staff_ids.write(typed)
        diff.add(rows)
        if roster_path is not None:
            return staff_not_in_roster(typed, looked_up["staff_id"].get_column("rostered"))
        return None

    background = OneBehind("stage")  # pseudonyms, roster comparison and diff, beside the checks

    def stage(typed: pl.DataFrame) -> None:  # called only while the file may be accepted
        background.submit(stage_now, typed)

    def discard() -> None:
        staged.discard()
        if staff_ids is not None:
            staff_ids.discard()

    try:
        try:
            checked = validate_file(path, contract, period, on_batch=stage, scratch=settings.scratch_dir)
            compared = [found for found in background.finish() if found is not None]
        except BaseException:
            background.abandon()
            discard()
            raise
        finally:
            pseudonymiser.close()
        if compared and (run := sorted_run(compared)) is not None:  # staged in file order: one more run
            checked.runs.append(run)
        if checked.has_errors:
            discard()
            # warnings that compare with other submissions are only given for files that are accepted
            row_issues = checked.row_issue_plan().filter(pl.col("rule") != "STAFF_NOT_IN_ROSTER")
            return _Checked(checked.issues, row_issues, checked.rows, None)
        try:
            staged_path = staged.close()
            differences = diff.finish(staged_path) if against is not None else None
            row_hashes = None if dry_run else diff.row_hashes()
        except BaseException:
            discard()
            raise
    finally:
        diff.close()
    if dry_run:
        staged.discard()
        staged_path = None
    issues = list(checked.issues)
    if contract.kind == "training" and roster_path is None:
        issues.append(Issue("STAFF_NOT_IN_ROSTER", variant="no_roster"))
    elif contract.kind == "staffing":
        issues.extend(headcount_jump(checked.rows, ledger, request.institution, period))
    return _Checked(
        issues, checked.row_issue_plan(), checked.rows, staged_path,
        staff_ids.close() if staff_ids is not None else None, row_hashes, previous, differences, clean=True,
    )  # fmt: skip

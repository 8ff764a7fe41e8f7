"""One submission, from the file received to its receipt: archive, contract, decision, lake.

This is the only code path for a submission: `ciess submit`, the demo, the Dagster inbox sensor
and the upload portal all call `submit`.
"""

from __future__ import annotations

import difflib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.archive import ArchivedFile, archive_file, write_once
from pipelines.contracts import KINDS, LANGUAGES, Contract, load_contract
from pipelines.cross_checks import headcount_jump, staff_not_in_roster
from pipelines.issues import Issue
from pipelines.lake import lake_file, pseudonymised_frame, publish_staged, write_staged
from pipelines.ledger import Ledger, LedgerRow
from pipelines.periods import Period, PeriodError
from pipelines.pseudonym import load_or_create_key
from pipelines.receipts import capped, issue_records, issues_csv, receipt_json, render_text, rule_counts
from pipelines.reference import institutions
from pipelines.settings import Settings
from pipelines.validation import validate_file


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

    @property
    def status(self) -> str:
        return self.receipt["status"]

    def text(self) -> str:
        return render_text(
            self.receipt, self.contract, self.lang, str(self.receipt_path), str(self.issues_path), self.deadline
        )


def check_request(path: Path, institution: str, kind: str, period: str, lang: str | None) -> tuple[Period, str]:
    registry = institutions()
    if institution not in registry:
        close = difflib.get_close_matches(institution.upper(), list(registry), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else " `ciess institutions` lists the codes."
        raise UsageError(f"unknown institution {institution!r}.{hint}")
    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    try:
        parsed = Period.parse(period)
    except PeriodError as error:
        raise UsageError(str(error)) from error
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
) -> SubmissionResult:
    path = Path(path)
    parsed, lang = check_request(path, institution, kind, period, lang)
    period = str(parsed)  # one spelling of the period everywhere (ledger, lake, receipt)
    settings.ensure()
    ledger = Ledger(settings.ledger_path)
    received_at = (received_at or datetime.now(UTC)).astimezone(UTC)
    submission_id = f"{received_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:10]}"
    contract = load_contract(kind)
    archived = archive_file(path, settings.archive_dir)

    issues: list[Issue] = []
    rows = 0
    staged: Path | None = None
    already = ledger.find_accepted_with_hash(institution, kind, period, archived.sha256)
    if already is None:
        issues, rows, staged = _check_and_stage(
            archived, contract, parsed, institution, settings, ledger, submission_id
        )

    folder = archived.folder / submission_id
    published: Path | None = None
    try:
        with ledger.decision() as connection:
            duplicate_of = Ledger.accepted_with_hash(connection, institution, kind, period, archived.sha256)
            errors = sum(issue.severity == "error" for issue in issues)
            warnings = len(issues) - errors
            version = supersedes = None
            if duplicate_of is not None:
                status, version, rows, issues, errors, warnings = (
                    "DUPLICATE",
                    duplicate_of.version,
                    duplicate_of.rows,
                    [],
                    0,
                    0,
                )
            elif errors:
                status = "REJECTED"
            else:
                current = Ledger.current_in(connection, institution, kind, period)
                version = current.version + 1 if current else 1
                supersedes = current.submission_id if current else None
                status = "ACCEPTED_WITH_WARNINGS" if warnings else "ACCEPTED"
            records = issue_records(issues, contract, parsed, lang)
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
                "rule_counts": rule_counts(issues),
                "issues": capped(records),
            }
            receipt_path, issues_path = folder / "receipt.json", folder / "issues.csv"
            write_once(issues_path, issues_csv(records))
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
            if published is not None:
                publish_staged(staged, published)  # last step before commit: the ledger row names it
    except BaseException:
        if published is not None and published.exists():
            published.unlink()
        raise
    finally:
        if staged is not None and staged.exists():
            staged.unlink()
    return SubmissionResult(
        receipt=receipt,
        receipt_path=receipt_path,
        issues_path=issues_path,
        lang=lang,
        contract=contract,
        deadline=parsed.deadline(settings.deadline_days).isoformat(),
    )


def _check_and_stage(
    archived: ArchivedFile,
    contract: Contract,
    period: Period,
    institution: str,
    settings: Settings,
    ledger: Ledger,
    submission_id: str,
) -> tuple[list[Issue], int, Path | None]:
    """Every rule on the archived copy; the typed rows staged for the lake when nothing is wrong."""
    if archived.size > settings.max_upload_bytes:
        size_mb = f"{archived.size / 1024 / 1024:.1f}"
        return [Issue("FILE_TOO_LARGE", params={"size_mb": size_mb, "limit_mb": settings.max_upload_mb})], 0, None
    checked = validate_file(archived.path, contract, period)
    issues = list(checked.issues)
    if checked.typed is None:
        return issues, checked.rows, None
    key = load_or_create_key(settings.secrets_dir)
    if contract.kind == "training":
        issues.extend(staff_not_in_roster(checked.typed, ledger, settings.home, institution, period, key))
    elif contract.kind == "staffing":
        issues.extend(headcount_jump(checked.rows, ledger, institution, period))
    frame = pseudonymised_frame(checked.typed, contract, key, submission_id)
    return issues, checked.rows, write_staged(frame, settings.lake_dir)

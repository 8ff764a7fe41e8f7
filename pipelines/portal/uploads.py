"""An uploaded file handed to the intake (`pipelines.intake.submission.submit`), for the API and the
upload page alike: streamed to a temporary file under $CIESS_HOME whose name is never the client's;
the client's file name is kept only as a label.

A file never replaces an accepted version by surprise (spec cycle.md, "What each person gets"): the
API refuses it (409) without an explicit `replace=true`; the page holds it as a pending upload,
says what it would replace, and submits it only once the officer confirms."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, UploadFile

from pipelines.common.settings import Settings
from pipelines.intake.storing.ledger import Ledger, LedgerRow
from pipelines.intake.submission import UsageError, check_request, cycle_gate, preview, submit
from pipelines.portal.auth import Principal
from pipelines.portal.limits import check_content_type

PENDING_DIR = ".pending-uploads"
PENDING_HOURS = 24  # an unconfirmed upload is dropped after this long (it was never a submission)


def safe_name(name: str | None) -> str:
    """A client's file name as a label only: no folders, no control characters, bounded."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip().lstrip(".")
    return base[:120] or "upload"


def _institution(principal: Principal, institution: str | None) -> str:
    code = institution if principal.is_operator and institution else principal.institution
    if code is None:
        raise HTTPException(422, "an operator must say for which institution the file is")
    return code


def _save(upload: UploadFile, target: Path) -> str:
    """The upload written to `target`; its SHA-256."""
    digest = hashlib.sha256()
    with open(target, "wb") as handle:
        while chunk := upload.file.read(1024 * 1024):
            handle.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def _checked(path: Path, code: str, kind: str, period: str, lang: str | None) -> str:
    try:
        parsed, _ = check_request(path, code, kind, period, lang)
    except UsageError as error:
        raise HTTPException(422, str(error)) from error
    return str(parsed)


def _submit(settings: Settings, path: Path, code: str, kind: str, period: str, lang: str | None, name: str,
            principal: Principal) -> dict:  # fmt: skip
    try:
        result = submit(path, code, kind, period, settings, lang=lang, original_name=name, actor=principal.actor)
    except UsageError as error:
        raise HTTPException(422, str(error)) from error
    return result.receipt


def _received_before(settings: Settings, code: str, kind: str, period: str, sha256: str) -> bool:
    """An accepted version had these very bytes: the file is a DUPLICATE and replaces nothing."""
    return Ledger.of(settings).find_accepted_with_hash(code, kind, period, sha256) is not None


def replacement_refusal(current: LedgerRow) -> str:
    return (
        f"{current.institution} already has an accepted {current.kind} file for {current.period}: version "
        f"{current.version} ({current.rows} rows, received {current.received_at[:10]}, {current.submission_id}). "
        f"Send replace=true to make this file version {current.version + 1}; nothing was taken in."
    )


def receive_upload(settings: Settings, principal: Principal, upload: UploadFile, kind: str, period: str,
                   institution: str | None, lang: str | None, replace: bool = False) -> dict:  # fmt: skip
    """Submit the upload for (kind, period) as the principal's institution (an operator names one); the
    receipt. 409 when an accepted version exists and `replace` is not set."""
    code = _institution(principal, institution)
    check_content_type(upload.content_type)
    with tempfile.TemporaryDirectory(dir=settings.home, prefix=".upload-") as folder:
        target = Path(folder) / "upload"  # never the client's name
        sha256 = _save(upload, target)
        period = _checked(target, code, kind, period, lang)
        current = Ledger.of(settings).current(code, kind, period)
        if current is not None and not replace and not _received_before(settings, code, kind, period, sha256):
            raise HTTPException(409, replacement_refusal(current))
        return _submit(settings, target, code, kind, period, lang, safe_name(upload.filename), principal)


@dataclass(frozen=True)
class Pending:
    """An upload held until its officer confirms that it replaces the accepted version."""

    pending_id: str
    token_id: str
    institution: str
    kind: str
    period: str
    lang: str | None
    name: str
    current: LedgerRow  # what it would replace
    rows: int  # rows of the held file
    diff: dict | None = None  # what it would change against `current` (the receipt's `diff`)


def _pending_root(settings: Settings) -> Path:
    root = settings.home / PENDING_DIR
    root.mkdir(mode=0o700, exist_ok=True)
    return root


def sweep_pending(settings: Settings) -> int:
    """Drop the uploads left unconfirmed for longer than PENDING_HOURS; how many."""
    root = _pending_root(settings)
    limit = time.time() - PENDING_HOURS * 3600
    dropped = 0
    for folder in root.iterdir():
        if folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)
            dropped += 1
    return dropped


def upload_or_hold(settings: Settings, principal: Principal, upload: UploadFile, kind: str, period: str,
                   institution: str | None, lang: str | None) -> dict | Pending:  # fmt: skip
    """The receipt of the upload, or, when it would replace an accepted version, the upload held
    for confirmation. A file that would be rejected (by its contents, a locked quarter or an approved
    return), or that is the accepted one again, replaces nothing and is taken in at once."""
    code = _institution(principal, institution)
    check_content_type(upload.content_type)
    sweep_pending(settings)
    pending_id = secrets.token_hex(12)
    folder = _pending_root(settings) / pending_id
    folder.mkdir(mode=0o700)
    try:
        target = folder / "upload"
        sha256 = _save(upload, target)
        period = _checked(target, code, kind, period, lang)
        ledger = Ledger.of(settings)
        current = ledger.current(code, kind, period)
        with closing(ledger.connect()) as connection:
            refused = cycle_gate(connection, code, period, settings.helpdesk)  # rejected whatever it holds
        if current is not None and refused is None and not _received_before(settings, code, kind, period, sha256):
            checked = preview(target, code, kind, period, settings)  # recording nothing until confirmed
            if not checked.has_errors:
                held = Pending(pending_id, principal.token_id, code, kind, period, lang, safe_name(upload.filename),
                               current, checked.rows, checked.diff)  # fmt: skip
                (folder / "pending.json").write_text(json.dumps({
                    "token_id": held.token_id, "institution": code, "kind": kind, "period": period, "lang": lang,
                    "name": held.name, "current": current.submission_id, "rows": held.rows, "diff": held.diff,
                }), encoding="utf-8")  # fmt: skip
                return held
        receipt = _submit(settings, target, code, kind, period, lang, safe_name(upload.filename), principal)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    shutil.rmtree(folder, ignore_errors=True)
    return receipt


def held_upload(settings: Settings, principal: Principal, pending_id: str) -> Pending:
    """The principal's held upload (404 for an unknown one, one that expired, or another token's)."""
    if not re.fullmatch(r"[0-9a-f]{24}", pending_id or ""):
        raise HTTPException(404, "no such upload waiting for confirmation: send the file again")
    meta_path = _pending_root(settings) / pending_id / "pending.json"
    if not meta_path.exists():
        raise HTTPException(404, "no such upload waiting for confirmation (it may have expired: send it again)")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta["token_id"] != principal.token_id:
        raise HTTPException(404, "no such upload waiting for confirmation: send the file again")
    current = Ledger.of(settings).get(meta["current"])
    return Pending(pending_id, meta["token_id"], meta["institution"], meta["kind"], meta["period"], meta["lang"],
                   meta["name"], current, meta["rows"], meta.get("diff"))  # fmt: skip


def confirm_upload(settings: Settings, principal: Principal, pending_id: str) -> dict:
    """Take the held upload in (it becomes the next version, unless something changed meanwhile); the receipt."""
    held = held_upload(settings, principal, pending_id)
    folder = _pending_root(settings) / pending_id
    try:
        return _submit(settings, folder / "upload", held.institution, held.kind, held.period, held.lang, held.name,
                       principal)  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cancel_upload(settings: Settings, principal: Principal, pending_id: str) -> Pending:
    held = held_upload(settings, principal, pending_id)
    shutil.rmtree(_pending_root(settings) / pending_id, ignore_errors=True)
    return held

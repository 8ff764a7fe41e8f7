"""An uploaded file handed to the intake (`pipelines.intake.submission.submit`), for the API and the
upload page alike: streamed to a temporary file under $CIESS_HOME whose name is never the client's;
the client's file name is kept only as a label."""

import re
import tempfile
from pathlib import Path

from fastapi import HTTPException, UploadFile

from pipelines.common.settings import Settings
from pipelines.intake.submission import UsageError, submit
from pipelines.portal.auth import Principal
from pipelines.portal.limits import check_content_type


def safe_name(name: str | None) -> str:
    """A client's file name as a label only: no folders, no control characters, bounded."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip().lstrip(".")
    return base[:120] or "upload"


def receive_upload(settings: Settings, principal: Principal, upload: UploadFile, kind: str, period: str,
                   institution: str | None, lang: str | None) -> dict:  # fmt: skip
    """Submit the upload for (kind, period) as the principal's institution (an operator names one); the receipt."""
    code = institution if principal.is_operator and institution else principal.institution
    if code is None:
        raise HTTPException(422, "an operator must say for which institution the file is")
    check_content_type(upload.content_type)
    with tempfile.TemporaryDirectory(dir=settings.home, prefix=".upload-") as folder:
        target = Path(folder) / "upload"  # never the client's name
        with open(target, "wb") as handle:
            while chunk := upload.file.read(1024 * 1024):
                handle.write(chunk)
        try:
            result = submit(target, code, kind, period, settings, lang=lang, original_name=safe_name(upload.filename))
        except UsageError as error:
            raise HTTPException(422, str(error)) from error
    return result.receipt

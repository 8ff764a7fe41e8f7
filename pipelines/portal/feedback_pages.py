"""The institutions' feedback reports on the portal (spec feedback.md): an institution downloads its
own, never another's (404, as for a report that does not exist); CIESS staff see all."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, RedirectResponse

from pipelines.common.periods import Period, PeriodError
from pipelines.contract.model import LANGUAGES
from pipelines.portal.dependencies import SettingsDep, WebPrincipal
from pipelines.reports.feedback import feedback_file

router = APIRouter(include_in_schema=False)

_NAME = re.compile(r"^(?P<institution>[A-Z0-9-]+)\.(?P<lang>[a-z]{2})\.(?P<extension>html|pdf)$")
_MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@router.get("/feedback/{period}/{name}")
def feedback_report(period: str, name: str, principal: WebPrincipal, settings: SettingsDep):
    if principal is None:
        return RedirectResponse("/", status_code=303)
    found = _NAME.match(name)
    try:
        quarter = Period.parse(period)
    except PeriodError:
        quarter = None
    if found is None or quarter is None or found["lang"] not in LANGUAGES:
        raise HTTPException(404, "no such feedback report")
    institution = found["institution"]
    if not principal.is_operator and institution != principal.institution:
        raise HTTPException(404, "no such feedback report")
    path = feedback_file(settings, quarter, institution, found["lang"], found["extension"])
    if not path.is_file():
        raise HTTPException(404, "no such feedback report")
    download = path.name if found["extension"] == "pdf" else None
    return FileResponse(path, media_type=_MEDIA[found["extension"]], filename=download)

"""The contacts' page (CIESS staff only, operator token): every institution's addresses for the
e-mail notices, each with its language and the notices it wants; add, change and remove them (the
same functions and rules as `ciess contacts`). An institution's token gets 403: addresses are
personal data, shown to CIESS staff only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from pipelines.common.registry import institutions
from pipelines.common.settings import Settings
from pipelines.contract.model import LANGUAGES
from pipelines.intake.storing.outbox import NOTICES
from pipelines.intake.submission import UsageError
from pipelines.notices.contacts import add_contact, contacts, remove_contact
from pipelines.notices.wording import notice_name
from pipelines.portal.auth import Principal
from pipelines.portal.dependencies import FormPrincipal, SettingsDep, WebPrincipal
from pipelines.portal.pages import page, page_rate_limited, translator, web_language

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_rate_limited)])
STAFF_ONLY = "only CIESS staff (an operator token) can see or change the contacts"


def contacts_page(request: Request, principal: Principal | None, settings: Settings, notice: str | None = None,
                  error: str | None = None, status: int = 200):  # fmt: skip
    if principal is None:
        return RedirectResponse("/", status_code=303)
    if not principal.is_operator:
        raise HTTPException(403, STAFF_ONLY)
    lang = web_language(request, principal)
    registry = institutions()
    response = page(
        request, "contacts.html.j2", principal, lang, contacts=contacts(settings), registry=registry,
        notices=[(code, notice_name(code, lang)) for code in NOTICES], languages_offered=LANGUAGES,
        notice=notice, error=error,
    )  # fmt: skip
    response.status_code = status
    return response


@router.get("/contacts", response_class=HTMLResponse)
def contacts_view(request: Request, principal: WebPrincipal, settings: SettingsDep):
    return contacts_page(request, principal, settings)


@router.post("/contacts", response_class=HTMLResponse)
def contacts_add(request: Request, principal: FormPrincipal, settings: SettingsDep,
                 institution: Annotated[str, Form()] = "", email: Annotated[str, Form()] = "",
                 language: Annotated[str, Form()] = "",
                 notices: Annotated[list[str] | None, Form()] = None):  # fmt: skip
    if principal is None or not principal.is_operator:
        return contacts_page(request, principal, settings)  # the sign-in page, or 403
    t = translator(web_language(request, principal))
    try:
        contact, new = add_contact(settings, institution, email, language, notices or [])
    except UsageError as error:
        return contacts_page(request, principal, settings, error=f"{t('refused')}: {error}", status=422)
    done = t("contact_added" if new else "contact_updated", institution=contact.institution)
    return contacts_page(request, principal, settings, notice=done)


@router.post("/contacts/remove", response_class=HTMLResponse)
def contacts_remove(request: Request, principal: FormPrincipal, settings: SettingsDep,
                    institution: Annotated[str, Form()] = "", email: Annotated[str, Form()] = ""):  # fmt: skip
    if principal is None or not principal.is_operator:
        return contacts_page(request, principal, settings)
    t = translator(web_language(request, principal))
    try:
        remove_contact(settings, institution, email)
    except UsageError as error:
        return contacts_page(request, principal, settings, error=f"{t('refused')}: {error}", status=422)
    return contacts_page(request, principal, settings, notice=t("contact_removed", institution=institution))

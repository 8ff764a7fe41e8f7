"""The language the portal answers a principal in, for the API and the pages alike."""

from babel import negotiate_locale

from pipelines.common.registry import institutions
from pipelines.contract.model import LANGUAGES
from pipelines.portal.auth import Principal


def choose_language(principal: Principal | None, asked: str | None, accept_language: str | None = None) -> str:
    """The language asked for (`?lang=`, or the one kept from it) if the portal has it, else the
    institution's own, else the browser's first of ours (`Accept-Language`, as for the sign-in
    page of a browser that asks for es-PE), else English."""
    if asked in LANGUAGES:
        return asked
    if principal and principal.institution:
        return institutions()[principal.institution].language
    return negotiate_locale(browser_languages(accept_language), LANGUAGES, sep="-") or "en"


def browser_languages(header: str | None) -> list[str]:
    """The tags of an Accept-Language header, most wanted first (`es-PE,es;q=0.9,en;q=0.5`)."""
    wanted = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, weight = part.strip().partition(";")
        try:
            quality = float(weight.strip().removeprefix("q=")) if weight else 1.0
        except ValueError:
            quality = 0.0
        if tag.strip() and tag.strip() != "*" and quality > 0:
            wanted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(wanted)]

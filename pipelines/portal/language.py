"""The language the portal answers a principal in, for the API and the pages alike."""

from pipelines.common.registry import institutions
from pipelines.contract.model import LANGUAGES
from pipelines.portal.auth import Principal


def choose_language(principal: Principal | None, asked: str | None) -> str:
    """The language asked for if the portal has it, else the institution's own, else English."""
    if asked in LANGUAGES:
        return asked
    if principal and principal.institution:
        return institutions()[principal.institution].language
    return "en"

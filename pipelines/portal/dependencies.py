"""The portal's request dependencies: what `create_app` stored on `app.state` (settings, ledger,
token store, sessions, rate limiter, the build a lock runs) and who is asking (a bearer token for
the API, the signed session cookie for the pages, and for the pages' forms also the session's CSRF
secret).

Kept apart from `auth.py` so that the token store, which `ciess tokens` also uses, needs no FastAPI.
"""

from typing import Annotated

from fastapi import Depends, Form, HTTPException, Request

from pipelines.common.settings import Settings
from pipelines.intake.storing.ledger import Ledger
from pipelines.portal.auth import Principal, TokenStore
from pipelines.portal.limits import RateLimiter
from pipelines.portal.sessions import SESSION_COOKIE, Session, Sessions
from pipelines.warehouse.locking import Build


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger


def get_tokens(request: Request) -> TokenStore:
    return request.app.state.tokens


def get_build(request: Request) -> Build | None:
    return request.app.state.build


def get_sessions(request: Request) -> Sessions:
    return request.app.state.sessions


def get_rate_limiter(request: Request) -> RateLimiter:
    return request.app.state.rate_limiter


SettingsDep = Annotated[Settings, Depends(get_settings)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
TokensDep = Annotated[TokenStore, Depends(get_tokens)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
BuildDep = Annotated[Build | None, Depends(get_build)]
SessionsDep = Annotated[Sessions, Depends(get_sessions)]


def bearer_principal(request: Request, tokens: TokensDep) -> Principal:
    """The holder of the `Authorization: Bearer` token; 401 without one or with a wrong or revoked one."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    if not token:
        raise HTTPException(401, "no token: send `Authorization: Bearer <token>`", {"WWW-Authenticate": "Bearer"})
    found = tokens.authenticate(token)
    if found is None:
        raise HTTPException(401, "the token is not valid (wrong or revoked); ask CIESS for a new one",
                            {"WWW-Authenticate": "Bearer"})  # fmt: skip
    return found


def api_principal(principal: Annotated[Principal, Depends(bearer_principal)], limiter: RateLimiterDep) -> Principal:
    """The bearer token's holder, counted against the token's rate limit (429 once over it)."""
    if not limiter.allow(principal.token_id):
        raise HTTPException(429, "too many requests for this token; wait a minute and try again",
                            {"Retry-After": "60"})  # fmt: skip
    return principal


class FormNotTrusted(Exception):
    """A form sent without its session's CSRF secret: from another site, or from a page older than the
    session (signed in again since). Answered 403 with a page that says to reload and send again."""

    def __init__(self, principal: Principal):
        self.principal = principal


def web_session(request: Request, sessions: SessionsDep) -> Session | None:
    return sessions.read(request.cookies.get(SESSION_COOKIE))


def web_principal(request: Request, tokens: TokensDep,
                  session: Annotated[Session | None, Depends(web_session)]) -> Principal | None:  # fmt: skip
    """The holder of the session signed in at sign-in, or None (the pages then show the sign-in form):
    no session, an expired or altered one, or a token revoked since. The session's CSRF secret goes
    to `request.state.csrf`, for the pages' forms."""
    principal = tokens.session_holder(session.session_id) if session else None
    if principal:
        request.state.csrf = session.csrf
    return principal


def form_principal(principal: Annotated[Principal | None, Depends(web_principal)],
                   session: Annotated[Session | None, Depends(web_session)],
                   csrf: Annotated[str | None, Form()] = None) -> Principal | None:  # fmt: skip
    """The signed-in holder, for a form that acts (OWASP's synchronizer token): its hidden `csrf`
    field must be the session's, else FormNotTrusted. None when signed out, as web_principal."""
    if principal is not None and not session.trusts(csrf):
        raise FormNotTrusted(principal)
    return principal


ApiPrincipal = Annotated[Principal, Depends(api_principal)]
WebPrincipal = Annotated[Principal | None, Depends(web_principal)]
FormPrincipal = Annotated[Principal | None, Depends(form_principal)]

"""The portal's request dependencies: what `create_app` stored on `app.state` (settings, ledger,
token store, rate limiter, the build a lock runs) and who is asking (a bearer token for the API, the session cookie for
the pages).

Kept apart from `auth.py` so that the token store, which `ciess tokens` also uses, needs no FastAPI.
"""

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from pipelines.common.settings import Settings
from pipelines.intake.storing.ledger import Ledger
from pipelines.portal.auth import Principal, TokenStore
from pipelines.portal.limits import RateLimiter
from pipelines.warehouse.locking import Build

COOKIE_TOKEN = "ciess_token"


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger


def get_tokens(request: Request) -> TokenStore:
    return request.app.state.tokens


def get_build(request: Request) -> Build | None:
    return request.app.state.build


def get_rate_limiter(request: Request) -> RateLimiter:
    return request.app.state.rate_limiter


SettingsDep = Annotated[Settings, Depends(get_settings)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
TokensDep = Annotated[TokenStore, Depends(get_tokens)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
BuildDep = Annotated[Build | None, Depends(get_build)]


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


def web_principal(request: Request, tokens: TokensDep) -> Principal | None:
    """The holder of the session cookie set at sign-in, or None (the pages then show the sign-in form)."""
    return tokens.authenticate(request.cookies.get(COOKIE_TOKEN))


ApiPrincipal = Annotated[Principal, Depends(api_principal)]
WebPrincipal = Annotated[Principal | None, Depends(web_principal)]

"""The pages' sign-in session (OWASP Session Management): a cookie that holds a session's id, never
the token, and the secret the session's forms carry against cross-site requests (CSRF), signed
with the home's `secrets/session.key` (itsdangerous) and good for SESSION_HOURS. The session is
looked up on every request (`TokenStore.session_holder`), so signing out or revoking the token
ends it at once, and a cookie kept from before is worth nothing; a new key (a deleted
`session.key`) only signs everyone out."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from pipelines.common.secret_keys import load_or_create_key

SESSION_COOKIE = "ciess_session"
OLD_TOKEN_COOKIE = "ciess_token"  # earlier versions kept the raw token in it: wiped at sign-in and sign-out
SESSION_HOURS = 8
KEY_FILE = "session.key"


@dataclass(frozen=True)
class Session:
    session_id: str
    csrf: str

    def trusts(self, csrf: str | None) -> bool:
        """Whether a form's hidden `csrf` field is this session's (compared in constant time)."""
        return bool(csrf) and hmac.compare_digest(csrf.encode(), self.csrf.encode())


class Sessions:
    def __init__(self, secrets_dir: Path):
        key = load_or_create_key(secrets_dir, KEY_FILE)
        self._signer = URLSafeTimedSerializer(key, salt="ciess-portal-session")

    def read(self, cookie: str | None) -> Session | None:
        """The session a cookie holds; None when there is none, or it is forged, altered or too old."""
        if not cookie:
            return None
        try:
            values = self._signer.loads(cookie, max_age=SESSION_HOURS * 3600)
        except BadSignature:  # SignatureExpired included
            return None
        if not isinstance(values, dict) or not all(isinstance(values.get(k), str) for k in ("session", "csrf")):
            return None
        return Session(values["session"], values["csrf"])

    def start(self, request: Request, response: Response, session_id: str) -> None:
        """Sign the browser in to the session `session_id`, with a new CSRF secret; `Secure` when the
        portal is reached over TLS (behind a proxy: uvicorn's --proxy-headers)."""
        value = self._signer.dumps({"session": session_id, "csrf": secrets.token_urlsafe(24)})
        response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_HOURS * 3600, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")  # fmt: skip
        response.delete_cookie(OLD_TOKEN_COOKIE)

    @staticmethod
    def end(response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE)
        response.delete_cookie(OLD_TOKEN_COOKIE)

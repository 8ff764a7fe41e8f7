"""The pages' sign-in session and the forms' CSRF secret, through real requests: the cookie holds no
token and is signed, it ends after 8 hours, at sign-out and when the token is revoked, it is
`Secure` over TLS, and a form without the session's secret (a forged cross-site request) changes
nothing and says what to do, in the visitor's language."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from pipelines.common.secret_keys import load_or_create_key
from pipelines.intake.storing.ledger import Ledger
from pipelines.portal.sessions import KEY_FILE, SESSION_COOKIE, SESSION_HOURS
from tests.conftest import EXAMPLES, PERIOD
from tests.portal.browsing import Browser
from tests.portal.test_portal import Portal

ROSTER = EXAMPLES["staffing"] / "valid.csv"


@pytest.fixture
def portal(tmp_path) -> Portal:
    return Portal(tmp_path / "home")


def signed_in(portal: Portal, who: str, **client) -> Browser:
    browser = Browser(portal.app, **client)
    assert browser.sign_in(portal.tokens[who]).status_code == 303
    return browser


def signed_in_home(browser: Browser) -> bool:
    return 'action="/upload"' in browser.get("/").text


def upload_form(browser: Browser, **data):
    files = {"file": (ROSTER.name, ROSTER.read_bytes(), "text/csv")}
    return browser.post("/upload", files=files, data={"kind": "staffing", "period": PERIOD, **data},
                        follow_redirects=False)  # fmt: skip


def test_the_cookie_holds_a_signed_session_and_never_the_token(portal):
    officer = signed_in(portal, "AR-ANSES")
    cookie = officer.cookies[SESSION_COOKIE]
    assert portal.tokens["AR-ANSES"] not in cookie and "ciess_" not in cookie
    assert signed_in_home(officer)

    altered = Browser(portal.app)
    altered.cookies.set(SESSION_COOKIE, cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert not signed_in_home(altered)
    forged = Browser(portal.app)  # well-formed, signed with a key that is not the home's
    forged.cookies.set(SESSION_COOKIE, URLSafeTimedSerializer(b"x" * 32, salt="ciess-portal-session")
                       .dumps({"session": "anything", "csrf": "anything"}))  # fmt: skip
    assert not signed_in_home(forged)


def test_a_session_ends_after_its_hours_at_sign_out_and_when_the_token_is_revoked(portal):
    officer = signed_in(portal, "AR-ANSES")
    cookie = officer.cookies[SESSION_COOKIE]
    kept = URLSafeTimedSerializer(load_or_create_key(portal.settings.secrets_dir, KEY_FILE),
                                  salt="ciess-portal-session").loads(cookie)  # fmt: skip

    class NineHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - (SESSION_HOURS + 1) * 3600

    old = URLSafeTimedSerializer(load_or_create_key(portal.settings.secrets_dir, KEY_FILE),
                                 salt="ciess-portal-session", signer=NineHoursAgo)  # fmt: skip
    stale = Browser(portal.app)
    stale.cookies.set(SESSION_COOKIE, old.dumps(kept))  # the same session, signed 9 hours ago
    page = stale.get("/?lang=es")
    assert not signed_in_home(stale) and "Su sesión terminó: dura 8 horas" in page.text

    copied = Browser(portal.app)  # the cookie, kept by someone else before the officer signs out
    copied.cookies.set(SESSION_COOKIE, cookie)
    assert signed_in_home(copied)
    assert officer.post("/signout", follow_redirects=False).status_code == 303
    assert not signed_in_home(officer) and not signed_in_home(copied)

    other = signed_in(portal, "BR-INSS")
    assert signed_in_home(other)
    token_id = next(record.token_id for record in portal.store.all() if record.institution == "BR-INSS")
    portal.store.revoke(token_id)
    assert not signed_in_home(other)


def test_the_cookie_is_secure_over_tls_and_strict_always(portal):
    over_tls = Browser(portal.app, base_url="https://portal.example")
    response = over_tls.sign_in(portal.tokens["AR-ANSES"])
    cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    plain = Browser(portal.app).sign_in(portal.tokens["AR-ANSES"]).headers["set-cookie"].lower()
    assert "secure" not in plain and "samesite=strict" in plain


def test_a_form_without_the_sessions_secret_changes_nothing(portal):
    officer = signed_in(portal, "AR-ANSES")
    secret = officer.csrf
    ledger = Ledger.of(portal.settings)

    officer.csrf = None  # a page of another site posting to the portal with the officer's cookie
    refused = upload_form(officer)
    assert refused.status_code == 403 and ledger.all() == []
    assert "No se cambió nada. Vuelva al portal, recargue la página" in refused.text  # Argentina: Spanish
    assert not [path for path in portal.settings.archive_dir.rglob("*") if path.is_file()]
    refused = upload_form(officer, csrf="a guess")
    assert refused.status_code == 403 and ledger.all() == []
    assert officer.post("/signout", follow_redirects=False).status_code == 403 and signed_in_home(officer)

    other = signed_in(portal, "AR-ANSES")  # the same token in another browser: another session, another secret
    assert other.csrf != secret
    officer.csrf = other.csrf
    assert upload_form(officer).status_code == 403 and ledger.all() == []

    officer.csrf = secret
    assert upload_form(officer).status_code == 303 and len(ledger.all()) == 1


def test_the_refusal_speaks_the_visitors_language(portal):
    operator = signed_in(portal, "operator")
    operator.get("/?lang=fr")
    operator.csrf = None
    refused = operator.post(f"/review/periods/{PERIOD}/lock", data={"reason": "Revue trimestrielle faite"})
    assert refused.status_code == 403 and "Rien n’a été modifié" in refused.text
    assert "Revenir au portail" in refused.text

"""A browser for the portal's pages in tests: its own cookies, and in every form it posts the hidden
`csrf` field that the portal's pages put in their forms (read from the page after sign-in, as a
browser submits what the page holds). API calls (`json=`, `content=`, a bearer header) go as they are."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_on(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "the page holds no form with the session's csrf field"
    return found.group(1)


class Browser(TestClient):
    csrf: str | None = None

    def sign_in(self, token: str):
        response = self.post("/signin", data={"token": token}, follow_redirects=False)
        if response.status_code == 303:
            self.csrf = csrf_on(self.get("/").text)
        return response

    def post(self, url, *args, **kwargs):
        as_form = not ({"json", "content"} & kwargs.keys()) and "authorization" not in {
            name.lower() for name in (kwargs.get("headers") or {})
        }
        if self.csrf and as_form and not str(url).startswith("/signin"):
            kwargs["data"] = {"csrf": self.csrf, **(kwargs.get("data") or {})}
        return super().post(url, *args, **kwargs)

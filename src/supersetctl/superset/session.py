"""A browser session for Superset's web pages, made over HTTP rather than in the browser.

Superset's pages (a dashboard, the home page) need the ``session`` cookie its login form sets;
the REST API's access token does not open them. The form is posted here the way a browser posts
it: ``GET /login/`` for the form's ``csrf_token`` (and the cookie it is bound to), then
``POST /login/`` with the username, password and that token. The cookies that come back are
handed to the browser, which then opens dashboards already logged in: no login page is ever
loaded in the browser, so a run has no page whose requests are still in flight when it is
closed (Playwright once waited forever closing such a page).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import httpx

from supersetctl.errors import SupersetAPIError
from supersetctl.redact import register

from .client import http_client

_CSRF_INPUT = re.compile(
    r"<input[^>]*\bname=\"csrf_token\"[^>]*\bvalue=\"([^\"]*)\"|"
    r"<input[^>]*\bvalue=\"([^\"]*)\"[^>]*\bname=\"csrf_token\"",
    re.S,
)


@dataclass(frozen=True)
class SessionCookie:
    """One cookie of a logged-in session."""

    name: str
    value: str

    def for_playwright(self, url: str) -> dict[str, object]:
        """The cookie as ``BrowserContext.add_cookies`` takes it: bound to ``url`` (its host,
        path ``/``, secure on https), out of the page's scripts' reach."""
        return {
            "name": self.name,
            "value": self.value,
            "url": url.rstrip("/") + "/",
            "httpOnly": True,
            "sameSite": "Lax",
        }


def form_login(
    url: str,
    username: str,
    password: str,
    *,
    http: httpx.Client | None = None,
    timeout: float = 30.0,
) -> list[SessionCookie]:
    """Log in through Superset's login form over HTTP; returns the session's cookies.

    A refused login (wrong password, unknown user), a form without its CSRF token or a
    server that does not answer is a :class:`SupersetAPIError` naming the URL and the user;
    the password never appears in it. ``http`` is the transport seam (tests pass a client on
    ``httpx.MockTransport``)."""
    register(password)
    base = url.rstrip("/")
    own = http is None
    client = http or http_client(base, timeout)
    try:
        return _login(client, base, username, password)
    except httpx.HTTPError as exc:
        raise SupersetAPIError(
            f"cannot log in to {base} as {username!r}: {type(exc).__name__}: {exc}"
        ) from None
    finally:
        if own:
            client.close()


def _login(client: httpx.Client, base: str, username: str, password: str) -> list[SessionCookie]:
    def refused(why: str) -> SupersetAPIError:
        return SupersetAPIError(
            f"cannot log in to {base} as {username!r}: {why}",
            hint="check the credentials the environment names, and that Superset answers",
        )

    form = client.get(f"{base}/login/", follow_redirects=False)
    if form.status_code != 200:
        raise refused(f"the login page answered HTTP {form.status_code}")
    found = _CSRF_INPUT.search(form.text)
    if found is None:
        raise refused("the login page has no csrf_token field (is this Superset?)")
    token = html.unescape(found.group(1) or found.group(2) or "")
    answer = client.post(
        f"{base}/login/",
        data={"username": username, "password": password, "csrf_token": token},
        headers={"Referer": f"{base}/login/"},
        follow_redirects=False,
    )
    target = answer.headers.get("location", "")
    if answer.status_code not in (301, 302, 303) or "/login" in target:
        raise refused("the username or password was refused")
    me = client.get(f"{base}/api/v1/me/", follow_redirects=False)
    if me.status_code != 200:
        raise refused(f"logged in, but /api/v1/me/ answered HTTP {me.status_code}")
    return [SessionCookie(c.name, c.value or "") for c in client.cookies.jar]

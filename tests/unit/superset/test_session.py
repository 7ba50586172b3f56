"""The browser session: Superset's login form posted over HTTP, against a MockTransport that
answers the way Flask-AppBuilder's form does (a CSRF token in the form, a redirect home on
success and back to the form on a refusal)."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

import httpx
import pytest

from supersetctl.errors import SupersetAPIError
from supersetctl.superset.session import form_login

URL = "http://superset.test"


def _server(password: str, *, form: str | None = None) -> httpx.Client:
    token = secrets.token_hex(8)

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/login/" and request.method == "GET":
            field = f'<input\n type="hidden" name="csrf_token" id="csrf_token" value="{token}">'
            body = form if form is not None else f"<form>{field}</form>"
            return httpx.Response(200, text=body, headers={"set-cookie": "session=anon; Path=/"})
        if path == "/login/":
            fields = parse_qs(request.content.decode())
            ok = fields.get("password") == [password] and fields.get("csrf_token") == [token]
            if ok:
                return httpx.Response(
                    302, headers={"location": "/", "set-cookie": "session=user; Path=/; HttpOnly"}
                )
            return httpx.Response(302, headers={"location": "/login/?next=/"})
        if path == "/api/v1/me/":
            cookie = request.headers.get("cookie", "")
            return httpx.Response(200 if "session=user" in cookie else 401, json={})
        return httpx.Response(404)

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_the_form_is_posted_with_its_token_and_the_session_comes_back() -> None:
    password = "pw_" + secrets.token_hex(8)
    cookies = form_login(URL, "admin", password, http=_server(password))
    assert [(c.name, c.value) for c in cookies] == [("session", "user")]
    assert cookies[0].for_playwright(URL + "/") == {
        "name": "session",
        "value": "user",
        "url": URL + "/",
        "httpOnly": True,
        "sameSite": "Lax",
    }


def test_a_wrong_password_is_refused_by_user_name_and_never_shown() -> None:
    password = "pw_" + secrets.token_hex(8)
    wrong = "pw_" + secrets.token_hex(8)
    with pytest.raises(SupersetAPIError, match="as 'admin': the username or password") as err:
        form_login(URL, "admin", wrong, http=_server(password))
    assert wrong not in str(err.value) and err.value.hint


def test_a_page_without_the_form_token_is_not_taken_for_superset() -> None:
    with pytest.raises(SupersetAPIError, match="no csrf_token field"):
        form_login(URL, "admin", "x", http=_server("x", form="<html>a proxy's page</html>"))


def test_a_server_that_does_not_answer_is_named() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    http = httpx.Client(transport=httpx.MockTransport(down))
    with pytest.raises(SupersetAPIError, match=r"cannot log in to http://superset.test as 'admin'"):
        form_login(URL + "/", "admin", "x", http=http)

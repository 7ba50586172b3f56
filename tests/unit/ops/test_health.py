from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from supersetctl.ops.health import HealthOptions, check_health
from tests.support.tls import make_certs

FAST = HealthOptions(attempts=3, backoff=0.0, timeout=5.0)


def _ok_health(server: HTTPServer) -> None:
    server.expect_request("/health").respond_with_json({"status": "OK"})


def test_json_health_without_credentials_is_up(httpserver: HTTPServer) -> None:
    _ok_health(httpserver)
    report = check_health(httpserver.url_for("/"), options=FAST)
    assert report.state == "up"
    names = {c.name: c for c in report.checks}
    assert names["health"].status == "ok"
    assert names["health"].elapsed_ms is not None
    assert names["login"].status == "skip"
    assert "tls" not in names  # plain http


def test_plain_text_ok_is_a_warning_not_an_outage(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_data("OK", content_type="text/html")
    report = check_health(httpserver.url_for("/"), options=FAST)
    assert report.state == "up"
    assert report.checks[0].status == "warn"
    assert "contract" in report.checks[0].detail


def test_retries_with_backoff_then_declares_down(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/health").respond_with_data("busy", status=503)
    slept: list[float] = []
    options = HealthOptions(attempts=4, backoff=0.5)
    report = check_health(httpserver.url_for("/"), options=options, sleep=slept.append)
    assert report.state == "down"
    assert report.checks[0].attempts == 4
    assert slept == [0.5, 1.0, 2.0]
    assert len(httpserver.log) == 4


def test_a_blip_is_retried_away(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/health").respond_with_data("x", status=502)
    httpserver.expect_ordered_request("/health").respond_with_json({"status": "OK"})
    report = check_health(httpserver.url_for("/"), options=FAST, sleep=lambda _s: None)
    assert report.state == "up"
    assert report.checks[0].attempts == 2


def test_connection_refused_is_down() -> None:
    report = check_health("http://127.0.0.1:9", options=FAST, sleep=lambda _s: None)
    assert report.state == "down"
    assert report.checks[0].status == "fail"


def _superset_api(server: HTTPServer, password: str, *, query_ok: bool = True) -> None:
    token = "tok" + secrets.token_hex(8)

    def login(request: Request) -> Response:
        body = request.get_json()
        if body.get("password") != password:
            return Response(json.dumps({"message": "Not authorized"}), status=401)
        return Response(json.dumps({"access_token": token}), content_type="application/json")

    def authed(payload: object) -> object:
        def handler(request: Request) -> Response:
            if request.headers.get("Authorization") != f"Bearer {token}":
                return Response("{}", status=401)
            return Response(json.dumps(payload), content_type="application/json")

        return handler

    def execute(request: Request) -> Response:
        if request.headers.get("X-CSRFToken") != "csrf123":
            return Response(json.dumps({"message": "CSRF"}), status=400)
        body = request.get_json()
        assert body["sql"].startswith("SELECT 1")
        if not query_ok and body["database_id"] == 2:
            return Response(
                json.dumps({"message": f"connection refused for superset_ro:{password}@db"}),
                status=500,
            )
        return Response(
            json.dumps({"status": "success", "data": [{"supersetctl_health": 1}]}),
            content_type="application/json",
        )

    _ok_health(server)
    server.expect_request("/api/v1/security/login", method="POST").respond_with_handler(login)
    server.expect_request("/api/v1/security/csrf_token/").respond_with_handler(
        authed({"result": "csrf123"})  # type: ignore[arg-type]
    )
    server.expect_request("/api/v1/database/").respond_with_handler(
        authed(  # type: ignore[arg-type]
            {
                "count": 2,
                "result": [
                    {"id": 1, "database_name": "odoo"},
                    {"id": 2, "database_name": "supabase"},
                ],
            }
        )
    )
    server.expect_request("/api/v1/sqllab/execute/", method="POST").respond_with_handler(execute)


def test_login_and_a_query_per_database(httpserver: HTTPServer) -> None:
    password = "pw-" + secrets.token_hex(8)
    _superset_api(httpserver, password)
    report = check_health(
        httpserver.url_for("/"), username="admin", password=password, options=FAST
    )
    by = {c.name: c.status for c in report.checks}
    assert by == {
        "health": "ok",
        "login": "ok",
        "database:odoo": "ok",
        "database:supabase": "ok",
    }
    assert report.state == "up"


def test_failing_database_degrades_and_never_shows_the_password(httpserver: HTTPServer) -> None:
    password = "pw-" + secrets.token_hex(8)
    _superset_api(httpserver, password, query_ok=False)
    report = check_health(
        httpserver.url_for("/"), username="admin", password=password, options=FAST
    )
    assert report.state == "degraded"
    failing = [c for c in report.checks if c.status == "fail"]
    assert [c.name for c in failing] == ["database:supabase"]
    assert failing[0].attempts == 3  # a 5xx is retried
    assert password not in json.dumps(report.to_dict())


def test_refused_login_is_degraded_without_retries(httpserver: HTTPServer) -> None:
    _superset_api(httpserver, "right-" + secrets.token_hex(4))
    report = check_health(
        httpserver.url_for("/"), username="admin", password="wrong-password", options=FAST
    )
    login = next(c for c in report.checks if c.name == "login")
    assert login.status == "fail"
    assert login.attempts == 1
    assert report.state == "degraded"


@pytest.fixture
def tls_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[HTTPServer, Path]]:
    days = request.param
    certs = make_certs(tmp_path, days_left=days)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=certs.server_context())
    server.expect_request("/health").respond_with_json({"status": "OK"})
    server.start()
    try:
        yield server, certs.ca_file
    finally:
        server.clear()
        server.stop()


@pytest.mark.parametrize("tls_server", [90], indirect=True)
def test_tls_days_left_from_a_served_certificate(tls_server: tuple[HTTPServer, Path]) -> None:
    server, ca = tls_server
    options = HealthOptions(attempts=1, backoff=0, ca_file=str(ca))
    report = check_health(server.url_for("/"), options=options)
    assert report.url.startswith("https://127.0.0.1:")
    tls = next(c for c in report.checks if c.name == "tls")
    assert tls.status == "ok"
    assert report.tls_days_left == 90
    assert report.state == "up"


@pytest.mark.parametrize("tls_server", [12], indirect=True)
def test_tls_expiring_soon_warns(tls_server: tuple[HTTPServer, Path]) -> None:
    server, ca = tls_server
    options = HealthOptions(attempts=1, backoff=0, ca_file=str(ca))
    report = check_health(server.url_for("/"), options=options)
    tls = next(c for c in report.checks if c.name == "tls")
    assert tls.status == "warn"
    assert "12 days" in tls.detail
    assert report.state == "up"


@pytest.mark.parametrize("tls_server", [3], indirect=True)
def test_tls_about_to_expire_degrades(tls_server: tuple[HTTPServer, Path]) -> None:
    server, ca = tls_server
    options = HealthOptions(attempts=1, backoff=0, ca_file=str(ca))
    report = check_health(server.url_for("/"), options=options)
    assert report.tls_days_left == 3
    assert report.state == "degraded"


@pytest.mark.parametrize("tls_server", [40], indirect=True)
def test_untrusted_certificate_fails_but_days_are_read(
    tls_server: tuple[HTTPServer, Path],
) -> None:
    server, _ca = tls_server
    # no CA given: the HTTP check fails to verify too, so the service counts as down
    report = check_health(server.url_for("/"), options=HealthOptions(attempts=1, backoff=0))
    tls = next(c for c in report.checks if c.name == "tls")
    assert tls.status == "fail"
    assert "not trusted" in tls.detail
    assert report.tls_days_left == 40

"""The one /health probe: what healthy means, on a MockTransport."""

from __future__ import annotations

import httpx
import pytest

from supersetctl.superset.health import judge, probe_health


def _http(response: httpx.Response | Exception) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/health"
        if isinstance(response, Exception):
            raise response
        return response

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_the_contract_body_is_healthy() -> None:
    probe = probe_health("http://superset.test/", _http(httpx.Response(200, json={"status": "OK"})))
    assert probe.healthy and probe.serving and probe.verdict == "ok"
    assert probe.url == "http://superset.test/health"
    assert probe.status_code == 200


def test_other_keys_are_ignored_like_the_image_healthcheck() -> None:
    assert judge("u", 200, '{"status": "OK", "version": "6.1.0"}').healthy


@pytest.mark.parametrize(
    ("status", "body", "verdict"),
    [
        (200, "OK", "plain-ok"),  # a Superset without our configuration
        (200, '{"status": "ok"}', "unexpected"),  # the contract's value is upper case
        (200, "<html>login</html>", "unexpected"),
        (200, "[]", "unexpected"),
        (503, '{"status": "ERROR", "failed": ["metadata_db"]}', "http-error"),
        (302, "", "http-error"),
    ],
)
def test_everything_else_is_unhealthy_and_says_why(status: int, body: str, verdict: str) -> None:
    probe = judge("u", status, body)
    assert not probe.healthy
    assert probe.verdict == verdict
    assert probe.serving is (verdict == "plain-ok")


def test_plain_text_ok_names_the_contract() -> None:
    assert "contract" in judge("u", 200, "OK\n").detail


def test_no_answer_is_unreachable_not_an_exception() -> None:
    probe = probe_health("http://superset.test", _http(httpx.ConnectError("refused")))
    assert probe.verdict == "unreachable" and probe.status_code is None
    assert "ConnectError" in probe.detail


def test_a_server_error_shows_its_status() -> None:
    probe = probe_health("http://superset.test", _http(httpx.Response(503, text="busy")))
    assert probe.verdict == "http-error" and "HTTP 503" in probe.detail

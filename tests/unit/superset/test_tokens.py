"""The access-token cache: what it keeps, where, for how long, and what it refuses."""

from __future__ import annotations

import json
import secrets
import stat
from pathlib import Path

import httpx
import pytest

from supersetctl.errors import SupersetAPIError
from supersetctl.redact import redact
from supersetctl.superset import Credentials, SupersetClient
from supersetctl.superset.tokens import MARGIN, MAX_AGE, TokenCache, token_expiry
from tests.support.helpers import fake_jwt

URL = "http://superset.test"
NOW = 1_800_000_000.0


def _cache(tmp_path: Path, now: float = NOW) -> TokenCache:
    return TokenCache(tmp_path / "tokens", clock=lambda: now)


def test_expiry_is_read_from_the_claims() -> None:
    assert token_expiry(fake_jwt(NOW + 900)) == NOW + 900
    assert token_expiry(fake_jwt(None)) is None
    assert token_expiry("not-a-jwt") is None
    assert token_expiry("a.!!!.c") is None


def test_a_kept_token_is_private_and_reused_until_shortly_before_expiry(tmp_path: Path) -> None:
    token = fake_jwt(NOW + 900)
    _cache(tmp_path).put(URL, "admin", token)
    files = list((tmp_path / "tokens").iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "tokens").stat().st_mode) == 0o700
    assert _cache(tmp_path, NOW + 1).get(URL + "/", "admin") == token
    assert redact(token) == "***"  # read back, it is registered for redaction
    assert _cache(tmp_path, NOW + 900 - MARGIN).get(URL, "admin") is None
    # never another user's or another instance's
    assert _cache(tmp_path).get(URL, "someone") is None
    assert _cache(tmp_path).get("http://other.test", "admin") is None


def test_a_long_lived_token_is_kept_no_longer_than_max_age(tmp_path: Path) -> None:
    _cache(tmp_path).put(URL, "admin", fake_jwt(NOW + 30 * 86400))
    assert _cache(tmp_path, NOW + MAX_AGE - 1).get(URL, "admin") is not None
    assert _cache(tmp_path, NOW + MAX_AGE + 1).get(URL, "admin") is None


def test_tokens_without_expiry_or_about_to_expire_are_not_kept(tmp_path: Path) -> None:
    _cache(tmp_path).put(URL, "admin", fake_jwt(None))
    _cache(tmp_path).put(URL, "admin", fake_jwt(NOW + MARGIN - 1))
    assert not (tmp_path / "tokens").exists() or not list((tmp_path / "tokens").iterdir())


def test_a_file_others_can_read_is_ignored(tmp_path: Path) -> None:
    _cache(tmp_path).put(URL, "admin", fake_jwt(NOW + 900))
    (file,) = (tmp_path / "tokens").iterdir()
    file.chmod(0o644)
    assert _cache(tmp_path).get(URL, "admin") is None


def test_garbage_in_the_cache_is_a_miss(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put(URL, "admin", fake_jwt(NOW + 900))
    (file,) = (tmp_path / "tokens").iterdir()
    file.write_text("{not json")
    assert cache.get(URL, "admin") is None


def test_where_the_cache_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def folder() -> Path | None:
        cache = TokenCache.default()
        return cache.folder if cache else None

    monkeypatch.setenv("SUPERSETCTL_TOKEN_CACHE", "off")
    assert folder() is None
    monkeypatch.setenv("SUPERSETCTL_TOKEN_CACHE", str(tmp_path / "t"))
    assert folder() == tmp_path / "t"
    monkeypatch.delenv("SUPERSETCTL_TOKEN_CACHE")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert folder() == tmp_path / "supersetctl" / "tokens"
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "missing"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert folder() == tmp_path / "cache" / "supersetctl" / "tokens"


class Server:
    """Logins hand out tokens; a request with a token it did not issue gets 401."""

    def __init__(self, refusal: int = 401) -> None:
        self.issued: list[str] = []
        self.logins = 0
        self.refusal = refusal

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/security/login":
            self.logins += 1
            assert json.loads(request.read())["refresh"] is False
            self.issued.append(fake_jwt(NOW + 900))
            return httpx.Response(200, json={"access_token": self.issued[-1]})
        auth = request.headers.get("Authorization", "")
        if auth.removeprefix("Bearer ") not in self.issued:
            return httpx.Response(self.refusal, json={"msg": "Signature verification failed"})
        return httpx.Response(200, json={"result": [], "count": 0})


def _client(server: Server, cache: TokenCache | None) -> SupersetClient:
    return SupersetClient(
        URL,
        Credentials("admin", "pw-" + secrets.token_hex(8)),
        http=httpx.Client(transport=httpx.MockTransport(server)),
        sleep=lambda _: None,
        token_cache=cache,
    )


def test_the_next_client_reuses_the_token_without_logging_in(tmp_path: Path) -> None:
    server, cache = Server(), _cache(tmp_path)
    _client(server, cache).list("chart", ["id"])
    _client(server, cache).list("chart", ["id"])
    assert server.logins == 1
    _client(server, None).list("chart", ["id"])  # no cache: a login each time
    assert server.logins == 2


@pytest.mark.parametrize("refusal", [401, 422])  # expired; signed with another SECRET_KEY
def test_a_refused_token_is_dropped_and_the_password_used(tmp_path: Path, refusal: int) -> None:
    server, cache = Server(refusal), _cache(tmp_path)
    cache.put(URL, "admin", fake_jwt(NOW + 900))  # one the server never issued (or revoked)
    assert _client(server, cache).list("chart", ["id"]) == []
    assert server.logins == 1
    assert cache.get(URL, "admin") == server.issued[-1]  # the new one is kept


def test_a_422_with_a_fresh_login_is_reported_not_retried_forever(tmp_path: Path) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/api/v1/security/login":
            return httpx.Response(200, json={"access_token": fake_jwt(NOW + 900)})
        return httpx.Response(422, json={"message": "bad payload"})

    client = SupersetClient(
        URL,
        Credentials("admin", "pw-" + secrets.token_hex(8)),
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        token_cache=_cache(tmp_path),
    )
    with pytest.raises(SupersetAPIError, match="bad payload"):
        client.request("GET", "api/v1/chart/")
    assert calls == ["/api/v1/security/login", "/api/v1/chart/"]


def test_a_401_on_a_token_of_this_run_logs_in_again(tmp_path: Path) -> None:
    server, cache = Server(), _cache(tmp_path)
    client = _client(server, cache)
    client.list("chart", ["id"])
    server.issued.clear()  # the server no longer honours what it issued (revoked, expired)
    assert client.list("chart", ["id"]) == []
    assert server.logins == 2
    assert cache.get(URL, "admin") == server.issued[-1]


def test_dropping_spares_a_newer_token_another_run_kept(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    old, new = fake_jwt(NOW + 900), fake_jwt(NOW + 900)
    cache.put(URL, "admin", new)
    cache.drop(URL, "admin", old)
    assert cache.get(URL, "admin") == new
    cache.drop(URL, "admin", new)
    assert cache.get(URL, "admin") is None

"""The OCI client against an HTTP server emulating GHCR, and MockTransport edge cases."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from supersetctl import redact
from supersetctl.errors import RegistryError
from supersetctl.image import (
    AccessDenied,
    Credentials,
    DigestMismatch,
    RegistryClient,
    RegistryUnreachable,
    UnknownManifest,
    credentials_from_env,
    parse_reference,
    resolve,
)
from supersetctl.image.registry import ACCEPT, MANIFEST_MEDIA_TYPES, parse_challenge

INDEX = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [],
    }
).encode()
INDEX_DIGEST = "sha256:" + hashlib.sha256(INDEX).hexdigest()


class FakeGHCR:
    """GHCR's flow: 401 + Bearer challenge -> GET /token (anon or basic) -> Bearer manifest."""

    def __init__(self, server: HTTPServer, *, private: bool = False) -> None:
        self.server = server
        self.private = private
        self.user = "octocat"
        self.pat = "ghp_" + secrets.token_hex(18)
        self.token = secrets.token_hex(24)
        self.token_requests: list[Request] = []
        self.manifest_requests: list[Request] = []
        self.head_digest = True
        server.expect_request("/token").respond_with_handler(self._token)
        server.expect_request("/v2/insightpulseai/superset/manifests/6.1.0-1").respond_with_handler(
            self._manifest
        )
        server.expect_request("/v2/insightpulseai/superset/manifests/nope").respond_with_handler(
            self._unknown
        )

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def _challenge(self) -> Response:
        realm = self.server.url_for("/token")
        header = (
            f'Bearer realm="{realm}",service="ghcr.io",'
            'scope="repository:insightpulseai/superset:pull"'
        )
        body = json.dumps(
            {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}
        )
        return Response(body, 401, {"WWW-Authenticate": header}, content_type="application/json")

    def _token(self, request: Request) -> Response:
        self.token_requests.append(request)
        if request.args.get("scope") != "repository:insightpulseai/superset:pull":
            return Response("bad scope", 400)
        auth = request.headers.get("Authorization", "")
        if self.private:
            expected = base64.b64encode(f"{self.user}:{self.pat}".encode()).decode()
            if auth != f"Basic {expected}":
                return Response(json.dumps({"errors": [{"code": "DENIED"}]}), 403)
        return Response(json.dumps({"token": self.token}), 200, content_type="application/json")

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    def _manifest(self, request: Request) -> Response:
        self.manifest_requests.append(request)
        if not self._authorized(request):
            return self._challenge()
        headers = {"Docker-Content-Digest": INDEX_DIGEST} if self.head_digest else {}
        body = b"" if request.method == "HEAD" else INDEX
        resp = Response(body, 200, headers, content_type="application/vnd.oci.image.index.v1+json")
        if request.method == "HEAD":
            resp.headers["Content-Length"] = str(len(INDEX))
        return resp

    def _unknown(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._challenge()
        body = (
            b""
            if request.method == "HEAD"
            else json.dumps(
                {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]}
            ).encode()
        )
        return Response(body, 404, content_type="application/json")


@pytest.fixture
def ghcr(httpserver: HTTPServer) -> FakeGHCR:
    return FakeGHCR(httpserver)


def test_ghcr_anonymous_bearer_flow(ghcr: FakeGHCR) -> None:
    with RegistryClient() as client:
        got = client.resolve(f"{ghcr.host}/insightpulseai/superset:6.1.0-1")
    assert got.digest == INDEX_DIGEST
    assert got.is_index and got.method == "HEAD"
    assert len(ghcr.token_requests) == 1
    assert ghcr.token_requests[0].args["service"] == "ghcr.io"
    assert "Authorization" not in ghcr.token_requests[0].headers
    first, second = ghcr.manifest_requests
    assert first.method == second.method == "HEAD"
    for req in ghcr.manifest_requests:
        for media in MANIFEST_MEDIA_TYPES:
            assert media in req.headers["Accept"]


def test_ghcr_get_fallback_hashes_the_body(ghcr: FakeGHCR) -> None:
    ghcr.head_digest = False
    with RegistryClient() as client:
        got = client.resolve(f"{ghcr.host}/insightpulseai/superset:6.1.0-1")
    assert got.digest == INDEX_DIGEST
    assert got.method == "GET"
    assert [r.method for r in ghcr.manifest_requests] == ["HEAD", "HEAD", "GET"]
    assert len(ghcr.token_requests) == 1  # the token is reused


def test_ghcr_private_with_pat_from_env(httpserver: HTTPServer) -> None:
    ghcr = FakeGHCR(httpserver, private=True)
    ref = parse_reference(f"{ghcr.host}/insightpulseai/superset:6.1.0-1")
    creds = Credentials(ghcr.user, ghcr.pat)
    with RegistryClient(credentials={ref.registry: creds}) as client:
        assert client.resolve(ref).digest == INDEX_DIGEST
    assert ghcr.token_requests[-1].headers["Authorization"].startswith("Basic ")
    assert ghcr.pat in redact.registered()
    assert ghcr.token in redact.registered()


def test_ghcr_private_anonymous_is_denied_with_a_hint(httpserver: HTTPServer) -> None:
    ghcr = FakeGHCR(httpserver, private=True)
    with RegistryClient() as client, pytest.raises(AccessDenied) as info:
        client.resolve(f"{ghcr.host}/insightpulseai/superset:6.1.0-1")
    assert "anonymous" in str(info.value)


def test_ghcr_unknown_tag(ghcr: FakeGHCR) -> None:
    with RegistryClient() as client, pytest.raises(UnknownManifest, match="MANIFEST_UNKNOWN"):
        client.resolve(f"{ghcr.host}/insightpulseai/superset:nope")


def test_credentials_from_env() -> None:
    ghcr = parse_reference("ghcr.io/o/n:1")
    other = parse_reference("registry.example.com/o/n:1")
    pat = "ghp_" + secrets.token_hex(18)
    env = {"GHCR_USERNAME": "me", "GHCR_TOKEN": pat}
    assert credentials_from_env(ghcr, env) == Credentials("me", pat)
    assert credentials_from_env(other, env) is None
    assert pat in redact.registered()
    assert pat not in repr(Credentials("me", pat))
    env2 = {"SUPERSETCTL_REGISTRY_USERNAME": "u", "SUPERSETCTL_REGISTRY_PASSWORD": "pw-" + pat}
    assert credentials_from_env(other, env2) == Credentials("u", "pw-" + pat)


def test_parse_challenge() -> None:
    scheme, params = parse_challenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/superset:pull,push"'
    )
    assert scheme == "bearer"
    assert params == {
        "realm": "https://auth.docker.io/token",
        "service": "registry.docker.io",
        "scope": "repository:library/superset:pull,push",
    }
    assert parse_challenge('Basic realm="x"') == ("basic", {"realm": "x"})


# ------------------------------------------------------------ MockTransport edge cases


def mock(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_docker_hub_goes_to_registry_1_with_library_prefix_and_https() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.host == "auth.docker.io":
            assert request.url.params["scope"] == "repository:library/superset:pull"
            return httpx.Response(200, json={"access_token": "t" * 20})
        if request.headers.get("Authorization") != "Bearer " + "t" * 20:
            return httpx.Response(
                401,
                headers={
                    "WWW-Authenticate": 'Bearer realm="https://auth.docker.io/token",'
                    'service="registry.docker.io",scope="repository:library/superset:pull"'
                },
            )
        assert request.headers["Accept"] == ACCEPT
        return httpx.Response(200, headers={"Docker-Content-Digest": INDEX_DIGEST})

    got = resolve("superset:6.1.0", client=mock(handler))
    assert got.digest == INDEX_DIGEST
    assert seen[0] == "https://registry-1.docker.io/v2/library/superset/manifests/6.1.0"


def test_header_that_disagrees_with_the_body_is_refused() -> None:
    other = "sha256:" + "b" * 64

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "HEAD":
            return httpx.Response(405)
        return httpx.Response(200, content=INDEX, headers={"Docker-Content-Digest": other})

    with pytest.raises(DigestMismatch, match="hash to"):
        resolve("ghcr.io/o/n:1", client=mock(handler))


def test_forbidden_rate_limited_server_error() -> None:
    for status, exc, text in (
        (403, AccessDenied, "denied"),
        (429, RegistryError, "rate limited"),
        (502, RegistryError, "HTTP 502"),
    ):
        client = mock(lambda _req, s=status: httpx.Response(s))
        with pytest.raises(exc, match=text):
            resolve("ghcr.io/o/n:1", client=client)


def test_connect_error_is_unreachable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("name resolution failed", request=request)

    with pytest.raises(RegistryUnreachable, match=r"ghcr\.io is unreachable"):
        resolve("ghcr.io/o/n:1", client=mock(handler))


def test_no_credentials_over_plain_http_to_a_remote_realm() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, headers={"WWW-Authenticate": 'Bearer realm="http://evil.example/token"'}
        )

    creds = {"ghcr.io": Credentials("me", "pw-" + secrets.token_hex(8))}
    with (
        RegistryClient(credentials=creds, client=mock(handler)) as client,
        pytest.raises(AccessDenied, match="plain HTTP"),
    ):
        client.resolve("ghcr.io/o/n:1")


def test_token_service_without_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"nothing": True})
        return httpx.Response(
            401, headers={"WWW-Authenticate": 'Bearer realm="https://ghcr.io/token"'}
        )

    with pytest.raises(RegistryError, match="without a token"):
        resolve("ghcr.io/o/n:1", client=mock(handler))

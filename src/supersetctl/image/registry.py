"""A small OCI distribution client: resolve a tag to the digest the registry serves for it.

The flow (distribution spec, measured against Debian's docker-registry and GHCR):

1. ``HEAD /v2/<name>/manifests/<tag>`` with the full Accept list (OCI index, Docker manifest
   list, OCI manifest, Docker manifest v2): the digest is the ``Docker-Content-Digest`` header.
   Without the Accept list a registry may answer 404 for a multi-arch tag.
2. When HEAD gives no usable digest (some registries and proxies drop the header, or refuse
   HEAD), ``GET`` the same URL and take sha256 of the exact bytes; a header that disagrees
   with the body is an error.
3. ``401`` with ``WWW-Authenticate: Bearer realm=...,service=...,scope=...``: fetch a token from
   the realm (anonymously, or with basic auth when credentials are known for the host) and
   retry once; ``401`` with a ``Basic`` challenge: retry with basic auth.

Credentials are only sent over HTTPS (or to a loopback host, for local registries), are
registered with :mod:`supersetctl.redact`, and never appear in errors or logs.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from supersetctl import redact
from supersetctl.errors import RegistryError

from .reference import DIGEST_RE, ImageReference, parse_reference

log = logging.getLogger(__name__)

MEDIA_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MEDIA_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_MEDIA_TYPES: tuple[str, ...] = (
    MEDIA_OCI_INDEX,
    MEDIA_DOCKER_LIST,
    MEDIA_OCI_MANIFEST,
    MEDIA_DOCKER_MANIFEST,
)
ACCEPT = ", ".join(MANIFEST_MEDIA_TYPES)
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # the distribution spec's recommended manifest limit


class UnknownManifest(RegistryError):
    """The repository or the tag/digest does not exist (or is hidden from us)."""


class AccessDenied(RegistryError):
    """The registry refused our (anonymous or given) credentials."""


class RegistryUnreachable(RegistryError):
    """The registry could not be reached (DNS, connect, TLS, timeout)."""


class DigestMismatch(RegistryError):
    """A digest someone gave does not match what the registry serves."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        redact.register(self.password)


@dataclass(frozen=True)
class Resolved:
    """What a tag resolved to."""

    reference: ImageReference  # with ``digest`` set
    digest: str
    media_type: str | None
    size: int | None
    method: str  # "HEAD" or "GET": how the digest was obtained

    @property
    def is_index(self) -> bool:
        return self.media_type in (MEDIA_OCI_INDEX, MEDIA_DOCKER_LIST)

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": str(self.reference),
            "registry": self.reference.registry,
            "repository": self.reference.repository,
            "tag": self.reference.tag,
            "digest": self.digest,
            "media_type": self.media_type,
            "size": self.size,
            "multi_arch": self.is_index,
            "method": self.method,
        }


def credentials_from_env(ref: ImageReference, environ: Mapping[str, str]) -> Credentials | None:
    """Credentials for ``ref``'s registry from the environment, if any.

    ``ghcr.io``: ``GHCR_USERNAME`` and ``GHCR_TOKEN`` (a PAT with ``read:packages``).
    Any other registry: ``SUPERSETCTL_REGISTRY_USERNAME`` and ``SUPERSETCTL_REGISTRY_PASSWORD``.
    """
    if ref.registry == "ghcr.io":
        user, secret = environ.get("GHCR_USERNAME"), environ.get("GHCR_TOKEN")
    else:
        user = environ.get("SUPERSETCTL_REGISTRY_USERNAME")
        secret = environ.get("SUPERSETCTL_REGISTRY_PASSWORD")
    if secret:
        redact.register(secret)
    if user and secret:
        return Credentials(user, secret)
    return None


_CHALLENGE_PARAM = re.compile(r'([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``Bearer realm="...",service="..."`` -> ("bearer", {"realm": ..., "service": ...})."""
    scheme, _, rest = header.strip().partition(" ")
    params = {
        m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
        for m in _CHALLENGE_PARAM.finditer(rest)
    }
    return scheme.lower(), params


def _registry_errors(response: httpx.Response) -> str:
    """The registry's own error codes and messages, e.g. ``MANIFEST_UNKNOWN``."""
    try:
        body = response.json()
    except ValueError:
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return ""
    parts = []
    for err in errors:
        if isinstance(err, dict):
            code, msg = err.get("code", ""), err.get("message", "")
            parts.append(f"{code}: {msg}" if msg else str(code))
    return redact.redact("; ".join(parts))


class RegistryClient:
    """Resolve image references against OCI registries (Docker Hub, GHCR, any v2 registry)."""

    def __init__(
        self,
        *,
        credentials: Mapping[str, Credentials] | None = None,
        client: httpx.Client | None = None,
        timeout: float = 15.0,
        plain_http: bool | None = None,
    ) -> None:
        """``credentials`` maps a registry name (``ghcr.io``) to its credentials.

        ``plain_http``: use ``http://`` (None: only for loopback hosts such as 127.0.0.1).
        """
        self._credentials = dict(credentials or {})
        self._own_client = client is None
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=True)
        self._plain_http = plain_http
        self._tokens: dict[tuple[str, str], str] = {}
        self._basic: set[str] = set()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    # ------------------------------------------------------------------ public API

    def resolve(self, ref: ImageReference | str) -> Resolved:
        """The digest the registry serves for ``ref`` (its tag, or its digest if only that).

        When ``ref`` carries both a tag and a digest, the tag is resolved and must match the
        digest (:class:`DigestMismatch` otherwise).
        """
        image = parse_reference(ref) if isinstance(ref, str) else ref
        resolved = self._resolve(image, image.reference)
        if image.tag and image.digest and resolved.digest != image.digest:
            raise DigestMismatch(
                f"{image.registry}/{image.repository}:{image.tag} is {resolved.digest}, "
                f"not {image.digest}",
                hint="the tag moved, or the digest belongs to another image",
            )
        return resolved

    def verify(self, ref: ImageReference | str, digest: str) -> Resolved:
        """Resolve ``ref``'s tag and check it equals ``digest``."""
        image = parse_reference(ref) if isinstance(ref, str) else ref
        if not DIGEST_RE.match(digest):
            raise DigestMismatch(f"malformed digest {digest!r}", hint="sha256: and 64 hex")
        return self.resolve(image.with_digest(digest))

    # ------------------------------------------------------------------ internals

    def _scheme(self, image: ImageReference) -> str:
        plain = image.is_loopback if self._plain_http is None else self._plain_http
        return "http" if plain else "https"

    def _manifest_url(self, image: ImageReference, reference: str) -> str:
        return (
            f"{self._scheme(image)}://{image.api_host}/v2/{image.repository}/manifests/{reference}"
        )

    def _resolve(self, image: ImageReference, reference: str) -> Resolved:
        url = self._manifest_url(image, reference)
        head = self._send("HEAD", image, url)
        digest = head.headers.get("Docker-Content-Digest", "")
        if head.status_code == 200 and DIGEST_RE.match(digest):
            if reference.startswith("sha256:") and digest != reference:
                raise DigestMismatch(f"{image} is served as {digest}")
            log.debug("HEAD %s -> %s", url, digest)
            length = head.headers.get("Content-Length")
            return Resolved(
                image.with_digest(digest),
                digest,
                _media_type(head),
                int(length) if length and length.isdigit() else None,
                "HEAD",
            )
        log.debug("HEAD %s gave %s without a digest; falling back to GET", url, head.status_code)
        get = self._send("GET", image, url)
        self._raise_for_status(get, image)
        body = get.content
        if len(body) > MAX_MANIFEST_BYTES:
            raise RegistryError(f"{image}: manifest larger than {MAX_MANIFEST_BYTES} bytes")
        computed = "sha256:" + hashlib.sha256(body).hexdigest()
        header = get.headers.get("Docker-Content-Digest", "")
        if header.startswith("sha256:") and header != computed:
            raise DigestMismatch(
                f"{image}: the registry says {header} but the manifest bytes hash to {computed}"
            )
        if reference.startswith("sha256:") and computed != reference:
            raise DigestMismatch(f"{image}: the manifest bytes hash to {computed}")
        return Resolved(image.with_digest(computed), computed, _media_type(get), len(body), "GET")

    def _send(self, method: str, image: ImageReference, url: str) -> httpx.Response:
        scope = f"repository:{image.repository}:pull"
        response = self._once(method, image, url, scope)
        if response.status_code != 401:
            return response
        challenge = response.headers.get("WWW-Authenticate", "")
        scheme, params = parse_challenge(challenge)
        creds = self._credentials.get(image.registry)
        if scheme == "bearer" and params.get("realm"):
            token = self._fetch_token(image, params, scope, creds)
            self._tokens[(image.api_host, scope)] = token
        elif scheme == "basic" and creds is not None:
            self._check_safe(image, url)
            self._basic.add(image.api_host)
        else:
            raise AccessDenied(
                f"{image.registry}/{image.repository}: authentication required",
                hint=_cred_hint(image),
            )
        response = self._once(method, image, url, scope)
        if response.status_code == 401:
            raise AccessDenied(
                f"{image.registry}/{image.repository}: access denied"
                + (" with the given credentials" if creds else " anonymously"),
                hint=_cred_hint(image),
            )
        return response

    def _once(self, method: str, image: ImageReference, url: str, scope: str) -> httpx.Response:
        headers = {"Accept": ACCEPT}
        token = self._tokens.get((image.api_host, scope))
        auth: httpx.Auth | None = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif image.api_host in self._basic:
            creds = self._credentials[image.registry]
            auth = httpx.BasicAuth(creds.username, creds.password)
        try:
            if auth is not None:
                return self._client.request(method, url, headers=headers, auth=auth)
            return self._client.request(method, url, headers=headers)
        except httpx.TimeoutException:
            raise RegistryUnreachable(
                f"{image.api_host}: timed out", hint="check the network and the registry host"
            ) from None
        except httpx.HTTPError as exc:
            raise RegistryUnreachable(
                f"{image.api_host} is unreachable: {redact.redact(type(exc).__name__)}"
                f"{': ' + redact.redact(str(exc)) if str(exc) else ''}",
                hint="check the registry host, the network, or TLS",
            ) from None

    def _check_safe(self, image: ImageReference, url: str) -> None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme != "https" and host not in ("127.0.0.1", "localhost", "::1"):
            raise AccessDenied(
                f"{image.registry}: refusing to send credentials over plain HTTP to {host}"
            )

    def _fetch_token(
        self,
        image: ImageReference,
        params: Mapping[str, str],
        scope: str,
        creds: Credentials | None,
    ) -> str:
        realm = params["realm"]
        query = {"scope": params.get("scope") or scope}
        if params.get("service"):
            query["service"] = params["service"]
        auth: httpx.Auth | None = None
        if creds is not None:
            self._check_safe(image, realm)
            auth = httpx.BasicAuth(creds.username, creds.password)
        try:
            if auth is not None:
                response = self._client.get(realm, params=query, auth=auth)
            else:
                response = self._client.get(realm, params=query)
        except httpx.HTTPError as exc:
            raise RegistryUnreachable(
                f"token service {urlsplit(realm).netloc} is unreachable: {type(exc).__name__}"
            ) from None
        if response.status_code in (401, 403):
            raise AccessDenied(
                f"{image.registry}/{image.repository}: the token service refused "
                + ("the given credentials" if creds else "anonymous access"),
                hint=_cred_hint(image),
            )
        if response.status_code != 200:
            raise RegistryError(
                f"token service {urlsplit(realm).netloc} answered HTTP {response.status_code}"
            )
        try:
            body = response.json()
        except ValueError:
            raise RegistryError("the token service did not answer JSON") from None
        token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise RegistryError("the token service answered without a token")
        redact.register(token)
        return token

    def _raise_for_status(self, response: httpx.Response, image: ImageReference) -> None:
        status = response.status_code
        if status == 200:
            return
        detail = _registry_errors(response)
        where = f"{image.registry}/{image.repository}"
        suffix = f" ({detail})" if detail else ""
        if status == 404:
            if "NAME_UNKNOWN" in detail:
                raise UnknownManifest(
                    f"repository {where} not found{suffix}",
                    hint="check the owner/name, or set credentials if the image is private",
                )
            raise UnknownManifest(
                f"{where}: no manifest for {image.reference!r}{suffix}",
                hint="check the tag; it may not have been pushed yet",
            )
        if status == 403 or (status == 401):
            raise AccessDenied(f"{where}: access denied{suffix}", hint=_cred_hint(image))
        if status == 429:
            raise RegistryError(f"{where}: rate limited by the registry", hint="retry later")
        raise RegistryError(f"{where}: the registry answered HTTP {status}{suffix}")


def _media_type(response: httpx.Response) -> str | None:
    value = response.headers.get("Content-Type")
    return value.split(";")[0].strip() if value else None


def _cred_hint(image: ImageReference) -> str:
    if image.registry == "ghcr.io":
        return "for a private GHCR image set GHCR_USERNAME and GHCR_TOKEN (read:packages)"
    return "set SUPERSETCTL_REGISTRY_USERNAME and SUPERSETCTL_REGISTRY_PASSWORD"


def resolve(
    ref: str | ImageReference,
    *,
    environ: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
) -> Resolved:
    """Resolve ``ref``, with credentials from ``environ`` (:func:`credentials_from_env`)."""
    image = parse_reference(ref) if isinstance(ref, str) else ref
    creds = credentials_from_env(image, environ or {})
    with RegistryClient(
        credentials={image.registry: creds} if creds else None, client=client
    ) as reg:
        return reg.resolve(image)

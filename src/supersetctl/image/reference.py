"""Image references: ``[HOST[:PORT]/]NAME[:TAG][@DIGEST]``, parsed the way Docker does.

* no host, or a first component without ``.``/``:`` that is not ``localhost``: Docker Hub
  (``docker.io``, API host ``registry-1.docker.io``); a one-component name gets ``library/``;
* no tag and no digest: tag ``latest`` (resolving it is fine; ``bump`` refuses it);
* ``ghcr.io/OWNER/NAME:TAG``: GitHub Container Registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from supersetctl.errors import UsageError

DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
NAME_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_HOST_RE = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::[0-9]{1,5})?$")

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


@dataclass(frozen=True)
class ImageReference:
    """A parsed reference. ``registry`` is the name people write (``docker.io``, ``ghcr.io``)."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def api_host(self) -> str:
        """The host that serves the distribution API (Docker Hub's differs from its name)."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def is_loopback(self) -> bool:
        host = self.registry
        host = host[: host.index("]") + 1] if host.startswith("[") else host.split(":")[0]
        return host in LOOPBACK_HOSTS

    @property
    def reference(self) -> str:
        """The tag if there is one, else the digest: what goes after ``/manifests/``."""
        if self.digest and not self.tag:
            return self.digest
        return self.tag or "latest"

    def with_digest(self, digest: str) -> ImageReference:
        return ImageReference(self.registry, self.repository, self.tag, digest)

    def __str__(self) -> str:
        text = f"{self.registry}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def _looks_like_host(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost"


def parse_reference(text: str) -> ImageReference:
    """Parse ``text``; :class:`UsageError` when it is not a valid image reference."""
    raw = text.strip()
    if not raw or any(c.isspace() for c in raw):
        raise UsageError(f"not an image reference: {text!r}", hint="e.g. ghcr.io/OWNER/NAME:TAG")
    rest, digest = raw, None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not DIGEST_RE.match(digest):
            raise UsageError(
                f"malformed digest in {text!r}", hint="a digest is sha256: and 64 lower-case hex"
            )
    first, _, remainder = rest.partition("/")
    if remainder and _looks_like_host(first):
        if not _HOST_RE.match(first):
            raise UsageError(f"malformed registry host in {text!r}")
        registry, path = first.lower(), remainder
    else:
        registry, path = DOCKER_HUB, rest
    tag = None
    last_slash = path.rfind("/")
    colon = path.rfind(":")
    if colon > last_slash:
        path, tag = path[:colon], path[colon + 1 :]
        if not TAG_RE.match(tag):
            raise UsageError(
                f"malformed tag {tag!r}",
                hint="letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-'",
            )
    if registry == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    if not NAME_RE.match(path):
        raise UsageError(
            f"malformed repository name {path!r}",
            hint="lower-case components separated by '/', e.g. owner/name",
        )
    if tag is None and digest is None:
        tag = "latest"
    return ImageReference(registry=registry, repository=path, tag=tag, digest=digest)

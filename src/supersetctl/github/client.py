"""GitHub's REST API, for the comments a workflow keeps on a pull request.

A *sticky* comment is found again by a marker (an HTML comment GitHub does not render) in its
body: the first run creates it, later runs edit it in place, so a pull request carries one
current plan per environment instead of one per push. Endpoints (GitHub REST, version
2022-11-28): ``GET/POST /repos/{repo}/issues/{number}/comments`` and
``PATCH /repos/{repo}/issues/comments/{id}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from supersetctl.errors import ConfigError, GitHubError
from supersetctl.redact import redact, register

API_VERSION = "2022-11-28"
MAX_BODY = 65536  # GitHub refuses a longer comment
_REPO = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class CommentResult:
    action: str  # "created", "updated" or "unchanged"
    id: int
    url: str

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "id": self.id, "url": self.url}


class GitHubClient:
    """One repository's API; ``transport`` is the seam tests use (a fake GitHub server works
    the same through ``api_url``)."""

    def __init__(
        self,
        token: str,
        repository: str,
        *,
        api_url: str = "https://api.github.com",
        transport: httpx.BaseTransport | None = None,
        timeout: float = 20.0,
    ) -> None:
        if not _REPO.match(repository):
            raise ConfigError(f"'{repository}' is not OWNER/NAME", hint="set GITHUB_REPOSITORY")
        self.repository = repository
        self._http = httpx.Client(
            base_url=api_url.rstrip("/"),
            transport=transport,
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "supersetctl",
            },
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            resp = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise GitHubError(redact(f"GitHub API unreachable ({method} {path}): {exc}")) from None
        if resp.status_code >= 400:
            try:
                message = str(resp.json().get("message", ""))
            except ValueError:
                message = resp.text[:200]
            hint = {
                401: "the token is missing or expired",
                403: "the token lacks `pull-requests: write` (or `issues: write`)",
                404: "no such repository or pull request, or the token cannot see it",
            }.get(resp.status_code)
            raise GitHubError(
                redact(f"GitHub answered {resp.status_code} to {method} {path}: {message}"),
                hint=hint,
            )
        return resp.json() if resp.content else None

    def comments(self, number: int) -> list[dict[str, Any]]:
        """Every comment of an issue or pull request, oldest first (all pages)."""
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            batch = self._call(
                "GET",
                f"/repos/{self.repository}/issues/{number}/comments",
                params={"per_page": 100, "page": page},
            )
            if not isinstance(batch, list):
                raise GitHubError("GitHub answered a comment list that is not a list")
            out += batch
            if len(batch) < 100:
                return out
            page += 1

    def upsert_comment(self, number: int, marker: str, body: str) -> CommentResult:
        """The comment holding ``marker`` gets ``body`` (the marker is added when missing);
        without one, a new comment is made."""
        if marker not in body:
            body = f"{marker}\n{body}"
        if len(body) > MAX_BODY:
            cut = "\n\n... (cut: the whole plan is in the job summary)\n"
            body = body[: MAX_BODY - len(cut)] + cut
        for c in self.comments(number):
            if marker in str(c.get("body", "")):
                if c.get("body") == body:
                    return CommentResult("unchanged", int(c["id"]), str(c.get("html_url", "")))
                done = self._call(
                    "PATCH",
                    f"/repos/{self.repository}/issues/comments/{c['id']}",
                    json={"body": body},
                )
                return CommentResult("updated", int(done["id"]), str(done.get("html_url", "")))
        done = self._call(
            "POST", f"/repos/{self.repository}/issues/{number}/comments", json={"body": body}
        )
        return CommentResult("created", int(done["id"]), str(done.get("html_url", "")))


def github_from_env(environ: Mapping[str, str]) -> GitHubClient:
    """The client a workflow step gets: ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` and
    ``GITHUB_API_URL`` (set by GitHub Actions; a fake server in tests)."""
    token = environ.get("GITHUB_TOKEN", "")
    if not token:
        raise ConfigError(
            "GITHUB_TOKEN is not set",
            hint="in a workflow: env: GITHUB_TOKEN: ${{ github.token }} with "
            "permissions: pull-requests: write",
        )
    register(token)
    repo = environ.get("GITHUB_REPOSITORY", "")
    if not repo:
        raise ConfigError("GITHUB_REPOSITORY is not set", hint="OWNER/NAME of the repository")
    return GitHubClient(
        token, repo, api_url=environ.get("GITHUB_API_URL") or "https://api.github.com"
    )

"""An HTTP server speaking the part of GitHub's REST API (version 2022-11-28) that workflow
steps use: an issue's or pull request's comments, listed by page, created and edited.

Shapes follow GitHub's REST reference: a comment is ``{"id", "body", "html_url", "user"}``;
errors are ``{"message", "documentation_url"}``; a token other than the expected one is
answered 401, as GitHub does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

_LIST = re.compile(r"^/repos/([^/]+/[^/]+)/issues/(\d+)/comments$")
_ONE = re.compile(r"^/repos/([^/]+/[^/]+)/issues/comments/(\d+)$")


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status, content_type="application/json")


@dataclass
class FakeGitHub:
    server: HTTPServer
    token: str
    repository: str = "insightpulseai/superset"
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # pr -> comments
    requests: list[tuple[str, str]] = field(default_factory=list)
    _next_id: int = 1000

    def __post_init__(self) -> None:
        self.server.expect_request(re.compile(r".*")).respond_with_handler(self._handle)

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def bodies(self, pr: int) -> list[str]:
        return [str(c["body"]) for c in self.comments.get(pr, [])]

    def _handle(self, request: Request) -> Response:
        self.requests.append((request.method, request.path))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json({"message": "Bad credentials"}, 401)
        if m := _LIST.match(request.path):
            repo, pr = m.group(1), int(m.group(2))
            if repo != self.repository:
                return _json({"message": "Not Found"}, 404)
            items = self.comments.setdefault(pr, [])
            if request.method == "GET":
                per = int(request.args.get("per_page", 30))
                page = int(request.args.get("page", 1))
                return _json(items[(page - 1) * per : page * per])
            if request.method == "POST":
                body = json.loads(request.get_data(as_text=True))["body"]
                self._next_id += 1
                comment = {
                    "id": self._next_id,
                    "body": body,
                    "html_url": f"https://github.com/{repo}/pull/{pr}#issuecomment-{self._next_id}",
                    "user": {"login": "github-actions[bot]"},
                }
                items.append(comment)
                return _json(comment, 201)
        if (m := _ONE.match(request.path)) and request.method == "PATCH":
            for items in self.comments.values():
                for c in items:
                    if c["id"] == int(m.group(2)):
                        c["body"] = json.loads(request.get_data(as_text=True))["body"]
                        return _json(c)
            return _json({"message": "Not Found"}, 404)
        return _json({"message": "Not Found"}, 404)

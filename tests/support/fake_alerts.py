"""HTTP servers standing in for the alert targets: Slack's incoming webhooks and a generic
JSON webhook (n8n's "Webhook" trigger node).

Slack (api.slack.com, "Sending messages using incoming webhooks"): ``POST`` of a JSON body
with ``text`` (and optional ``blocks``) to ``/services/T.../B.../<secret>``; answered ``200
ok`` as plain text; ``400 invalid_payload`` for a body without text or with malformed blocks,
``403 invalid_token``, ``404 no_service`` for an unknown webhook, ``410 channel_is_archived``.

n8n (docs.n8n.io, Webhook node): ``POST /webhook/<path>`` with any JSON; with the default
"respond immediately" the answer is ``200 {"message": "Workflow was started"}``; a path no
active workflow listens on is ``404 {"code": 404, "message": "The requested webhook ... is
not registered."}``.

Both keep what they accepted, decoded, in ``received``. ``refuse(status)`` makes every later
request fail with Slack's (or n8n's) answer for that status.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

_SLACK_ERRORS = {400: "invalid_payload", 403: "invalid_token", 404: "no_service",
                 410: "channel_is_archived", 500: "rollup_error"}  # fmt: skip


def _slack_payload_ok(body: Any) -> bool:
    if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"]:
        return False
    for block in body.get("blocks", []):
        text = block.get("text") if isinstance(block, dict) else None
        if block.get("type") != "section" or not isinstance(text, dict):
            return False
        if text.get("type") not in ("mrkdwn", "plain_text") or len(text.get("text", "")) > 3000:
            return False
    return True


@dataclass
class _Sink:
    server: HTTPServer
    path: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: list[bytes] = field(default_factory=list)
    status: int = 200

    def __post_init__(self) -> None:
        self.path = self._new_path()
        self.server.expect_request(self.path, method="POST").respond_with_handler(self._handle)

    def _new_path(self) -> str:
        raise NotImplementedError

    @property
    def url(self) -> str:
        return self.server.url_for(self.path)

    def refuse(self, status: int) -> None:
        self.status = status

    def _handle(self, request: Request) -> Response:
        raise NotImplementedError


class FakeSlack(_Sink):
    def _new_path(self) -> str:
        return f"/services/T{secrets.token_hex(4).upper()}/B{secrets.token_hex(4).upper()}/" + (
            secrets.token_urlsafe(18)
        )

    def _handle(self, request: Request) -> Response:
        raw = request.get_data()
        if self.status != 200:
            self.refused.append(raw)
            return Response(_SLACK_ERRORS.get(self.status, "error"), self.status)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if request.mimetype != "application/json" or not _slack_payload_ok(body):
            self.refused.append(raw)
            return Response("invalid_payload", 400)
        self.received.append(body)
        return Response("ok", 200, content_type="text/plain")


class FakeWebhook(_Sink):
    def _new_path(self) -> str:
        return "/webhook/" + secrets.token_hex(16)

    def _handle(self, request: Request) -> Response:
        raw = request.get_data()
        if self.status != 200:
            self.refused.append(raw)
            message = f'The requested webhook "POST {self.path}" is not registered.'
            return Response(json.dumps({"code": self.status, "message": message}), self.status,
                            content_type="application/json")  # fmt: skip
        self.received.append(json.loads(raw))
        return Response(json.dumps({"message": "Workflow was started"}), 200,
                        content_type="application/json")  # fmt: skip

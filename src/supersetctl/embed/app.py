"""The broker on HTTP: a Starlette ASGI app served by uvicorn.

Why Starlette: the broker is two routes; Starlette is small (one dependency, anyio), well kept
(the base of FastAPI, released monthly), has no ORM or template engine to carry, and is async
end to end, so a mint waits on Superset through ``httpx.AsyncClient`` without holding a
thread. Validation stays with pydantic (already the project's), not a framework layer.

Routes:

- ``POST /guest-token``: ``Authorization: Bearer <caller token>`` and a JSON body
  ``{"dashboard": "<slug or embedded uuid>"}``, nothing else (unknown fields: 422). Answers
  ``{"token", "dashboard" (the embedded uuid the SDK needs), "token_id"}`` with
  ``Cache-Control: no-store``; a refusal answers ``{"error": CODE, "message": ...}``.
- ``GET /health``: ``{"status": "OK"}``.

The company is never read from the request: only from the server-side directory.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .broker import Broker
from .errors import Refused

MAX_BODY = 4096
_NO_STORE = {"Cache-Control": "no-store"}


class GuestTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dashboard: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=_NO_STORE)


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused(401, "caller_missing", "send the caller token as Authorization: Bearer")
    return token.strip()


async def _body(request: Request) -> GuestTokenRequest:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise Refused(415, "content_type", "send the body as application/json")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise Refused(413, "too_large", f"the body is larger than {MAX_BODY} bytes")
    try:
        return GuestTokenRequest.model_validate_json(raw)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) or "(body)" for e in exc.errors()})
        unknown = [
            ".".join(str(p) for p in e["loc"])
            for e in exc.errors()
            if e["type"] == "extra_forbidden"
        ]
        if unknown:
            raise Refused(
                422, "unknown_fields", f"unknown field(s): {', '.join(sorted(unknown))}"
            ) from None
        raise Refused(422, "invalid_body", f"invalid field(s): {', '.join(fields)}") from None


def create_app(broker: Broker) -> Starlette:
    async def guest_token(request: Request) -> JSONResponse:
        try:
            try:
                token = _bearer(request)
                body = await _body(request)
            except Refused as refused:  # before any decision: audited here, not by mint
                broker.audit_refusal(refused.code)
                raise
            minted = await broker.mint(token, body.dashboard)
        except Refused as refused:
            return _error(refused.status, refused.code, refused.message)
        return JSONResponse(
            {
                "token": minted.token,
                "dashboard": minted.embedded_uuid,
                "token_id": minted.token_id,
            },
            headers=_NO_STORE,
        )

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "OK"}, headers=_NO_STORE)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await broker.aclose()

    return Starlette(
        routes=[
            Route("/guest-token", guest_token, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def serve(broker: Broker, *, host: str, port: int) -> None:
    """Run the app with uvicorn until interrupted (one process; scale with instances)."""
    import uvicorn

    uvicorn.run(
        create_app(broker),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,  # the audit line is the log; an access log would repeat it
        server_header=False,
        proxy_headers=True,
    )

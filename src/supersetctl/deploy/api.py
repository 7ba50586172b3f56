"""The DigitalOcean Apps API through pydo, with every failure turned into :class:`DeployError`.

Endpoints used (DigitalOcean's public OpenAPI description, ``specification/resources/apps``):

=====================================  ==========================  =========================
call                                   endpoint                    pydo
=====================================  ==========================  =========================
:meth:`AppsAPI.list_apps`              GET  /v2/apps               ``apps.list``
:meth:`AppsAPI.get_app`                GET  /v2/apps/{id}          ``apps.get``
:meth:`AppsAPI.propose`                POST /v2/apps/propose       ``apps.validate_app_spec``
:meth:`AppsAPI.create_app`             POST /v2/apps               ``apps.create``
:meth:`AppsAPI.update`                 PUT  /v2/apps/{id}          ``apps.update``
:meth:`AppsAPI.list_deployments`       GET  /v2/apps/{id}/deployments  ``apps.list_deployments``
:meth:`AppsAPI.get_deployment`         GET  /v2/apps/{id}/deployments/{dep}  ``apps.get_deployment``
:meth:`AppsAPI.rollback`               POST /v2/apps/{id}/rollback ``apps.create_rollback``
:meth:`AppsAPI.list_clusters`          GET  /v2/databases          ``databases.list_clusters``
=====================================  ==========================  =========================

The managed database clusters (``specification/resources/databases``) are the one call outside
``apps``: ``deploy --create`` checks that the clusters the spec attaches exist and are online.

pydo hands some 404 answers back as data (``{"id": "not_found", "message": ...}``) instead of
raising; :meth:`AppsAPI._expect` turns those into errors too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from supersetctl import redact
from supersetctl.errors import DeployError

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://api.digitalocean.com"
TOKEN_ENV = "DIGITALOCEAN_TOKEN"
ENDPOINT_ENV = "SUPERSETCTL_DO_API_URL"  # another API endpoint (a test server)
_LOOPBACK = ("127.0.0.1", "localhost", "::1")

T = TypeVar("T")


class DeployAPIError(DeployError):
    """The Apps API refused a call; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.status = status


def token_from_env(environ: Mapping[str, str]) -> str:
    token = environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise DeployError(
            f"{TOKEN_ENV} is not set",
            hint="create a token with app read/write scopes and export it",
        )
    redact.register(token)
    return token


def apps_api(environ: Mapping[str, str]) -> AppsAPI:
    """The Apps API with the token (and endpoint) of an environment's variables."""
    return AppsAPI(token_from_env(environ), endpoint=environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT)


def _token_policy(token: str) -> Any:
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class _Bearer(SansIOHTTPPolicy[Any, Any]):
        def on_request(self, request: Any) -> None:
            request.http_request.headers["Authorization"] = f"Bearer {token}"

    return _Bearer()


class AppsAPI:
    """A thin, typed layer over ``pydo.Client().apps``."""

    def __init__(
        self,
        token: str,
        *,
        endpoint: str = DEFAULT_ENDPOINT,
        retries: int = 3,
        timeout: int = 60,
    ) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme != "https" and parts.hostname not in _LOOPBACK:
            raise DeployError(f"refusing to send the API token over plain HTTP to {endpoint}")
        redact.register(token)
        import pydo

        # Our own bearer policy: azure-core's refuses http://, which local test servers speak.
        self._client = pydo.Client(
            token,
            endpoint=endpoint.rstrip("/"),
            authentication_policy=_token_policy(token),
            retry_total=retries,
            timeout=timeout,
        )
        self.endpoint = endpoint

    # ------------------------------------------------------------------ plumbing

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ResourceNotFoundError,
            ServiceRequestError,
            ServiceResponseError,
        )

        try:
            return fn()
        except ClientAuthenticationError:
            raise DeployAPIError(
                f"{what}: the DigitalOcean API refused the token (HTTP 401)",
                status=401,
                hint=f"check {TOKEN_ENV} and its scopes",
            ) from None
        except ResourceNotFoundError as exc:
            raise DeployAPIError(f"{what}: not found ({_message(exc)})", status=404) from None
        except HttpResponseError as exc:
            status = exc.status_code
            raise DeployAPIError(
                f"{what}: the DigitalOcean API answered HTTP {status}: {_message(exc)}",
                status=status,
                hint="retry later" if status in (429, 500, 502, 503, 504) else None,
            ) from None
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise DeployAPIError(
                f"{what}: the DigitalOcean API is unreachable ({type(exc).__name__})",
                hint="check the network",
            ) from None

    @staticmethod
    def _expect(what: str, result: Any, key: str) -> Any:
        if isinstance(result, dict) and key in result:
            return result[key]
        if isinstance(result, dict) and "message" in result:
            status = 404 if result.get("id") == "not_found" else None
            raise DeployAPIError(f"{what}: {redact.redact(str(result['message']))}", status=status)
        raise DeployAPIError(f"{what}: unexpected answer without '{key}'")

    # ------------------------------------------------------------------ endpoints

    def list_apps(self) -> list[dict[str, Any]]:
        apps: list[dict[str, Any]] = []
        for page in range(1, 101):

            def _page(p: int = page) -> Any:
                return self._client.apps.list(page=p, per_page=200)

            result = self._call("list apps", _page)
            batch = (result.get("apps") or []) if isinstance(result, dict) else []
            apps.extend(batch)
            pages = (result.get("links") or {}).get("pages") or {}
            if not batch or "next" not in pages:
                break
        return apps

    def find_app(self, name: str) -> dict[str, Any]:
        for app in self.list_apps():
            if (app.get("spec") or {}).get("name") == name:
                return app
        raise DeployAPIError(
            f"no App Platform app named '{name}'",
            status=404,
            hint="create it with `supersetctl deploy --env ENV --create` (docs/first-deploy.md), "
            "or fix superset.app_name",
        )

    def get_app(self, app_id: str) -> dict[str, Any]:
        result = self._call("get app", lambda: self._client.apps.get(app_id))
        app: dict[str, Any] = self._expect("get app", result, "app")
        return app

    def propose(self, spec: Mapping[str, Any], app_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"spec": dict(spec)}
        if app_id:
            body["app_id"] = app_id
        result = self._call("propose spec", lambda: self._client.apps.validate_app_spec(body))
        if not isinstance(result, dict):
            raise DeployAPIError("propose spec: unexpected answer")
        if "spec" not in result and "message" in result:
            self._expect("propose spec", result, "spec")
        return result

    def update(self, app_id: str, spec: Mapping[str, Any]) -> dict[str, Any]:
        body = {"spec": dict(spec)}
        result = self._call("update app", lambda: self._client.apps.update(app_id, body))
        app: dict[str, Any] = self._expect("update app", result, "app")
        return app

    def create_app(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        body = {"spec": dict(spec)}
        result = self._call("create app", lambda: self._client.apps.create(body))
        app: dict[str, Any] = self._expect("create app", result, "app")
        return app

    def list_clusters(self) -> list[dict[str, Any]]:
        """Every managed database cluster of the account (one page: the API pages none)."""
        what = "list database clusters"
        result = self._call(what, lambda: self._client.databases.list_clusters())
        if isinstance(result, dict) and "message" not in result:
            return list(result.get("databases") or [])  # an empty account may answer null
        clusters: list[dict[str, Any]] = self._expect(what, result, "databases") or []
        return clusters

    def list_deployments(self, app_id: str) -> list[dict[str, Any]]:
        result = self._call(
            "list deployments",
            lambda: self._client.apps.list_deployments(app_id, page=1, per_page=20),
        )
        deployments: list[dict[str, Any]] = (
            self._expect("list deployments", result, "deployments") or []
        )
        return deployments

    def get_deployment(self, app_id: str, deployment_id: str) -> dict[str, Any]:
        result = self._call(
            "get deployment",
            lambda: self._client.apps.get_deployment(app_id, deployment_id),
        )
        deployment: dict[str, Any] = self._expect("get deployment", result, "deployment")
        return deployment

    def rollback(self, app_id: str, deployment_id: str, *, pin: bool = False) -> dict[str, Any]:
        body = {"deployment_id": deployment_id, "skip_pin": not pin}
        result = self._call("roll back", lambda: self._client.apps.create_rollback(app_id, body))
        deployment: dict[str, Any] = self._expect("roll back", result, "deployment")
        return deployment


def _message(exc: Any) -> str:
    """DigitalOcean's own error message from an azure-core error, redacted."""
    text = ""
    response = getattr(exc, "response", None)
    if response is not None:
        try:
            body = response.json()
            if isinstance(body, dict) and body.get("message"):
                text = str(body["message"])
        except ValueError:  # a body that is not JSON
            text = ""
    if not text:
        text = str(getattr(exc, "reason", "") or "no details")
    return redact.redact(text)

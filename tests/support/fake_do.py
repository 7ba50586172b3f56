"""An HTTP server speaking the parts of DigitalOcean's API that deploy, rollback and
``deploy --create`` use.

Request and response shapes follow DigitalOcean's public OpenAPI description
(``specification/resources/apps`` and ``.../databases``): ``{"apps": [...], "links": {},
"meta": {"total": N}}``, ``{"app": {...}}``, ``{"deployment": {...}}``, ``{"deployments":
[...]}``, ``{"databases": [...]}``, errors as ``{"id": "...", "message": "..."}``. Each
deployment walks a scripted list of phases, one per poll, the way a real one moves
PENDING_BUILD -> BUILDING -> DEPLOYING -> ACTIVE. ``on_active`` is called with a deployment's
spec as it was submitted (plaintext secrets, as App Platform hands them to the containers) when
it goes ACTIVE: a test runs the spec's POST_DEPLOY jobs there, for real; a job it reports
failed (returns False) turns the deployment to ERROR.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

OK_PHASES = ["PENDING_BUILD", "BUILDING", "PENDING_DEPLOY", "DEPLOYING", "ACTIVE"]
ERROR_PHASES = ["PENDING_BUILD", "DEPLOYING", "ERROR"]


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status, content_type="application/json")


def _error(status: int, ident: str, message: str) -> Response:
    return _json(
        {"id": ident, "message": message, "request_id": "req-" + secrets.token_hex(4)}, status
    )


@dataclass
class Call:
    method: str
    path: str
    body: Any


@dataclass
class FakeDO:
    server: HTTPServer
    token: str
    app_id: str = "4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf"
    apps: dict[str, dict[str, Any]] = field(default_factory=dict)
    deployments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    scripts: list[list[str]] = field(default_factory=list)  # phases of the next deployments
    calls: list[Call] = field(default_factory=list)
    health_body: Any = field(default_factory=lambda: {"status": "OK"})
    health_status: int = 200
    propose_error: str | None = None
    running_digest: str | None = None  # what a deployment "really" runs, if not its spec's
    fail_status: dict[str, int] = field(default_factory=dict)  # path regex -> status
    clusters: list[dict[str, Any]] = field(default_factory=list)  # GET /v2/databases
    live_url: str | None = None  # the URL new apps answer on (default: this server)
    on_active: Callable[[dict[str, Any]], bool] | None = None
    superset_users: dict[str, str] = field(default_factory=dict)  # the app's logins
    _phase_left: dict[str, list[str]] = field(default_factory=dict)
    _submitted: dict[str, dict[str, Any]] = field(default_factory=dict)  # dep id -> plaintext
    _counter: int = 0

    def __post_init__(self) -> None:
        self.server.expect_request(re.compile(r".*")).respond_with_handler(self._handle)

    # ------------------------------------------------------------------ setup helpers

    def add_app(self, spec: dict[str, Any], app_id: str | None = None) -> dict[str, Any]:
        """An app running ``spec`` (``app_id``: another app of the same account)."""
        app_id = app_id or self.app_id
        dep = self._new_deployment(app_id, spec, "initial deploy", phases=["ACTIVE"])
        dep["phase"] = "ACTIVE"
        self._phase_left[dep["id"]] = []
        app = {
            "id": app_id,
            "spec": copy.deepcopy(spec),
            "live_url": self.server.url_for("/").rstrip("/"),
            "default_ingress": self.server.url_for("/").rstrip("/"),
            "active_deployment": copy.deepcopy(dep),
            "created_at": "2026-11-01T00:00:00Z",
            "region": {"slug": "fra"},
            "tier_slug": "professional",
        }
        self.apps[app_id] = app
        return app

    def add_cluster(
        self,
        name: str,
        engine: str,
        *,
        status: str = "online",
        vpc: str | None = None,
        db_names: list[str] | None = None,
        users: list[str] | None = None,
    ) -> dict[str, Any]:
        """A managed cluster as ``GET /v2/databases`` lists it (connection details included,
        with a password, as the real API sends them to a token with view_credentials)."""
        password = secrets.token_urlsafe(12)
        cluster = {
            "id": str(uuid.uuid4()),
            "name": name,
            "engine": engine,
            "version": "16" if engine == "pg" else "8",
            "num_nodes": 1,
            "size": "db-s-1vcpu-1gb",
            "region": "fra1",
            "status": status,
            "created_at": "2026-11-01T00:00:00Z",
            "private_network_uuid": vpc or str(uuid.uuid4()),
            "db_names": db_names
            if db_names is not None
            else (["defaultdb"] if engine == "pg" else None),
            "users": [
                {"name": u, "role": "normal", "password": password} for u in users or ["doadmin"]
            ],
            "connection": {
                "host": f"{name}.db.ondigitalocean.com",
                "password": password,
                "port": 25060,
            },
        }
        self.clusters.append(cluster)
        return cluster

    def puts(self) -> list[Call]:
        return [c for c in self.calls if c.method == "PUT"]

    def posts(self, suffix: str) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path.endswith(suffix)]

    # ------------------------------------------------------------------ internals

    def _new_deployment(
        self, app_id: str, spec: dict[str, Any], cause: str, phases: list[str] | None = None
    ) -> dict[str, Any]:
        self._counter += 1
        dep_id = f"dep-{self._counter:04d}-{secrets.token_hex(4)}"
        script = phases or (self.scripts.pop(0) if self.scripts else list(OK_PHASES))
        dep = {
            "id": dep_id,
            "spec": copy.deepcopy(spec),
            "phase": "UNKNOWN",
            "cause": cause,
            "created_at": f"2026-11-27T01:{self._counter:02d}:00Z",
            "progress": {"success_steps": 0, "total_steps": len(script), "steps": []},
            "services": [{"name": c["name"]} for c in spec.get("services", [])],
        }
        self._phase_left[dep_id] = list(script)
        self.deployments.setdefault(app_id, []).insert(0, dep)
        return dep

    def _find_dep(self, app_id: str, dep_id: str) -> dict[str, Any] | None:
        return next((d for d in self.deployments.get(app_id, []) if d["id"] == dep_id), None)

    def _advance(self, app_id: str, dep: dict[str, Any]) -> None:
        left = self._phase_left.get(dep["id"]) or []
        if not left:
            return
        dep["phase"] = left.pop(0)
        dep["progress"]["success_steps"] = dep["progress"]["total_steps"] - len(left)
        if dep["phase"] == "ERROR":
            dep["progress"]["error_steps"] = 1
            dep["progress"]["steps"] = [
                {
                    "name": "deploy",
                    "status": "ERROR",
                    "reason": {"code": "HealthCheckFailed", "message": "health check failed"},
                }
            ]
        submitted = self._submitted.get(dep["id"], dep["spec"])
        if dep["phase"] == "ACTIVE" and self.on_active and not self.on_active(submitted):
            dep["phase"] = "ERROR"
            dep["progress"]["steps"] = [
                {
                    "name": "post-deploy job",
                    "status": "ERROR",
                    "reason": {"code": "JobFailed", "message": "a POST_DEPLOY job failed"},
                }
            ]
            return
        if dep["phase"] == "ACTIVE":
            app = self.apps[app_id]
            old = (app.get("active_deployment") or {}).get("id")
            for other in self.deployments[app_id]:
                if other["id"] == old:
                    other["phase"] = "SUPERSEDED"
            if self.running_digest:
                for kind in ("services", "workers", "jobs"):
                    for comp in dep["spec"].get(kind, []):
                        if "image" in comp:
                            comp["image"]["digest"] = self.running_digest
            app["active_deployment"] = copy.deepcopy(dep)
            app.pop("in_progress_deployment", None)
            app.pop("pending_deployment", None)

    def _create_app(self, body: Any) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("spec"), dict):
            return _error(400, "bad_request", "spec is required")
        spec = body["spec"]
        if any((a["spec"] or {}).get("name") == spec.get("name") for a in self.apps.values()):
            return _error(409, "conflict", "an app with this name already exists")
        app_id = str(uuid.uuid4())
        stored = _encrypt_secrets(spec)
        dep = self._new_deployment(app_id, stored, "app created")
        self._submitted[dep["id"]] = copy.deepcopy(spec)
        url = (self.live_url or self.server.url_for("/")).rstrip("/")
        app = {
            "id": app_id,
            "spec": stored,
            "live_url": url,
            "default_ingress": url,
            "pending_deployment": {"id": dep["id"]},
            "created_at": "2026-12-05T00:00:00Z",
            "region": {"slug": spec.get("region") or "fra"},
        }
        self.apps[app_id] = app
        return _json({"app": app})

    def _handle(self, request: Request) -> Response:
        path = request.path
        body = request.get_json(silent=True) if request.data else None
        self.calls.append(Call(request.method, path, body))
        if path == "/health":
            return _json(self.health_body, self.health_status)
        if path == "/api/v1/security/login":  # the app's Superset, just enough to log in
            creds = body if isinstance(body, dict) else {}
            if self.superset_users.get(str(creds.get("username"))) == creds.get("password"):
                return _json({"access_token": secrets.token_hex(16), "refresh_token": "r"})
            return _json({"message": "Not authorized"}, 401)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, "unauthorized", "Unable to authenticate you")
        for pattern, status in self.fail_status.items():
            if re.search(pattern, f"{request.method} {path}"):
                return _error(status, "server_error", "Server was unable to give you a response.")
        return self._route(request.method, path, body)

    def _route(self, method: str, path: str, body: Any) -> Response:
        if method == "GET" and path == "/v2/apps":
            apps = list(self.apps.values())
            return _json({"apps": apps, "links": {}, "meta": {"total": len(apps)}})
        if method == "GET" and path == "/v2/databases":
            return _json({"databases": self.clusters or None})
        if method == "POST" and path == "/v2/apps":
            return self._create_app(body)
        if method == "POST" and path == "/v2/apps/propose":
            if not isinstance(body, dict) or "spec" not in body:
                return _error(400, "bad_request", "spec is required")
            if self.propose_error:
                return _error(400, "invalid_argument", self.propose_error)
            return _json({"spec": body["spec"], "app_cost": 60, "app_name_available": False})
        m = re.fullmatch(r"/v2/apps/([^/]+)(/.*)?", path)
        if not m or m.group(1) not in self.apps:
            return _error(404, "not_found", "The resource you were accessing could not be found.")
        app_id, rest = m.group(1), m.group(2) or ""
        app = self.apps[app_id]
        if method == "GET" and rest == "":
            return _json({"app": app})
        if method == "PUT" and rest == "":
            if not isinstance(body, dict) or "spec" not in body:
                return _error(400, "bad_request", "spec is required")
            app["spec"] = _encrypt_secrets(body["spec"])
            dep = self._new_deployment(app_id, app["spec"], "app spec updated")
            self._submitted[dep["id"]] = copy.deepcopy(body["spec"])
            app["pending_deployment"] = {"id": dep["id"]}
            return _json({"app": app})
        if method == "GET" and rest == "/deployments":
            deps = self.deployments.get(app_id, [])
            return _json({"deployments": deps, "links": {}, "meta": {"total": len(deps)}})
        dm = re.fullmatch(r"/deployments/([^/]+)", rest)
        if method == "GET" and dm:
            dep = self._find_dep(app_id, dm.group(1))
            if dep is None:
                return _error(404, "not_found", "deployment not found")
            self._advance(app_id, dep)
            return _json({"deployment": dep})
        if method == "POST" and rest == "/rollback":
            target = self._find_dep(app_id, str((body or {}).get("deployment_id")))
            if target is None:
                return _error(404, "not_found", "deployment not found")
            dep = self._new_deployment(app_id, target["spec"], f"rollback to {target['id']}")
            dep["cloned_from"] = target["id"]
            app["spec"] = copy.deepcopy(target["spec"])
            return _json({"deployment": dep})
        return _error(404, "not_found", f"no route {method} {path}")


def _encrypt_secrets(spec: dict[str, Any]) -> dict[str, Any]:
    """What App Platform stores: every plaintext SECRET value (and registry credential) in its
    encrypted ``EV[1:...:...]`` form, as the API then answers it."""
    out = copy.deepcopy(spec)
    scopes = [out.get("envs") or []]
    for kind in ("services", "workers", "jobs", "static_sites", "functions"):
        for comp in out.get(kind) or []:
            scopes.append(comp.get("envs") or [])
            image = comp.get("image") or {}
            creds = image.get("registry_credentials")
            if creds and not str(creds).startswith("EV["):
                image["registry_credentials"] = _ev()
    for envs in scopes:
        for env in envs:
            if (
                env.get("type") == "SECRET"
                and env.get("value")
                and not env["value"].startswith("EV[")
            ):
                env["value"] = _ev()
    return out


def _ev() -> str:
    return f"EV[1:{secrets.token_hex(8)}:{secrets.token_hex(16)}]"

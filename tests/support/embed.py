"""An embedding world for the browser test and the bench: a local stack (`supersetctl up` on a
scratch copy: seeded Odoo, analytics views, starter dashboards) set up for embedding from the
copy's own files, as a user would: `up` applies the provisioning folder, roles (embed_guest,
embed_broker) and dashboard access (sales-overview embedded from ``vars.EMBED_HOST_ORIGIN``,
here the host page's origin); ``supersetctl embed service-user`` makes the broker's user.
Test-only additions are files too: a two-tab copy of sales-overview (a dashboard folder and its
access file). Then Odoo's read-only role for the broker, the broker (uvicorn in a thread) and a
tiny host standing in for Odoo: a login (a cookie), a page loading the pinned embedded SDK from
``embed/host/node_modules``, and a controller that signs a caller token for the logged-in user
and asks the broker.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
from ruamel.yaml import YAML

from supersetctl.cli import main
from supersetctl.contract.environment import load_environment
from supersetctl.embed import build_broker, create_app, sign_caller
from supersetctl.local.postgres import free_port
from supersetctl.local.stack import LocalStack
from supersetctl.paths import RepoPaths
from supersetctl.superset import Credentials, SupersetClient
from supersetctl.superset.rison import dumps as rison
from tests.support.helpers import REPO_ROOT, copy_repo, set_dev_ports
from tests.support.postgres import _scratch

SDK = REPO_ROOT / "embed" / "host" / "node_modules" / "@superset-ui" / "embedded-sdk" / "bundle"


@dataclass
class World:
    """What a test needs of the running world."""

    repo: Path
    url: str
    admin: SupersetClient
    host_url: str
    broker_url: str
    caller_secret: str
    guest_secret: str
    embedded: str
    user_c1: int
    user_c2: int
    odoo_admin_url: str
    service_password: str = field(repr=False, default="")


def dev_env(repo: Path) -> dict[str, str]:
    out = {}
    for line in (repo / ".local" / "dev.env").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip().strip("'")
    return out


def rows(admin: SupersetClient, path: str, filters: list[dict[str, Any]]) -> list[Any]:
    q = rison({"filters": filters, "page_size": 100})
    return list(admin.request("GET", path, params={"q": q}).json()["result"])


TABBED = "sales-in-tabs"
TABS = {
    "Orders": ("Confirmed orders", "Quotations and orders", "Orders by state", "Top customers"),
    "Revenue": ("Revenue", "Average order", "Revenue by month", "Revenue by product category"),
}
TABBED_NS = uuid.UUID("6f1c9e0a-5b7d-4c1e-9a43-2d8f0b1e7c55")


def write_tabbed_dashboard(repo: Path) -> None:
    """sales-overview's eight charts on two tabs (apache/superset#28314: RLS on every tab), as
    provisioning files of the scratch copy: a dashboard folder (charts copied with their own
    uuids) and its access file, embeddable from the host origin like sales-overview."""
    root = repo / "infra" / "superset" / "provisioning"
    source = root / "dashboards" / "sales-overview"
    target = root / "dashboards" / TABBED
    (target / "charts").mkdir(parents=True)
    uuids: dict[str, str] = {}
    for file in sorted((source / "charts").glob("*.yaml")):
        chart = load_yaml(file)
        new = str(uuid.uuid5(TABBED_NS, chart["uuid"]))
        uuids[chart["slice_name"]] = new
        dump_yaml(target / "charts" / file.name, {**chart, "uuid": new})
    dashboard = load_yaml(source / "dashboard.yaml")
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["TABS-main"]},
        "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": "Sales in tabs"}},
        "TABS-main": {
            "type": "TABS",
            "id": "TABS-main",
            "children": [f"TAB-{name}" for name in TABS],
            "parents": ["ROOT_ID"],
        },
    }
    for name, titles in TABS.items():
        tab, row = f"TAB-{name}", f"ROW-{name}"
        parents = ["ROOT_ID", "TABS-main", tab, row]
        position[tab] = {
            "type": "TAB",
            "id": tab,
            "children": [row],
            "parents": parents[:2],
            "meta": {"text": name},
        }
        position[row] = {
            "type": "ROW",
            "id": row,
            "children": [f"CHART-{name}-{i}" for i in range(len(titles))],
            "parents": parents[:3],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        for i, title in enumerate(titles):
            position[f"CHART-{name}-{i}"] = {
                "type": "CHART",
                "id": f"CHART-{name}-{i}",
                "children": [],
                "parents": parents,
                "meta": {
                    "chartId": len(position),  # the importer sets it from the uuid
                    "width": 3,
                    "height": 50,
                    "sliceName": title,
                    "uuid": uuids[title],
                },
            }
    metadata = {**dashboard["metadata"], "native_filter_configuration": []}
    dump_yaml(
        target / "dashboard.yaml",
        {
            **dashboard,
            "dashboard_title": "Sales in tabs",
            "slug": TABBED,
            "uuid": str(uuid.uuid5(TABBED_NS, dashboard["uuid"])),
            "position": position,
            "metadata": metadata,
        },
    )
    access = (root / "dashboard_access" / "sales-overview.yaml").read_text(encoding="utf-8")
    (root / "dashboard_access" / f"{TABBED}.yaml").write_text(
        access.replace("dashboard: sales-overview", f"dashboard: {TABBED}"), encoding="utf-8"
    )


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def dump_yaml(path: Path, data: Any) -> None:
    yaml = YAML()
    yaml.default_flow_style = False
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)


def set_host_origin(repo: Path, origin: str) -> None:
    """The host page's origin as config/dev's EMBED_HOST_ORIGIN (the embedded allowed domain
    of the access files) and as embed.yaml's one allowed origin; the tabbed copy joins the
    allowlist with sales-overview's template."""
    config = repo / "config" / "dev" / "environment.yaml"
    text = config.read_text(encoding="utf-8")
    text, n = re.subn(r"(EMBED_HOST_ORIGIN:) \S+", rf"\g<1> {origin}", text)
    assert n == 1, "config/dev/environment.yaml: vars.EMBED_HOST_ORIGIN"
    config.write_text(text, encoding="utf-8")
    embed_yaml = repo / "config" / "dev" / "embed.yaml"
    text = embed_yaml.read_text(encoding="utf-8").replace("http://127.0.0.1:8069", origin)
    embed_yaml.write_text(text + f"  - dashboard: {TABBED}\n    rls: sales\n", encoding="utf-8")


def service_user(repo: Path, username: str) -> str:
    """``supersetctl embed service-user --env dev`` for ``username`` (the embed_broker role
    applied from git), a fresh password; the password."""
    password = os.urandom(12).hex()
    given = {"EMBED_SUPERSET_USERNAME": username, "EMBED_SUPERSET_PASSWORD": password}
    old = {k: os.environ.get(k) for k in given}
    os.environ.update(given)
    try:
        assert main(["--repo", str(repo), "embed", "service-user", "--env", "dev"]) == 0
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return password


HOST_PAGE = """<!doctype html><html><head><title>Host</title>
<script src="/sdk.js"></script></head><body><h1>ERP</h1>
<style>#dash iframe {width: 100%; height: 100%; border: 0}</style>
<div id="dash" style="width:1500px;height:1300px"></div>
<script>
const dashboard = new URLSearchParams(location.search).get("dashboard") || "sales-overview";
async function token() {
  const r = await fetch("/guest-token?dashboard=" + dashboard, {method: "POST"});
  const j = await r.json();
  if (!r.ok) { document.title = "refused " + j.error; throw new Error(j.error); }
  return j;
}
token().then((first) => supersetEmbeddedSdk.embedDashboard({
  id: first.dashboard,
  supersetDomain: "SUPERSET_URL",
  mountPoint: document.getElementById("dash"),
  fetchGuestToken: async () => (await token()).token,
  dashboardUiConfig: {hideTitle: false},
}));
</script></body></html>"""


def host_server(world: dict[str, Any]) -> http.server.ThreadingHTTPServer:
    """Odoo's part: a login (cookie), a page, and a controller that calls the broker."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def _send(self, status: int, body: bytes, kind: str, extra: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _user(self) -> int | None:
            m = re.search(r"uid=(\d+)", self.headers.get("Cookie", ""))
            return int(m.group(1)) if m else None

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/login":
                query = parse_qs(parts.query)
                uid = query["user"][0]
                where = "/?dashboard=" + query.get("dashboard", ["sales-overview"])[0]
                self._send(302, b"", "text/plain", {"Set-Cookie": f"uid={uid}", "Location": where})
            elif parts.path == "/sdk.js":
                self._send(200, (SDK / "index.js").read_bytes(), "text/javascript", {})
            else:
                page = HOST_PAGE.replace("SUPERSET_URL", world["superset_url"])
                self._send(200, page.encode(), "text/html", {})

        def do_POST(self) -> None:
            dashboard = parse_qs(urlsplit(self.path).query).get("dashboard", ["sales-overview"])[0]
            uid = self._user()
            if uid is None:
                self._send(401, b"{}", "application/json", {})
                return
            caller = sign_caller(
                secret=world["caller_secret"],
                issuer="odoo-dev",
                audience="supersetctl-embed",
                user_id=uid,
                login=f"user{uid}",
            )
            r = httpx.post(
                world["broker_url"] + "/guest-token",
                json={"dashboard": dashboard},
                headers={"Authorization": f"Bearer {caller}"},
                timeout=30,
            )
            self._send(r.status_code, r.content, "application/json", {})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def broker_thread(app: Any, port: int) -> tuple[Any, threading.Thread]:
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    return server, thread


@contextlib.contextmanager
def embed_world(superset_runtime: Path) -> Iterator[World]:
    """The stack, its embedding set up, the broker and the host, until the block ends."""
    scratch = _scratch("supersetctl-embed-")
    repo = copy_repo(scratch / "repo", ("infra", "config", "image"))
    superset_port, pg_port = free_port(), free_port()
    set_dev_ports(repo, superset_port, pg_port)
    old = os.environ.get("SUPERSETCTL_RUNTIME_VENV")
    os.environ["SUPERSETCTL_RUNTIME_VENV"] = str(superset_runtime)
    servers: list[Any] = []
    try:
        url = f"http://127.0.0.1:{superset_port}"
        shared: dict[str, Any] = {"superset_url": url}
        host = host_server(shared)
        servers.append(host)
        host_url = f"http://127.0.0.1:{host.server_address[1]}"
        # Superset set up from the copy's files only: `up` applies the provisioning folder,
        # roles (embed_guest, embed_broker) and dashboard access (embedded from the host)
        set_host_origin(repo, host_url)
        write_tabbed_dashboard(repo)
        assert main(["--repo", str(repo), "up"]) == 0, "supersetctl up failed"
        dev = dev_env(repo)
        admin_pw = (repo / ".local" / "superset" / "admin.password").read_text().strip()
        guest_secret = (repo / ".local" / "superset" / "guest_token_secret").read_text().strip()
        admin = SupersetClient(url, Credentials("admin", admin_pw))
        service_pw = service_user(repo, "embed-broker")
        embedded = admin.request("GET", "api/v1/dashboard/sales-overview/embedded").json()
        embedded = str(embedded["result"]["uuid"])
        odoo_admin = dev["ODOO_ADMIN_DATABASE_URL"]
        ro_pw = os.urandom(12).hex()
        with psycopg.connect(odoo_admin, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE embed_ro LOGIN PASSWORD '{ro_pw}'")
            conn.execute("GRANT SELECT (id, company_id, active) ON res_users TO embed_ro")
            users = conn.execute(
                "SELECT company_id, min(id) FROM res_users WHERE active AND id > 2 "
                "GROUP BY company_id ORDER BY company_id"
            ).fetchall()
        by_company = dict(users)
        dsn = re.sub(r"//[^@]+@", f"//embed_ro:{ro_pw}@", odoo_admin)
        caller_secret = os.urandom(32).hex()
        environ = {
            "EMBED_CALLER_SECRET": caller_secret,
            "EMBED_SUPERSET_USERNAME": "embed-broker",
            "EMBED_SUPERSET_PASSWORD": service_pw,
            "EMBED_ODOO_DSN": dsn,
        }
        env = load_environment(RepoPaths(repo), "dev", environ=environ)
        broker_port = free_port()
        uv, _ = broker_thread(create_app(build_broker(env)), broker_port)
        servers.append(uv)
        broker_url = f"http://127.0.0.1:{broker_port}"
        shared.update(broker_url=broker_url, caller_secret=caller_secret)
        yield World(
            repo,
            url,
            admin,
            host_url,
            broker_url,
            caller_secret,
            guest_secret,
            embedded,
            by_company[1],
            by_company[2],
            odoo_admin,
            service_pw,
        )
    finally:
        for s in servers:
            if hasattr(s, "should_exit"):
                s.should_exit = True
            else:
                s.shutdown()
        if old is None:
            os.environ.pop("SUPERSETCTL_RUNTIME_VENV", None)
        else:
            os.environ["SUPERSETCTL_RUNTIME_VENV"] = old
        LocalStack(RepoPaths(repo)).down()
        shutil.rmtree(scratch, ignore_errors=True)

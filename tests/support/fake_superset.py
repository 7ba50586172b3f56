"""An in-memory Superset for unit tests of provisioning, behind ``httpx.MockTransport``.

It speaks the parts of Superset 6.1's REST API that provisioning uses, with the behaviour
measured on the real server (tests/integration hold the proofs against it):

- lists (``GET /api/v1/<kind>/?q=``) capped at 100 rows a page (FAB_API_MAX_PAGE_SIZE);
- exports of some ids (``GET /api/v1/<kind>/export/?q=!(...)``) with their dependencies, and
  of everything (``GET /api/v1/assets/export/``); a request line over 4,094 bytes is refused
  with gunicorn's HTML 400 page; a dataset's columns and metrics come back in another order
  than written, with keys a file leaves out added as null;
- ``POST /api/v1/assets/import/`` (sparse, overwrite): a dashboard whose slug another uuid
  holds re-keys that live dashboard; a second dataset for one table fails the whole import;
  a reference to a missing uuid is an HTTP 500;
- bulk deletes (``DELETE /api/v1/<kind>/?q=!(...)``), all or nothing;
- every write gives the asset a new ``changed_on``, except :meth:`FakeSuperset.sync_columns`
  (Superset's column sync, which leaves it as it was).

    fake = FakeSuperset()
    client = fake.client()
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from typing import Any

import httpx

from supersetctl.superset import Credentials, SupersetClient, parse, read_zip, write_zip

KIND_OF_FOLDER = {"databases": "database", "datasets": "dataset", "charts": "chart"}
KIND_OF_FOLDER["dashboards"] = "dashboard"
FOLDER = {v: k for k, v in KIND_OF_FOLDER.items()}
NAME = {"database": "database_name", "dataset": "table_name", "chart": "slice_name"}
NAME["dashboard"] = "dashboard_title"
PAGE_CAP = 100
LINE_LIMIT = 4094
_GUNICORN_400 = (
    "<html>\n  <head>\n    <title>Bad Request</title>\n  </head>\n  <body>\n    <h1><p>Bad "
    "Request</p></h1>\n    Request Line is too large ({n} &gt; 4094)\n  </body>\n</html>\n"
)


# ---------------------------------------------------------------- rison (what the client sends)


def rison_loads(text: str) -> Any:
    value, rest = _value(text, 0)
    if rest != len(text):
        raise ValueError(f"trailing rison: {text[rest:]!r}")
    return value


def _value(s: str, i: int) -> tuple[Any, int]:
    if s.startswith("!(", i):
        out: list[Any] = []
        i += 2
        while s[i] != ")":
            v, i = _value(s, i)
            out.append(v)
            if s[i] == ",":
                i += 1
        return out, i + 1
    if s[i] == "(":
        obj: dict[str, Any] = {}
        i += 1
        while s[i] != ")":
            j = s.index(":", i)
            key = s[i:j]
            v, i = _value(s, j + 1)
            obj[key] = v
            if s[i] == ",":
                i += 1
        return obj, i + 1
    if s[i] == "'":
        j, buf = i + 1, []
        while s[j] != "'":
            if s[j] == "!":
                j += 1
            buf.append(s[j])
            j += 1
        return "".join(buf), j + 1
    for token, value in (("!t", True), ("!f", False), ("!n", None)):
        if s.startswith(token, i):
            return value, i + 2
    j = i
    while j < len(s) and (s[j].isdigit() or s[j] in "-."):
        j += 1
    number = s[i:j]
    return (float(number) if "." in number else int(number)), j


# ---------------------------------------------------------------- the fake


class FakeSuperset:
    def __init__(self, *, page_cap: int = PAGE_CAP, line_limit: int = LINE_LIMIT) -> None:
        self.assets: dict[str, dict[str, Any]] = {}  # uuid -> {kind, id, changed_on, data, ...}
        self._ids = {k: itertools.count(1) for k in NAME}
        self._clock = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        self.page_cap = page_cap
        self.line_limit = line_limit
        self.seen: list[str] = []  # "METHOD /path" of every request, login and csrf excluded
        self.undeletable: set[str] = set()  # uuids whose deletion Superset refuses (422)

    # -- what a test does to the instance, as the UI or another tool would
    def _tick(self) -> str:
        self._clock += dt.timedelta(microseconds=1234)
        return self._clock.strftime("%Y-%m-%dT%H:%M:%S.%f+0000")

    def by_name(self, name: str) -> str:
        return next(u for u, a in self.assets.items() if a["data"].get(NAME[a["kind"]]) == name)

    def edit(self, uuid: str, **changes: Any) -> None:
        """A change through the UI or the REST API: new content, new changed_on."""
        self.assets[uuid]["data"].update(copy.deepcopy(changes))
        self.assets[uuid]["changed_on"] = self._tick()

    def sync_columns(self, uuid: str, columns: list[dict[str, Any]]) -> None:
        """PUT /api/v1/dataset/<id>/refresh: new columns, the same changed_on."""
        self.assets[uuid]["data"]["columns"] = copy.deepcopy(columns)

    def delete(self, uuid: str) -> None:
        del self.assets[uuid]

    def create(self, kind: str, data: dict[str, Any], *, managed: bool = False) -> str:
        """An asset made in the UI (or by another tool when ``managed``)."""
        uuid = str(data["uuid"])
        self.assets[uuid] = {
            "kind": kind,
            "id": next(self._ids[kind]),
            "changed_on": self._tick(),
            "data": copy.deepcopy(data),
            "managed": managed,
        }
        return uuid

    # -- the HTTP side
    def client(self) -> SupersetClient:
        http = httpx.Client(transport=httpx.MockTransport(self))
        return SupersetClient("http://superset.test", Credentials(access_token="t"), http=http)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        line = f"{request.method} {request.url.raw_path.decode()} HTTP/1.1"
        if len(line) > self.line_limit:
            return httpx.Response(
                400, text=_GUNICORN_400.format(n=len(line)), headers={"content-type": "text/html"}
            )
        path = request.url.path
        if path == "/api/v1/security/login":
            return httpx.Response(200, json={"access_token": "tok"})
        if path == "/api/v1/security/csrf_token/":
            return httpx.Response(200, json={"result": "csrf"})
        self.seen.append(f"{request.method} {path}")
        if path == "/api/v1/assets/import/":
            return self._import(request)
        if path == "/api/v1/assets/export/":
            return httpx.Response(200, content=self._zip(list(self.assets)))
        parts = path.strip("/").split("/")  # api v1 kind [id | export]
        kind = parts[2]
        if len(parts) == 4 and parts[3] == "export":
            ids = set(rison_loads(request.url.params["q"]))
            wanted = [u for u, a in self.assets.items() if a["kind"] == kind and a["id"] in ids]
            return httpx.Response(200, content=self._zip(wanted))
        if len(parts) == 4:
            found = [
                u for u, a in self.assets.items() if a["kind"] == kind and a["id"] == int(parts[3])
            ]
            if not found:
                return httpx.Response(404, json={"message": "Not found"})
            if request.method == "DELETE":
                if found[0] in self.undeletable:
                    return httpx.Response(422, json={"message": "It is in use"})
                del self.assets[found[0]]
                return httpx.Response(200, json={"message": "OK"})
            return httpx.Response(
                200, json={"result": {"is_managed_externally": self.assets[found[0]]["managed"]}}
            )
        if request.method == "DELETE":  # bulk delete: all or nothing
            ids = set(rison_loads(request.url.params["q"]))
            found = [u for u, a in self.assets.items() if a["kind"] == kind and a["id"] in ids]
            if len(found) != len(ids):
                return httpx.Response(404, json={"message": "Not found"})
            if self.undeletable & set(found):
                return httpx.Response(422, json={"message": "It is in use"})
            for u in found:
                del self.assets[u]
            return httpx.Response(200, json={"message": f"Deleted {len(found)}"})
        return self._list(kind, rison_loads(request.url.params["q"]))

    def _row(self, uuid: str, a: dict[str, Any]) -> dict[str, Any]:
        data, kind = a["data"], a["kind"]
        row: dict[str, Any] = {"id": a["id"], "uuid": uuid, NAME[kind]: data.get(NAME[kind])}
        row["changed_on_utc" if kind != "database" else "changed_on"] = a["changed_on"]
        if kind in ("chart", "dashboard"):
            row["is_managed_externally"] = a["managed"]
        if kind == "dashboard":
            row["slug"] = data.get("slug")
        if kind == "dataset":
            row.update(schema=data.get("schema"), catalog=data.get("catalog"))
            row["database"] = {"uuid": data.get("database_uuid")}
        return row

    def _list(self, kind: str, q: dict[str, Any]) -> httpx.Response:
        rows = [self._row(u, a) for u, a in self.assets.items() if a["kind"] == kind]
        key = "changed_on" if kind == "database" else "changed_on_utc"
        rows.sort(key=lambda r: r[key], reverse=q.get("order_direction") == "desc")
        size = min(int(q.get("page_size", 25)), self.page_cap)
        page = int(q.get("page", 0))
        cols = q.get("columns")
        chosen = rows[page * size : (page + 1) * size]
        if cols:
            top = {c.split(".")[0] for c in cols}
            chosen = [{k: v for k, v in r.items() if k in top} for r in chosen]
        return httpx.Response(200, json={"count": len(rows), "result": chosen})

    def _with_deps(self, uuids: list[str]) -> list[str]:
        out: dict[str, None] = {}
        todo = list(uuids)
        while todo:
            u = todo.pop()
            if u in out or u not in self.assets:
                continue
            out[u] = None
            data = self.assets[u]["data"]
            for key in ("database_uuid", "dataset_uuid"):
                if data.get(key):
                    todo.append(data[key])
            for node in (data.get("position") or {}).values():
                if isinstance(node, dict) and node.get("type") == "CHART":
                    todo.append(node["meta"].get("uuid"))
        return list(out)

    def exported(self, uuid: str) -> dict[str, Any]:
        """An asset as Superset exports it."""
        a = self.assets[uuid]
        data = copy.deepcopy(a["data"])
        data["uuid"] = uuid
        data["version"] = "1.0.0"
        if a["kind"] == "dataset":
            for key in ("columns", "metrics"):
                if isinstance(data.get(key), list):
                    data[key] = list(reversed(data[key]))  # Superset's own order
            for key in ("catalog", "folders", "currency_code_column"):
                data.setdefault(key, None)
        if a["kind"] == "dashboard":  # the ids stored at import, stale if a chart was remade
            for node in (data.get("position") or {}).values():
                if isinstance(node, dict) and node.get("type") == "CHART":
                    node["meta"]["chartId"] = a.get("chart_ids", {}).get(node["meta"].get("uuid"))
        return data

    def _zip(self, uuids: list[str]) -> bytes:
        files = {
            f"{FOLDER[self.assets[u]['kind']]}/{u}.yaml": self.exported(u)
            for u in self._with_deps(uuids)
        }
        return write_zip(files, root="assets_export")

    def _import(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        bundle = body[body.index(b"PK\x03\x04") : body.rindex(b"PK\x05\x06") + 22]
        incoming = {}
        for name, data in parse(read_zip(bundle)).items():
            incoming[str(data["uuid"])] = (KIND_OF_FOLDER[name.split("/")[0]], data)
        failed = self._check(incoming)
        if failed:
            return httpx.Response(
                500, json={"message": "Import failed for an unknown reason", "why": failed}
            )
        order = ("database", "dataset", "chart", "dashboard")
        for uuid, (kind, data) in sorted(incoming.items(), key=lambda kv: order.index(kv[1][0])):
            data = copy.deepcopy(data)
            managed = bool(data.pop("is_managed_externally", False))
            data.pop("external_url", None)
            data.pop("version", None)
            held = self._slug_holder(data.get("slug"), uuid) if kind == "dashboard" else None
            if held is not None:  # Superset re-keys the live dashboard holding the slug
                self.assets[uuid] = self.assets.pop(held)
            entry = self.assets.setdefault(
                uuid, {"kind": kind, "id": next(self._ids[kind]), "data": {}, "managed": False}
            )
            entry.update(data=data, managed=managed, changed_on=self._tick())
            if kind == "dashboard":  # Superset stores the charts' ids of the moment
                entry["chart_ids"] = {
                    node["meta"].get("uuid"): self.assets[node["meta"]["uuid"]]["id"]
                    for node in (data.get("position") or {}).values()
                    if isinstance(node, dict)
                    and node.get("type") == "CHART"
                    and node["meta"].get("uuid") in self.assets
                }
        return httpx.Response(200, json={"message": "OK"})

    def _slug_holder(self, slug: Any, uuid: str) -> str | None:
        for u, a in self.assets.items():
            if a["kind"] == "dashboard" and u != uuid and slug and a["data"].get("slug") == slug:
                return u
        return None

    def _check(self, incoming: dict[str, tuple[str, dict[str, Any]]]) -> str | None:
        known = set(self.assets) | set(incoming)
        for uuid, (kind, data) in incoming.items():
            for key in ("database_uuid", "dataset_uuid"):
                if data.get(key) and data[key] not in known:
                    return f"{uuid}: {key} {data[key]} missing"
            if kind == "dataset":
                table = (data.get("database_uuid"), data.get("schema"), data.get("table_name"))
                for u, a in self.assets.items():
                    d = a["data"]
                    if (
                        a["kind"] == "dataset"
                        and u != uuid
                        and (d.get("database_uuid"), d.get("schema"), d.get("table_name")) == table
                    ):
                        return f"dataset {table} exists as {u}"
        return None

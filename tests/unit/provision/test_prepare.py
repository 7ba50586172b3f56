"""plan/apply end to end against a small in-memory fake of Superset's API (MockTransport):
which requests a run makes, with and without the cache and the instance fingerprint."""

from __future__ import annotations

import json
import secrets
import uuid as uuidlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from supersetctl.paths import RepoPaths
from supersetctl.provision import apply_env, plan_env
from supersetctl.superset import Credentials, SupersetClient, parse, read_zip, write_zip
from supersetctl.superset.bundle import dump_native, load_native
from tests.support.provision import URI, SourceDB, write_env_config

KIND_OF_PREFIX = {"databases/": "database", "datasets/": "dataset", "charts/": "chart"}
KIND_OF_PREFIX["dashboards/"] = "dashboard"
NAME = {"database": "database_name", "dataset": "table_name", "chart": "slice_name"}
NAME["dashboard"] = "dashboard_title"


class FakeSuperset:
    def __init__(self) -> None:
        self.assets: dict[str, dict[str, Any]] = {}  # uuid -> {kind, id, changed_on, data}
        self.clock = 0
        self.seen: list[str] = []

    def touch(self, uuid: str, **changes: Any) -> None:
        self.clock += 1
        self.assets[uuid]["data"].update(changes)
        self.assets[uuid]["changed_on"] = f"2026-01-01T00:00:{self.clock:02d}"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.seen.append(f"{request.method} {path} {request.url.params.get('q', '')}")
        if path == "/api/v1/security/login":
            return httpx.Response(200, json={"access_token": "tok"})
        if path == "/api/v1/security/csrf_token/":
            return httpx.Response(200, json={"result": "csrf"})
        if path == "/api/v1/assets/import/":
            body = request.read()
            bundle = body[body.index(b"PK\x03\x04") : body.rindex(b"PK\x05\x06") + 22]
            for name, data in parse(read_zip(bundle)).items():
                kind = next(k for p, k in KIND_OF_PREFIX.items() if name.startswith(p))
                entry = self.assets.setdefault(
                    data["uuid"], {"kind": kind, "id": len(self.assets) + 1, "data": {}}
                )
                entry["data"] = {
                    k: v for k, v in data.items() if k not in ("is_managed_externally",)
                }
                entry["data"].pop("external_url", None)
                self.touch(data["uuid"])
            return httpx.Response(200, json={"message": "OK"})
        parts = path.strip("/").split("/")  # api v1 kind [export]
        kind = parts[2]
        if kind == "assets":  # the whole-instance export
            files = {f"{a['kind']}s/{u}.yaml": a["data"] for u, a in self.assets.items()}
            return httpx.Response(200, content=write_zip(files))
        mine = [(u, a) for u, a in self.assets.items() if a["kind"] == kind]
        if len(parts) == 4 and parts[3] == "export":
            ids = {int(x) for x in request.url.params["q"].strip("!()").split(",") if x}
            files = {f"{kind}s/{u}.yaml": a["data"] for u, a in mine if a["id"] in ids}
            return httpx.Response(200, content=write_zip(files))
        q = request.url.params["q"]
        rows = [
            {
                "id": a["id"],
                "uuid": u,
                "changed_on_utc": a["changed_on"],
                "changed_on": a["changed_on"],
                NAME[kind]: a["data"].get(NAME[kind]),
                "is_managed_externally": True,
            }
            for u, a in mine
        ]
        if "page_size:1)" in q or "page_size:1," in q:
            rows.sort(key=lambda r: r["changed_on"], reverse=True)
            return httpx.Response(200, json={"count": len(rows), "result": rows[:1]})
        return httpx.Response(200, json={"count": len(rows), "result": rows})


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[RepoPaths, FakeSuperset]:
    from tests.support.layouts import generate

    root = tmp_path / "repo"
    src = SourceDB("127.0.0.1", 5432, "odoo", "ro", "x")
    write_env_config(root, "http://superset.test", src)
    generate(
        RepoPaths(root).provisioning, datasets=2, charts=4, dashboards=2, uri=URI,
        ns=str(uuidlib.uuid4()), db_name="src",
    )  # fmt: skip
    monkeypatch.setenv("ODOO_RO_PASSWORD", "pw-" + secrets.token_hex(6))
    return RepoPaths(root), FakeSuperset()


def _client(fake: FakeSuperset) -> SupersetClient:
    http = httpx.Client(transport=httpx.MockTransport(fake))
    return SupersetClient("http://superset.test", Credentials(access_token="t"), http=http)


def _requests(fake: FakeSuperset) -> list[str]:
    out = [s for s in fake.seen if "security" not in s]
    fake.seen.clear()
    return out


def test_runs_read_less_and_less_and_still_see_every_change(
    setup: tuple[RepoPaths, FakeSuperset],
) -> None:
    paths, fake = setup
    first = apply_env(paths, "dev", _client(fake))
    assert len(first.imported) == 9
    _requests(fake)

    # the run after an apply compares what was sent: full lists and an export
    assert not apply_env(paths, "dev", _client(fake)).imported
    seen = _requests(fake)
    assert any("/export/" in s for s in seen)
    assert not any(s.startswith("POST") for s in seen)

    # nothing changed anywhere: four one-row reads, nothing else
    assert not apply_env(paths, "dev", _client(fake)).imported
    seen = _requests(fake)
    assert len(seen) == 4 and all("page_size:1" in s for s in seen)

    # a file changed: no listing, one export of that chart, one import
    chart = paths.provisioning / "dashboards" / "dash-1" / "charts" / "chart-2.yaml"
    data = load_native(chart.read_text(), "c")
    data["slice_name"] = "Renamed"
    chart.write_text(dump_native(data))
    plan = plan_env(paths, "dev", _client(fake))
    assert [(c.action, c.name) for c in plan.pending] == [("update", "Renamed")]
    result = apply_env(paths, "dev", _client(fake))
    assert len(result.imported) == 1
    seen = _requests(fake)
    assert sum("page_size:1" not in s and "/export/" not in s for s in seen) == 1  # the import

    # an edit made in Superset is seen, even right after a fast run
    assert not apply_env(paths, "dev", _client(fake)).imported
    assert not apply_env(paths, "dev", _client(fake)).imported
    fake.touch(data["uuid"], slice_name="Edited live")
    plan = plan_env(paths, "dev", _client(fake))
    assert [(c.action, c.diffs[0].live) for c in plan.pending] == [("update", "Edited live")]
    fixed = apply_env(paths, "dev", _client(fake))
    assert len(fixed.imported) == 1
    assert not plan_env(paths, "dev", _client(fake), refresh=True).changed
    assert json.dumps(fake.assets[data["uuid"]]["data"]["slice_name"]) == '"Renamed"'


def test_strict_environment_refuses_to_send_before_db_verify_passes(
    setup: tuple[RepoPaths, FakeSuperset],
) -> None:
    from supersetctl.errors import SupersetctlError

    paths, fake = setup
    cfg = paths.env_config("dev")
    cfg.write_text(cfg.read_text().replace("strict_read_only: false", "strict_read_only: true"))
    # no admin URL in the environment: the access model cannot be proven, so nothing is sent
    with pytest.raises(SupersetctlError) as info:
        apply_env(paths, "dev", _client(fake))
    assert "ODOO_ADMIN_DATABASE_URL" in str(info.value)
    assert not [r for r in fake.seen if "import" in r]

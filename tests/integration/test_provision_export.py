"""export and import-bundle against the real Superset 6.1.0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supersetctl.contract.environment import load_environment
from supersetctl.paths import RepoPaths
from supersetctl.provision import apply_env, export_env, import_bundle, plan_env
from supersetctl.provision.live import read_live
from supersetctl.provision.normalize import comparable, diff
from supersetctl.provision.ownership import without_marker
from supersetctl.superset import SupersetClient, parse, read_zip
from supersetctl.superset.bundle import load_native
from tests.support.provision import ProvRepo, SourceDB, write_env_config
from tests.support.superset import SupersetInfo

pytestmark = pytest.mark.integration


def _snapshot(root: Path) -> dict[str, bytes]:
    prov = root / "infra" / "superset" / "provisioning"
    return {p.relative_to(prov).as_posix(): p.read_bytes() for p in sorted(prov.rglob("*.yaml"))}


def _empty_repo(
    root: Path, superset: SupersetInfo, src: SourceDB, owner: str = "tests/provision"
) -> RepoPaths:
    root.mkdir()
    write_env_config(root, superset.url, src, owner=owner)
    return RepoPaths(root)


def test_export_apply_export_is_byte_identical(
    prov_repo: ProvRepo,
    ss_client: SupersetClient,
    superset: SupersetInfo,
    prov_source: SourceDB,
    tmp_path: Path,
) -> None:
    apply_env(prov_repo.env(), ss_client)
    exported = _empty_repo(tmp_path / "exported", superset, prov_source, prov_repo.owner)
    slugs = [f"{prov_repo.prefix}dash-1", f"{prov_repo.prefix}dash-2"]
    first = export_env(load_environment(exported, "dev"), ss_client, dashboards=slugs)
    assert len(first.written) == 12
    before = _snapshot(exported.root)

    db_text = before[f"databases/{prov_repo.db_name}.yaml"].decode()
    assert "${ODOO_RO_PASSWORD}" in db_text
    assert "${ODOO_DB_HOST}" in db_text
    assert prov_source.password not in "".join(t.decode() for t in before.values())
    for text in before.values():
        data = load_native(text.decode(), "x")
        assert "id" not in data
        assert "query_context" not in data
        assert "changed_on" not in json.dumps(data)

    # the assets now belong to the files of another layout: apply says so, and changes nothing else
    result = apply_env(load_environment(exported, "dev"), ss_client)
    moved = {d.path for c in result.plan.pending for d in c.diffs}
    assert moved == {"(file)"}, [c.as_dict() for c in result.plan.pending]
    assert not plan_env(load_environment(exported, "dev"), ss_client, refresh=True).changed
    second = export_env(load_environment(exported, "dev"), ss_client, dashboards=slugs)
    assert second.written == []
    assert _snapshot(exported.root) == before


def test_ui_bundle_goes_through_import_bundle_and_apply_unchanged(
    ss_client: SupersetClient,
    superset: SupersetInfo,
    prov_source: SourceDB,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tag = tmp_path.name[-12:].replace("_", "-").lower()
    src = prov_source
    db = ss_client.create(
        "database",
        {
            "database_name": f"hand-{tag}",
            "sqlalchemy_uri": (
                f"postgresql://{src.user}:{src.password}@{src.host}:{src.port}/{src.database}"
            ),
        },
    )
    ds = ss_client.create("dataset", {"database": db["id"], "schema": "public", "table_name": "b2"})
    chart = ss_client.create(
        "chart",
        {
            "slice_name": "Rows by name",
            "viz_type": "table",
            "datasource_id": ds["id"],
            "datasource_type": "table",
            "params": json.dumps(
                {"viz_type": "table", "metrics": ["count"], "groupby": ["name"], "row_limit": 10}
            ),
        },
    )
    dash = ss_client.create("dashboard", {"dashboard_title": f"Hand {tag}", "slug": f"hand-{tag}"})
    position = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": ["ROW-a"], "parents": ["ROOT_ID"]},
        "ROW-a": {
            "type": "ROW",
            "id": "ROW-a",
            "children": ["CHART-a"],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        },
        "CHART-a": {
            "type": "CHART",
            "id": "CHART-a",
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID", "ROW-a"],
            "meta": {"chartId": chart["id"], "width": 6, "height": 50},
        },
    }
    ss_client.update("dashboard", dash["id"], {"position_json": json.dumps(position)})
    ss_client.update("chart", chart["id"], {"dashboards": [dash["id"]]})

    # what the UI's "Export" button downloads
    (bundle,) = ss_client.export("dashboard", [dash["id"]])
    original = parse(read_zip(bundle))
    zip_path = tmp_path / "dashboard_export.zip"
    zip_path.write_bytes(bundle)

    repo = _empty_repo(tmp_path / "repo", superset, src)
    monkeypatch.setenv("ODOO_RO_PASSWORD", src.password)
    written = import_bundle(load_environment(repo, "dev"), zip_path)
    assert len(written.written) == 4
    db_file = next(p for p in written.written if "/databases/" in p)
    assert src.password not in (repo.root / db_file).read_text()

    # a fresh instance: remove what was made by hand, then apply the files
    for kind, pk in (("dashboard", dash["id"]), ("chart", chart["id"])):
        ss_client.delete(kind, pk)
    ss_client.delete("dataset", ds["id"])
    ss_client.delete("database", db["id"])
    result = apply_env(load_environment(repo, "dev"), ss_client)
    assert result.plan.counts()["create"] == 4
    again = plan_env(load_environment(repo, "dev"), ss_client, refresh=True)
    assert not again.changed, json.dumps([c.as_dict() for c in again.pending], default=str)

    live = read_live(ss_client)
    ids = live.chart_uuids()
    for data in original.values():
        uuid = str(data["uuid"])
        now = live.assets[uuid].data
        assert now is not None
        kind = live.assets[uuid].kind
        # every field the UI export set survived import-bundle and apply unchanged (the
        # owner marker apply adds aside)
        theirs = comparable(kind, without_marker(kind, now), ids)
        assert diff(comparable(kind, data, ids), theirs) == []

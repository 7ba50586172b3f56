"""import-bundle: a UI export into the layout, refused when it collides unless --rename or
--replace says what to do; nothing is written when it refuses."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from supersetctl.errors import ConfigError
from supersetctl.provision import import_bundle, load_desired
from supersetctl.superset import write_zip
from tests.support.provision_unit import SmallRepo, small_repo

NEW_DASH = "0f5c2a4e-1b3d-4e5f-8a9b-1c2d3e4f5a6b"
NEW_DS = "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"


@pytest.fixture
def repo(tmp_path: Path) -> SmallRepo:
    return small_repo(tmp_path / "repo")


def _snapshot(repo: SmallRepo) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(repo.prov.rglob("*.yaml"))}


def _ui_export(repo: SmallRepo, tmp_path: Path, **dash: Any) -> Path:
    """Dashboard 1 as exported from another instance: the same slug under a new uuid (its
    charts, dataset and database are this layout's own)."""
    files = {}
    for rel in ("databases/odoo.yaml", "datasources/odoo/public.b1.yaml"):
        data = repo.read(rel)
        files[f"{rel.split('/')[0].replace('datasources', 'datasets')}/{data['uuid']}.yaml"] = data
    board = copy.deepcopy(repo.read("dashboards/dash-1/dashboard.yaml"))
    board.update(uuid=NEW_DASH, dashboard_title="Dashboard 1 (from staging)", **dash)
    files[f"dashboards/{NEW_DASH}.yaml"] = board
    for node in board["position"].values():
        if isinstance(node, dict) and node.get("type") == "CHART":
            uuid = node["meta"]["uuid"]
            rel = next(p for p in repo.prov.rglob("*.yaml") if uuid in p.read_text())
            files[f"charts/{uuid}.yaml"] = repo.read(str(rel.relative_to(repo.prov)))
    path = tmp_path / "dashboard_export.zip"
    path.write_bytes(write_zip(files, root="dashboard_export_20261205T000000"))
    return path


def test_a_bundle_whose_slug_a_file_holds_is_refused_and_nothing_is_written(
    repo: SmallRepo, tmp_path: Path
) -> None:
    bundle = _ui_export(repo, tmp_path)
    before = _snapshot(repo)
    with pytest.raises(ConfigError) as info:
        import_bundle(repo.env(), bundle)
    message = str(info.value)
    assert "dashboard slug 'dash-1'" in message
    assert "dashboards/dash-1/dashboard.yaml" in message
    assert "--rename" in message and "--replace" in message
    assert _snapshot(repo) == before


def test_rename_adds_it_as_a_new_dashboard_with_a_free_slug(
    repo: SmallRepo, tmp_path: Path
) -> None:
    result = import_bundle(repo.env(), _ui_export(repo, tmp_path), rename=True)
    (new,) = [p for p in result.written if "dash-1-2" in p]
    data = repo.read(new.split("provisioning/", 1)[1])
    assert data["uuid"] == NEW_DASH and data["slug"] == "dash-1-2"
    assert repo.read("dashboards/dash-1/dashboard.yaml")["slug"] == "dash-1"
    assert len(load_desired(repo.env())) == 10  # no collision left


def test_replace_puts_its_content_in_the_files_place_under_the_files_uuid(
    repo: SmallRepo, tmp_path: Path
) -> None:
    old = repo.read("dashboards/dash-1/dashboard.yaml")
    result = import_bundle(repo.env(), _ui_export(repo, tmp_path), replace=True)
    assert result.written == [
        f"{repo.prov.relative_to(repo.paths.root)}/dashboards/dash-1/dashboard.yaml"
    ]
    now = repo.read("dashboards/dash-1/dashboard.yaml")
    assert now["uuid"] == old["uuid"]
    assert now["dashboard_title"] == "Dashboard 1 (from staging)"
    assert len(load_desired(repo.env())) == 9


def test_a_dataset_of_the_same_table_can_only_be_replaced(repo: SmallRepo, tmp_path: Path) -> None:
    ds = repo.read("datasources/odoo/public.b1.yaml")
    ds.update(uuid=NEW_DS, description="made by hand elsewhere")
    path = tmp_path / "dataset_export.zip"
    path.write_bytes(
        write_zip(
            {f"datasets/{NEW_DS}.yaml": ds, "databases/x.yaml": repo.read("databases/odoo.yaml")}
        )
    )
    with pytest.raises(ConfigError, match="pass --replace"):
        import_bundle(repo.env(), path, rename=True)
    import_bundle(repo.env(), path, replace=True)
    now = repo.read("datasources/odoo/public.b1.yaml")
    assert now["uuid"] != NEW_DS and now["description"] == "made by hand elsewhere"


def test_an_asset_without_a_uuid_is_an_error_naming_it(repo: SmallRepo, tmp_path: Path) -> None:
    chart = repo.read("dashboards/dash-1/charts/chart-1.yaml")
    del chart["uuid"]
    path = tmp_path / "old_export.zip"
    path.write_bytes(write_zip({"charts/Chart_1.yaml": chart}))
    with pytest.raises(ConfigError, match=r"charts/Chart_1\.yaml") as info:
        import_bundle(repo.env(), path)
    assert "no uuid" in str(info.value)

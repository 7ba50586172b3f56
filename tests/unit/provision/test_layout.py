"""The layout: files in dependency order, the parse cache, uuids read in lower case."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from supersetctl.errors import ConfigError
from supersetctl.provision.layout import AssetFile, check_layout, load_layout, slugify
from supersetctl.provision.resolve import resolve
from tests.support.provision_unit import (
    CH_UUID,
    DA_UUID,
    DB_UUID,
    DS_UUID,
    tiny_layout,
    vars_,
    write_asset,
)


def test_layout_loads_in_dependency_order(tmp_path: Path) -> None:
    tiny_layout(tmp_path)
    (tmp_path / "dashboards" / "README.md").write_text("# not an asset\n")
    assets = load_layout(tmp_path)
    assert [a.kind for a in assets] == ["database", "dataset", "chart", "dashboard"]
    assert assets[1].rel == "datasources/odoo/analytics.sale_orders.yaml"


def test_layout_refuses_a_repeated_uuid_and_a_missing_one(tmp_path: Path) -> None:
    tiny_layout(tmp_path)
    write_asset(
        tmp_path,
        "dashboards/other/charts/copy.yaml",
        {"slice_name": "Copy", "viz_type": "table", "uuid": CH_UUID, "dataset_uuid": DS_UUID},
    )
    with pytest.raises(ConfigError, match="PV-UUID") as repeated:
        check_layout(load_layout(tmp_path))
    assert "dashboards/other/charts/copy.yaml" in str(repeated.value)
    assert "dashboards/sales/charts/revenue.yaml" in str(repeated.value)
    (tmp_path / "dashboards/other/charts/copy.yaml").write_text("slice_name: x\n")
    with pytest.raises(ConfigError, match="uuid") as info:
        load_layout(tmp_path)
    assert info.value.path == "dashboards/other/charts/copy.yaml"


def test_layout_parse_cache_is_used_and_refreshed(tmp_path: Path) -> None:
    tiny_layout(tmp_path / "p")
    cache = tmp_path / "cache.json"
    first = load_layout(tmp_path / "p", cache=cache)
    assert cache.exists()
    assert [a.raw for a in load_layout(tmp_path / "p", cache=cache)] == [a.raw for a in first]
    write_asset(
        tmp_path / "p",
        "dashboards/sales/charts/revenue.yaml",
        {"slice_name": "Revenue 2", "viz_type": "table", "uuid": CH_UUID, "dataset_uuid": DS_UUID},
    )
    again = load_layout(tmp_path / "p", cache=cache)
    assert again[2].raw["slice_name"] == "Revenue 2"


def test_upper_case_uuid_references_are_read_in_lower_case(tmp_path: Path) -> None:
    write_asset(
        tmp_path,
        "datasources/odoo/t.yaml",
        {"table_name": "t", "uuid": DS_UUID.upper(), "database_uuid": DB_UUID.upper()},
    )
    write_asset(
        tmp_path,
        "dashboards/d/charts/c.yaml",
        {"slice_name": "c", "viz_type": "table", "uuid": CH_UUID, "dataset_uuid": DS_UUID.upper()},
    )
    node = {"type": "CHART", "meta": {"chartId": 1, "uuid": CH_UUID.upper()}}
    write_asset(
        tmp_path,
        "dashboards/d/dashboard.yaml",
        {"dashboard_title": "d", "uuid": DA_UUID, "position": {"CHART-1": node}},
    )
    by_kind = {a.kind: a.raw for a in load_layout(tmp_path)}
    assert by_kind["dataset"]["uuid"] == DS_UUID
    assert by_kind["dataset"]["database_uuid"] == DB_UUID
    assert by_kind["chart"]["dataset_uuid"] == DS_UUID
    assert by_kind["dashboard"]["position"]["CHART-1"]["meta"]["uuid"] == CH_UUID


def test_slugify() -> None:
    assert slugify("Invoicing & receivables (AR)") == "invoicing-receivables-ar"
    assert slugify("Ventes été") == "ventes-ete"
    assert slugify("!!!", "chart") == "chart"


def test_asset_bundle_path_is_by_uuid() -> None:
    a = AssetFile("chart", "x/y.yaml", {"uuid": CH_UUID, "slice_name": "c"})
    assert a.bundle_path == f"charts/{CH_UUID}.yaml"


def test_a_file_without_what_the_importer_requires_is_refused_before_any_request(
    tmp_path: Path,
) -> None:
    # Superset answers such a bundle with "Import failed for an unknown reason" (HTTP 500)
    write_asset(tmp_path, "dashboards/x/charts/c.yaml", {"slice_name": "c", "uuid": CH_UUID})
    with pytest.raises(ConfigError, match="a chart needs viz_type, dataset_uuid"):
        load_layout(tmp_path)


def test_the_bundle_version_is_added_when_a_file_leaves_it_out(tmp_path: Path) -> None:
    tiny_layout(tmp_path)
    assert all("version" not in a.raw for a in load_layout(tmp_path))
    desired = resolve(load_layout(tmp_path), vars_(ODOO_RO_PASSWORD="pw-" + secrets.token_hex(4)))
    assert {d.data["version"] for d in desired} == {"1.0.0"}


def test_layout_leaves_out_what_an_environment_excludes(tmp_path: Path) -> None:
    tiny_layout(tmp_path)
    write_asset(
        tmp_path,
        "databases/supabase.yaml",
        {
            "database_name": "Other",
            "sqlalchemy_uri": "postgresql://${NOT_DECLARED}@h/db",
            "uuid": "3c1f5e8a-9b2d-5f47-a6c0-5d7e2b9f4a13",
        },
    )
    everything = {a.rel for a in load_layout(tmp_path)}
    assert "databases/supabase.yaml" in everything
    kept = load_layout(tmp_path, exclude=["databases/supabase.yaml", "nothing/*"])
    assert {a.rel for a in kept} == everything - {"databases/supabase.yaml"}
    # `*` crosses folders: a whole dashboard folder goes with one pattern
    assert all(a.kind != "chart" for a in load_layout(tmp_path, exclude=["dashboards/*"]))

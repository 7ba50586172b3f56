"""Provisioning without a server: layout, ${VAR}, normal forms, plan, export templates."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from supersetctl.contract.models import EnvConfig
from supersetctl.errors import ConfigError
from supersetctl.provision.cache import VerifiedCache
from supersetctl.provision.engine import Desired, database_uri, describe, make_plan, resolve
from supersetctl.provision.export import (
    Item,
    database_uri_template,
    keep_placeholders,
    plan_files,
)
from supersetctl.provision.layout import AssetFile, load_layout, slugify
from supersetctl.provision.live import LiveAsset, LiveState
from supersetctl.provision.normalize import comparable, diff, for_file
from supersetctl.provision.variables import Variables, interpolate
from supersetctl.redact import redact
from supersetctl.superset.bundle import dump_native

DB_UUID = "11111111-1111-4111-8111-111111111111"
DS_UUID = "22222222-2222-4222-8222-222222222222"
CH_UUID = "33333333-3333-4333-8333-333333333333"
DA_UUID = "44444444-4444-4444-8444-444444444444"
URI = "postgresql://${ODOO_DB_USER}:${ODOO_RO_PASSWORD}@${ODOO_DB_HOST}:${ODOO_DB_PORT}/${ODOO_DB_NAME}"


def _vars(**secrets_: str) -> Variables:
    values = {
        "ODOO_DB_USER": "superset_ro",
        "ODOO_DB_HOST": "db.internal",
        "ODOO_DB_PORT": "5432",
        "ODOO_DB_NAME": "odoo",
    }
    return Variables(values, frozenset({"ODOO_RO_PASSWORD"}), dict(secrets_))


def _write(root: Path, rel: str, data: dict[str, Any]) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_native(data))


def _layout(root: Path) -> None:
    _write(
        root,
        "databases/odoo.yaml",
        {"database_name": "odoo", "sqlalchemy_uri": URI, "uuid": DB_UUID},
    )
    _write(
        root,
        "datasources/odoo/analytics.sale_orders.yaml",
        {
            "table_name": "sale_orders",
            "schema": "analytics",
            "uuid": DS_UUID,
            "database_uuid": DB_UUID,
            "sql": "SELECT * FROM t WHERE d > '{{ from_dttm }}'",
        },
    )
    _write(
        root,
        "dashboards/sales/charts/revenue.yaml",
        {
            "slice_name": "Revenue",
            "viz_type": "big_number_total",
            "uuid": CH_UUID,
            "dataset_uuid": DS_UUID,
            "params": {"metric": "count"},
        },
    )
    _write(
        root,
        "dashboards/sales/dashboard.yaml",
        {
            "dashboard_title": "Sales",
            "slug": "sales",
            "uuid": DA_UUID,
            "position": {
                "CHART-1": {
                    "type": "CHART",
                    "id": "CHART-1",
                    "meta": {"chartId": 1, "uuid": CH_UUID},
                }
            },
            "metadata": {"timed_refresh_immune_slices": [1], "expanded_slices": {"1": True}},
        },
    )


def test_layout_loads_in_dependency_order(tmp_path: Path) -> None:
    _layout(tmp_path)
    (tmp_path / "dashboards" / "README.md").write_text("# not an asset\n")
    assets = load_layout(tmp_path)
    assert [a.kind for a in assets] == ["database", "dataset", "chart", "dashboard"]
    assert assets[1].rel == "datasources/odoo/analytics.sale_orders.yaml"


def test_layout_refuses_a_repeated_uuid_and_a_missing_one(tmp_path: Path) -> None:
    _layout(tmp_path)
    _write(tmp_path, "dashboards/other/charts/copy.yaml", {"slice_name": "Copy", "uuid": CH_UUID})
    with pytest.raises(ConfigError, match="also used by"):
        load_layout(tmp_path)
    (tmp_path / "dashboards/other/charts/copy.yaml").write_text("slice_name: x\n")
    with pytest.raises(ConfigError, match="uuid") as info:
        load_layout(tmp_path)
    assert info.value.path == "dashboards/other/charts/copy.yaml"


def test_layout_parse_cache_is_used_and_refreshed(tmp_path: Path) -> None:
    _layout(tmp_path / "p")
    cache = tmp_path / "cache.json"
    first = load_layout(tmp_path / "p", cache=cache)
    assert cache.exists()
    assert [a.raw for a in load_layout(tmp_path / "p", cache=cache)] == [a.raw for a in first]
    _write(
        tmp_path / "p",
        "dashboards/sales/charts/revenue.yaml",
        {"slice_name": "Revenue 2", "uuid": CH_UUID, "dataset_uuid": DS_UUID},
    )
    again = load_layout(tmp_path / "p", cache=cache)
    assert again[2].raw["slice_name"] == "Revenue 2"


def test_interpolation_values_only_secrets_from_environ_jinja_untouched() -> None:
    pw = "pw-" + secrets.token_hex(8)
    data = {"${KEY}": "a ${ODOO_DB_HOST} b", "sql": "{{ from_dttm }} $${LITERAL}", "p": URI}
    out, used = interpolate(data, _vars(ODOO_RO_PASSWORD=pw), "f.yaml")
    assert out["${KEY}"] == "a db.internal b"
    assert out["sql"] == "{{ from_dttm }} ${LITERAL}"
    assert pw in out["p"]
    assert used == {"ODOO_RO_PASSWORD"}
    assert redact(out["p"]).count(pw) == 0


def test_missing_variable_names_it_and_the_file() -> None:
    with pytest.raises(ConfigError) as info:
        interpolate({"a": "${NOPE} ${ODOO_RO_PASSWORD}"}, _vars(), "databases/odoo.yaml")
    text = str(info.value)
    assert "${NOPE}" in text
    assert "${ODOO_RO_PASSWORD}" in text
    assert "databases/odoo.yaml" in text


def test_resolve_moves_the_password_to_the_importer_field(tmp_path: Path) -> None:
    _layout(tmp_path)
    pw = "pw-" + secrets.token_hex(8)
    desired = resolve(load_layout(tmp_path, tmp_path.parent), _vars(ODOO_RO_PASSWORD=pw), "")
    db = desired[0]
    assert db.password == pw
    assert db.data["sqlalchemy_uri"] == "postgresql://superset_ro:XXXXXXXXXX@db.internal:5432/odoo"
    assert pw not in repr([d.data for d in desired])
    assert all(d.data["is_managed_externally"] is True for d in desired)
    assert desired[2].data["external_url"].endswith("dashboards/sales/charts/revenue.yaml")


def test_a_secret_outside_a_password_is_refused(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "dashboards/x/charts/c.yaml",
        {"slice_name": "c", "uuid": CH_UUID, "params": {"t": "${ODOO_RO_PASSWORD}"}},
    )
    with pytest.raises(ConfigError, match="outside a database password"):
        resolve(load_layout(tmp_path), _vars(ODOO_RO_PASSWORD="pw-" + secrets.token_hex(4)))


def test_dashboard_chart_ids_compare_as_uuids() -> None:
    file_side = {
        "position": {"CHART-1": {"type": "CHART", "meta": {"chartId": 1, "uuid": CH_UUID}}},
        "metadata": {"expanded_slices": {"1": True}, "chart_configuration": {"1": {"id": 1}}},
        "version": "1.0.0",
    }
    live_side = {
        "position": {"CHART-1": {"type": "CHART", "meta": {"chartId": 87}}},
        "metadata": {"expanded_slices": {"87": True}, "chart_configuration": {"87": {"id": 87}}},
    }
    a = comparable("dashboard", file_side, {})
    b = comparable("dashboard", live_side, {87: CH_UUID})
    assert a == b
    assert a["metadata"]["expanded_slices"] == {CH_UUID: True}


def test_export_renumbers_chart_ids_locally() -> None:
    live = {
        "position": {
            "CHART-b": {"type": "CHART", "meta": {"chartId": 912}},
            "CHART-a": {"type": "CHART", "meta": {"chartId": 40, "uuid": CH_UUID}},
        },
        "metadata": {"timed_refresh_immune_slices": [40, 912]},
    }
    out = for_file("dashboard", live, {912: DS_UUID})
    assert out["position"]["CHART-b"]["meta"] == {"chartId": 1, "uuid": DS_UUID}
    assert out["position"]["CHART-a"]["meta"]["chartId"] == 2
    assert out["metadata"]["timed_refresh_immune_slices"] == [2, 1]


def test_diff_is_field_level_and_ignores_keys_the_file_leaves_out() -> None:
    desired = {"slice_name": "A", "params": {"metric": "sum", "row_limit": 10}}
    live = {"slice_name": "B", "params": {"metric": "sum", "row_limit": 10, "extra": 1}, "x": 2}
    assert [(d.path, d.live, d.desired) for d in diff(desired, live)] == [("slice_name", "B", "A")]


def _live_from(desired_data: dict[str, Any], kind: str, uuid: str, pk: int) -> LiveAsset:
    return LiveAsset(
        kind,
        pk,
        uuid,
        "x",
        True if kind in ("chart", "dashboard") else None,
        "2026-01-01T00:00:00",
        dict(desired_data),
    )


def _settled(tmp_path: Path) -> tuple[list[Desired], LiveState]:
    """The layout resolved, and a live instance holding every asset exactly as its file."""
    _layout(tmp_path)
    desired = resolve(load_layout(tmp_path), _vars(ODOO_RO_PASSWORD="pw-" + secrets.token_hex(4)))
    live = LiveState()
    for pk, d in enumerate(desired, 1):
        live.assets[d.uuid] = _live_from(d.data, d.kind, d.uuid, pk)
    return desired, live


def test_plan_create_update_unchanged_and_prune(tmp_path: Path) -> None:
    _layout(tmp_path)
    desired = resolve(load_layout(tmp_path), _vars(ODOO_RO_PASSWORD="pw-" + secrets.token_hex(4)))
    live = LiveState()
    for d, pk in zip(desired[:3], (1, 2, 3), strict=True):
        live.assets[d.uuid] = _live_from(d.data, d.kind, d.uuid, pk)
    live.assets[CH_UUID].data = {**desired[2].data, "slice_name": "Edited"}
    orphan = "55555555-5555-4555-8555-555555555555"
    live.assets[orphan] = LiveAsset("chart", 9, orphan, "Old chart", True, "t")
    by_hand = "66666666-6666-4666-8666-666666666666"
    live.assets[by_hand] = LiveAsset("chart", 10, by_hand, "Made in UI", False, "t")

    plan = make_plan(desired, live)
    assert [(c.action, c.kind) for c in plan.changes] == [
        ("unchanged", "database"),
        ("unchanged", "dataset"),
        ("update", "chart"),
        ("create", "dashboard"),
    ]
    assert "slice_name" in describe(plan.changes[2])
    pruned = make_plan(desired, live, prune=True)
    assert [(c.action, c.uuid) for c in pruned.changes if c.action == "delete"] == [
        ("delete", orphan)
    ]
    drift = make_plan(desired, live, prune=True, unmanaged=True)
    assert ("unmanaged", by_hand) in [(c.action, c.uuid) for c in drift.changes]


def test_cache_vouches_only_for_the_same_file_and_change_time(tmp_path: Path) -> None:
    desired, live = _settled(tmp_path)
    cache = VerifiedCache(tmp_path / "c.json", "http://x")
    assert not make_plan(desired, live, cache=cache).changed
    cache.save()
    # a second run: no content at all, the cache vouches for every asset
    bare = LiveState(
        {
            u: LiveAsset(a.kind, a.id, u, a.name, a.managed, a.changed_on)
            for u, a in live.assets.items()
        }
    )
    loaded = VerifiedCache.load(tmp_path / "c.json", "http://x")
    assert not make_plan(desired, bare, cache=loaded).changed
    # the live asset changed since: the cache no longer vouches (and no client to fetch)
    bare.assets[CH_UUID].changed_on = "2026-02-02T00:00:00"
    assert make_plan(desired, bare, cache=loaded).changed


def test_export_uses_the_environment_variable_names() -> None:
    cfg = EnvConfig.model_validate(
        {
            "api_version": "supersetctl/v1",
            "environment": "dev",
            "superset": {"url": "http://127.0.0.1:8088", "app_name": "superset-dev"},
            "databases": {
                "odoo": {
                    "host": "db.internal",
                    "port": 5432,
                    "database": "odoo",
                    "user": "superset_ro",
                    "sslmode": "require",
                    "password_env": "ODOO_RO_PASSWORD",
                }
            },
            "flags": {"seed_data": False, "masking": False, "strict_read_only": False},
        }
    )
    uri = "postgresql://superset_ro:XXXXXXXXXX@db.internal:5432/odoo?sslmode=require"
    template, warning = database_uri_template(uri, cfg, "odoo")
    assert template == (
        "postgresql://${ODOO_DB_USER}:${ODOO_RO_PASSWORD}@${ODOO_DB_HOST}:${ODOO_DB_PORT}"
        "/${ODOO_DB_NAME}?sslmode=${ODOO_DB_SSLMODE}"
    )
    assert warning is None
    other, warn = database_uri_template("postgresql://u:XXXXXXXXXX@h/x", cfg, "warehouse")
    assert other == "postgresql://u:${WAREHOUSE_DB_PASSWORD}@h/x"
    assert warn and "WAREHOUSE_DB_PASSWORD" in warn


def test_export_keeps_a_placeholder_that_still_resolves() -> None:
    raw = {"a": "${ODOO_DB_HOST}", "b": "${ODOO_DB_HOST}"}
    assert keep_placeholders({"a": "db.internal", "b": "elsewhere"}, raw, _vars(), "f") == {
        "a": "${ODOO_DB_HOST}",
        "b": "elsewhere",
    }


def test_export_keeps_a_files_password_line(tmp_path: Path) -> None:
    masked = "postgresql://superset_ro:XXXXXXXXXX@db.internal:5432/odoo"
    raw = {
        "database_name": "odoo",
        "sqlalchemy_uri": masked,
        "password": "${ODOO_RO_PASSWORD}",
        "uuid": DB_UUID,
    }
    _write(tmp_path, "databases/odoo.yaml", raw)
    existing = {a.uuid: a for a in load_layout(tmp_path, tmp_path)}
    live = {"database_name": "odoo", "sqlalchemy_uri": masked, "uuid": DB_UUID, "version": "1"}
    files, _ = plan_files([Item("database", live)], existing, {}, "", None, _vars())
    assert list(files) == ["databases/odoo.yaml"]
    _write(tmp_path, "databases/odoo.yaml", {})
    (tmp_path / "databases/odoo.yaml").write_text(files["databases/odoo.yaml"])
    pw = "pw-" + secrets.token_hex(6)
    (db,) = resolve(load_layout(tmp_path, tmp_path), _vars(ODOO_RO_PASSWORD=pw))
    assert db.password == pw  # still sent after an export
    assert db.data["sqlalchemy_uri"] == masked
    text = files["databases/odoo.yaml"]
    assert text.index("sqlalchemy_uri") < text.index("password: ${ODOO_RO_PASSWORD}")


def test_slugify() -> None:
    assert slugify("Invoicing & receivables (AR)") == "invoicing-receivables-ar"
    assert slugify("Ventes été") == "ventes-ete"
    assert slugify("!!!", "chart") == "chart"


def test_asset_bundle_path_is_by_uuid() -> None:
    a = AssetFile("chart", "x/y.yaml", {"uuid": CH_UUID, "slice_name": "c"})
    assert a.bundle_path == f"charts/{CH_UUID}.yaml"


def test_a_failed_chunk_is_retried_one_by_one_and_names_the_file(tmp_path: Path) -> None:
    import httpx

    from supersetctl.provision.engine import apply_plan
    from supersetctl.superset import Credentials, SupersetClient, parse, read_zip

    _layout(tmp_path)
    desired = resolve(load_layout(tmp_path), _vars(ODOO_RO_PASSWORD="pw-" + secrets.token_hex(4)))
    sent: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/v1/security/login":
            return httpx.Response(200, json={"access_token": "t"})
        if path == "/api/v1/security/csrf_token/":
            return httpx.Response(200, json={"result": "c"})
        body = request.read()
        bundle = body[body.index(b"PK\x03\x04") : body.rindex(b"PK\x05\x06") + 22]
        names = [
            d.get("slice_name") or d.get("table_name") or d.get("database_name") or ""
            for d in parse(read_zip(bundle)).values()
        ]
        sent.append(names)
        if "Revenue" in names:
            return httpx.Response(422, json={"message": "Error importing chart"})
        return httpx.Response(200, json={"message": "OK"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = SupersetClient("http://s.test", Credentials(access_token="tok"), http=http)
    plan = make_plan(desired, LiveState())
    with pytest.raises(Exception) as info:
        apply_plan(plan, desired, client, LiveState())
    assert "dashboards/sales/charts/revenue.yaml" in str(info.value)
    assert "Error importing chart" in str(info.value)
    assert len(sent[0]) == 4  # one chunk first, then one by one until the culprit
    assert sent[1:] == [["odoo"], ["sale_orders"], ["Revenue"]]


def test_force_sends_unchanged_assets_too(tmp_path: Path) -> None:
    desired, live = _settled(tmp_path)
    assert not make_plan(desired, live).changed
    forced = make_plan(desired, live, force=True)
    assert [c.action for c in forced.changes] == ["update"] * 4


def test_a_literal_password_in_a_database_file_is_refused(tmp_path: Path) -> None:
    literal = "postgresql://u:" + "pw" + secrets.token_hex(4) + "@h:5432/db"
    _write(
        tmp_path,
        "databases/x.yaml",
        {"database_name": "x", "sqlalchemy_uri": literal, "uuid": DB_UUID},
    )
    with pytest.raises(ConfigError, match="literal password"):
        resolve(load_layout(tmp_path), _vars())
    keep = "postgresql://u:XXXXXXXXXX@h:5432/db"
    _write(
        tmp_path,
        "databases/x.yaml",
        {"database_name": "x", "sqlalchemy_uri": keep, "uuid": DB_UUID},
    )
    assert resolve(load_layout(tmp_path), _vars())[0].password is None


@pytest.mark.parametrize("special", ["s3cr/et", "a?b", "x#y", "p@ss", "c:olon"])
def test_a_password_with_uri_delimiters_still_goes_through_the_password_field(
    special: str,
) -> None:
    pw = special + secrets.token_hex(4)
    uri, password = database_uri(URI, _vars(ODOO_RO_PASSWORD=pw), "databases/odoo.yaml")
    assert uri == "postgresql://superset_ro:XXXXXXXXXX@db.internal:5432/odoo"
    assert password == pw


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("postgresql://${ODOO_RO_PASSWORD}:x@h/db", "outside its password"),
        ("postgresql://u@h/db?password=${ODOO_RO_PASSWORD}", "outside its password"),
        ("postgresql://u:XXXXXXXXXX@${ODOO_RO_PASSWORD}/db", "outside its password"),
        ("postgresql://u:${ODOO_RO_PASSWORD}" + "x@h/db", "must be exactly"),  # mixed
        ("postgresql://u:${ODOO_DB_USER}@h/db", "literal password"),
        ("${ODOO_RO_PASSWORD}", "outside its password"),
    ],
)
def test_a_secret_anywhere_but_the_whole_uri_password_is_refused(
    template: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        database_uri(template, _vars(ODOO_RO_PASSWORD="pw-" + secrets.token_hex(4)), "d.yaml")
    assert "d.yaml" in str(info.value)


def test_uris_without_a_password_keep_their_shape() -> None:
    v = _vars()
    assert database_uri("sqlite:///x.db", v, "d") == ("sqlite:///x.db", None)
    assert database_uri("postgresql://${ODOO_DB_USER}@h/db", v, "d") == (
        "postgresql://superset_ro@h/db",
        None,
    )
    assert database_uri("postgresql://u:XXXXXXXXXX@h/db", v, "d") == (
        "postgresql://u:XXXXXXXXXX@h/db",
        None,
    )


def test_a_variable_standing_for_a_number_or_flag_settles() -> None:
    v = Variables({"CACHE": "600", "FLAG": "true", "RATIO": "0.5"}, frozenset(), {})
    raw = {"cache_timeout": "${CACHE}", "x": "${FLAG}", "r": "${RATIO}", "s": "${CACHE}"}
    desired, _ = interpolate(raw, v, "f.yaml")
    live = {"cache_timeout": 600, "x": True, "r": 0.5, "s": 601}
    assert [d.path for d in diff(desired, live)] == ["s"]
    assert diff({"a": "yes"}, {"a": True}) != []  # only true/false are booleans
    assert keep_placeholders(live, raw, v, "f.yaml") == {**raw, "s": 601}


def test_upper_case_uuid_references_are_read_in_lower_case(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "datasources/odoo/t.yaml",
        {"table_name": "t", "uuid": DS_UUID.upper(), "database_uuid": DB_UUID.upper()},
    )
    _write(
        tmp_path,
        "dashboards/d/charts/c.yaml",
        {"slice_name": "c", "uuid": CH_UUID, "dataset_uuid": DS_UUID.upper()},
    )
    node = {"type": "CHART", "meta": {"chartId": 1, "uuid": CH_UUID.upper()}}
    _write(
        tmp_path,
        "dashboards/d/dashboard.yaml",
        {"dashboard_title": "d", "uuid": DA_UUID, "position": {"CHART-1": node}},
    )
    by_kind = {a.kind: a.raw for a in load_layout(tmp_path)}
    assert by_kind["dataset"]["uuid"] == DS_UUID
    assert by_kind["dataset"]["database_uuid"] == DB_UUID
    assert by_kind["chart"]["dataset_uuid"] == DS_UUID
    assert by_kind["dashboard"]["position"]["CHART-1"]["meta"]["uuid"] == CH_UUID


def test_a_bundle_password_in_clear_is_never_written_to_a_file() -> None:
    pw = "pw" + secrets.token_hex(6)
    template, warning = database_uri_template(f"postgresql://u:{pw}@h:5432/x", None, "leak")
    assert template == "postgresql://u:${LEAK_DB_PASSWORD}@h:5432/x"
    assert warning and "LEAK_DB_PASSWORD" in warning

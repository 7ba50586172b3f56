"""Export and import-bundle without a server: templates, placeholders, the minimum to write."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from supersetctl.contract.models import EnvConfig
from supersetctl.provision.export import (
    Item,
    database_uri_template,
    keep_placeholders,
    merge_into_file,
    plan_files,
)
from supersetctl.provision.layout import load_layout
from supersetctl.provision.resolve import resolve
from supersetctl.provision.variables import Variables
from tests.support.provision_unit import (
    CH_UUID,
    DA_UUID,
    DB_UUID,
    DS_UUID,
    vars_,
    write_asset,
)


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
    assert keep_placeholders({"a": "db.internal", "b": "elsewhere"}, raw, vars_(), "f") == {
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
    write_asset(tmp_path, "databases/odoo.yaml", raw)
    existing = {a.uuid: a for a in load_layout(tmp_path, tmp_path)}
    live = {"database_name": "odoo", "sqlalchemy_uri": masked, "uuid": DB_UUID, "version": "1"}
    files, _ = plan_files([Item("database", live)], existing, {}, "", None, vars_())
    assert files == {"databases/odoo.yaml": None}  # equal to its file: left as it is
    live["database_name"] = "odoo (renamed)"  # a change: rewritten, its password line kept
    files, _ = plan_files([Item("database", live)], existing, {}, "", None, vars_())
    assert list(files) == ["databases/odoo.yaml"]
    text = files["databases/odoo.yaml"]
    assert text is not None
    (tmp_path / "databases/odoo.yaml").write_text(text)
    pw = "pw-" + secrets.token_hex(6)
    (db,) = resolve(load_layout(tmp_path, tmp_path), vars_(ODOO_RO_PASSWORD=pw))
    assert db.password == pw  # still sent after an export
    assert db.data["sqlalchemy_uri"] == masked
    assert text.index("sqlalchemy_uri") < text.index("password: ${ODOO_RO_PASSWORD}")


def test_a_bundle_password_in_clear_is_never_written_to_a_file() -> None:
    pw = "pw" + secrets.token_hex(6)
    template, warning = database_uri_template(f"postgresql://u:{pw}@h:5432/x", None, "leak")
    assert template == "postgresql://u:${LEAK_DB_PASSWORD}@h:5432/x"
    assert warning and "LEAK_DB_PASSWORD" in warning


# ---------------------------------------------------------------- the minimum to write


def _dataset_raw() -> dict[str, Any]:
    return {
        "table_name": "sale_orders",
        "schema": "${SCHEMA}",
        "uuid": DS_UUID,
        "database_uuid": DB_UUID,
        "columns": [
            {"column_name": "b", "type": "TEXT", "is_dttm": False},
            {"column_name": "a", "type": "INTEGER", "is_dttm": False},
        ],
        "metrics": [{"metric_name": "count", "expression": "COUNT(*)"}],
    }


def _live_of(raw: dict[str, Any]) -> dict[str, Any]:
    """What Superset exports for it: its own list order, keys the file left out as null."""
    live = {**raw, "schema": "analytics", "catalog": None, "folders": None, "version": "1.0.0"}
    live["columns"] = list(reversed(raw["columns"]))
    return live


def _vars_with_schema() -> Variables:
    return Variables({"SCHEMA": "analytics"}, frozenset(), {})


def test_an_asset_equal_to_its_file_leaves_it_as_written() -> None:
    raw = _dataset_raw()
    out = merge_into_file("dataset", raw, _live_of(raw), _vars_with_schema(), "f", {})
    assert out is None


def test_a_change_rewrites_only_what_changed_in_the_files_order() -> None:
    raw = _dataset_raw()
    live = _live_of(raw)
    live["columns"] = [
        {"column_name": "c", "type": "DATE", "is_dttm": True, "verbose_name": None},
        {"column_name": "a", "type": "BIGINT", "is_dttm": False, "verbose_name": None},
        {"column_name": "b", "type": "TEXT", "is_dttm": False, "verbose_name": None},
    ]
    live["description"] = "set in the UI"
    out = merge_into_file("dataset", raw, live, _vars_with_schema(), "f", {})
    assert out is not None
    assert list(out) == [*raw, "description"]  # the file's keys first, in order
    assert out["schema"] == "${SCHEMA}"  # still resolves to the live value
    assert [c["column_name"] for c in out["columns"]] == ["b", "a", "c"]
    assert out["columns"][0] is raw["columns"][0]  # unchanged: kept as written
    assert out["columns"][1] == {"column_name": "a", "type": "BIGINT", "is_dttm": False}
    assert out["metrics"] is raw["metrics"]
    assert "catalog" not in out and "folders" not in out  # Superset's defaults are not added


def test_a_dashboards_position_and_metadata_change_together() -> None:
    raw = {
        "dashboard_title": "D",
        "uuid": DA_UUID,
        "position": {"CHART-1": {"type": "CHART", "meta": {"chartId": 1, "uuid": CH_UUID}}},
        "metadata": {"expanded_slices": {"1": True}},
        "css": "",
    }
    live = {
        **raw,
        "position": {"CHART-9": {"type": "CHART", "meta": {"chartId": 1, "uuid": CH_UUID}}},
    }
    out = merge_into_file("dashboard", raw, live, Variables({}, frozenset(), {}), "f", {})
    assert out is not None
    assert out["position"] == live["position"] and out["metadata"] == live["metadata"]
    assert out["css"] == ""


def test_a_new_databases_ca_path_is_written_as_its_variable() -> None:
    masked = "postgresql://superset_ro:XXXXXXXXXX@db.internal:5432/odoo"
    ca = "/tmp/superset/ca.pem"
    live = {
        "database_name": "odoo",
        "sqlalchemy_uri": masked,
        "extra": {"engine_params": {"connect_args": {"sslrootcert": ca, "sslmode": "x"}}},
        "uuid": DB_UUID,
        "version": "1",
    }
    base = vars_()
    variables = Variables({**base.values, "SUPERSET_CA_CERT_FILE": ca}, base.secret_names, {})
    files, _ = plan_files([Item("database", live)], {}, {}, "", None, variables)
    [text] = [t for t in files.values() if t]
    assert "sslrootcert: ${SUPERSET_CA_CERT_FILE}" in text
    other = {**live, "extra": {"engine_params": {"connect_args": {"sslrootcert": "/etc/x.pem"}}}}
    files, _ = plan_files([Item("database", other)], {}, {}, "", None, variables)
    assert "sslrootcert: /etc/x.pem" in next(t for t in files.values() if t)

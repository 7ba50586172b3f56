"""${VAR} interpolation and resolving files into what is sent (passwords beside the asset)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from supersetctl.errors import ConfigError
from supersetctl.provision.export import keep_placeholders
from supersetctl.provision.layout import load_layout
from supersetctl.provision.normalize import diff
from supersetctl.provision.resolve import database_uri, resolve, with_chart_ids
from supersetctl.provision.variables import Variables, interpolate
from supersetctl.redact import redact
from tests.support.provision_unit import (
    CH_UUID,
    DB_UUID,
    DS_UUID,
    URI,
    tiny_layout,
    vars_,
    write_asset,
)


def test_interpolation_values_only_secrets_from_environ_jinja_untouched() -> None:
    pw = "pw-" + secrets.token_hex(8)
    data = {"${KEY}": "a ${ODOO_DB_HOST} b", "sql": "{{ from_dttm }} $${LITERAL}", "p": URI}
    out, used = interpolate(data, vars_(ODOO_RO_PASSWORD=pw), "f.yaml")
    assert out["${KEY}"] == "a db.internal b"
    assert out["sql"] == "{{ from_dttm }} ${LITERAL}"
    assert pw in out["p"]
    assert used == {"ODOO_RO_PASSWORD"}
    assert redact(out["p"]).count(pw) == 0


def test_missing_variable_names_it_and_the_file() -> None:
    with pytest.raises(ConfigError) as info:
        interpolate({"a": "${NOPE} ${ODOO_RO_PASSWORD}"}, vars_(), "databases/odoo.yaml")
    text = str(info.value)
    assert "${NOPE}" in text
    assert "${ODOO_RO_PASSWORD}" in text
    assert "databases/odoo.yaml" in text


def test_resolve_moves_the_password_to_the_importer_field(tmp_path: Path) -> None:
    tiny_layout(tmp_path)
    pw = "pw-" + secrets.token_hex(8)
    desired = resolve(load_layout(tmp_path, tmp_path.parent), vars_(ODOO_RO_PASSWORD=pw), "")
    db = desired[0]
    assert db.password == pw
    assert db.data["sqlalchemy_uri"] == "postgresql://superset_ro:XXXXXXXXXX@db.internal:5432/odoo"
    assert pw not in repr([d.data for d in desired])
    assert all(d.data["is_managed_externally"] is True for d in desired)
    assert desired[2].data["external_url"].endswith("dashboards/sales/charts/revenue.yaml")


def test_a_secret_outside_a_password_is_refused(tmp_path: Path) -> None:
    write_asset(
        tmp_path,
        "dashboards/x/charts/c.yaml",
        {
            "slice_name": "c",
            "viz_type": "t",
            "uuid": CH_UUID,
            "dataset_uuid": DS_UUID,
            "params": {"t": "${ODOO_RO_PASSWORD}"},
        },
    )
    with pytest.raises(ConfigError, match="outside a database password"):
        resolve(load_layout(tmp_path), vars_(ODOO_RO_PASSWORD="pw-" + secrets.token_hex(4)))


def test_a_literal_password_in_a_database_file_is_refused(tmp_path: Path) -> None:
    literal = "postgresql://u:" + "pw" + secrets.token_hex(4) + "@h:5432/db"
    write_asset(
        tmp_path,
        "databases/x.yaml",
        {"database_name": "x", "sqlalchemy_uri": literal, "uuid": DB_UUID},
    )
    with pytest.raises(ConfigError, match="literal password"):
        resolve(load_layout(tmp_path), vars_())
    keep = "postgresql://u:XXXXXXXXXX@h:5432/db"
    write_asset(
        tmp_path,
        "databases/x.yaml",
        {"database_name": "x", "sqlalchemy_uri": keep, "uuid": DB_UUID},
    )
    assert resolve(load_layout(tmp_path), vars_())[0].password is None


@pytest.mark.parametrize("special", ["s3cr/et", "a?b", "x#y", "p@ss", "c:olon"])
def test_a_password_with_uri_delimiters_still_goes_through_the_password_field(
    special: str,
) -> None:
    pw = special + secrets.token_hex(4)
    uri, password = database_uri(URI, vars_(ODOO_RO_PASSWORD=pw), "databases/odoo.yaml")
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
        database_uri(template, vars_(ODOO_RO_PASSWORD="pw-" + secrets.token_hex(4)), "d.yaml")
    assert "d.yaml" in str(info.value)


def test_uris_without_a_password_keep_their_shape() -> None:
    v = vars_()
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


def test_a_password_placeholder_not_declared_says_so() -> None:
    # what import-bundle writes for a database config/<env>/ does not know
    uri = "postgresql://u:${ODOO_DEV_DB_PASSWORD}@h:5432/db"
    with pytest.raises(ConfigError) as info:
        database_uri(uri, vars_(), "databases/odoo-dev.yaml")
    text = str(info.value)
    assert "${ODOO_DEV_DB_PASSWORD}" in text and "not a secret this environment declares" in text
    assert "literal password" not in text
    assert "secrets:" in text and "export ODOO_DEV_DB_PASSWORD" in text


def test_a_dashboard_written_without_chart_ids_gets_them() -> None:
    """The importer reads a chartId for each chart it places (HTTP 500 without one)."""
    position = {
        "CHART-a": {"type": "CHART", "meta": {"uuid": "u1"}},
        "CHART-b": {"type": "CHART", "meta": {"uuid": "u2", "chartId": 7}},
        "CHART-c": {"type": "CHART", "meta": {"uuid": "u3"}},
        "ROW-1": {"type": "ROW", "meta": {}},
    }
    dashboard = {"dashboard_title": "D", "position": position}
    sent = with_chart_ids(dashboard)
    ids = {k: v["meta"].get("chartId") for k, v in sent["position"].items()}
    assert ids == {"CHART-a": 8, "CHART-b": 7, "CHART-c": 9, "ROW-1": None}
    assert "chartId" not in position["CHART-a"]["meta"]  # the file's data is left as it is
    whole = {"position": {"CHART-b": {"type": "CHART", "meta": {"uuid": "u", "chartId": 1}}}}
    assert with_chart_ids(whole) is whole

"""Small provisioning repos for unit tests: the browsable layout of
``tests/unit/provision/testdata/small`` copied to a scratch folder, with a fake secret, loaded
as an :class:`~supersetctl.contract.environment.Environment`."""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supersetctl.contract.environment import Environment, load_environment
from supersetctl.paths import RepoPaths
from supersetctl.provision.identity import ident
from supersetctl.provision.layout import load_layout
from supersetctl.provision.live import LiveAsset, LiveState
from supersetctl.provision.model import Desired
from supersetctl.provision.normalize import position_ids, remap_chart_ids
from supersetctl.provision.resolve import resolve
from supersetctl.provision.variables import Variables
from supersetctl.superset.bundle import dump_native, load_native
from tests.support.helpers import REPO_ROOT

DB_UUID = "11111111-1111-4111-8111-111111111111"
DS_UUID = "22222222-2222-4222-8222-222222222222"
CH_UUID = "33333333-3333-4333-8333-333333333333"
DA_UUID = "44444444-4444-4444-8444-444444444444"
URI = "postgresql://${ODOO_DB_USER}:${ODOO_RO_PASSWORD}@${ODOO_DB_HOST}:${ODOO_DB_PORT}/${ODOO_DB_NAME}"
OWNER = "acme/bi"
TESTDATA = REPO_ROOT / "tests" / "unit" / "provision" / "testdata"


@dataclass
class SmallRepo:
    paths: RepoPaths
    password: str

    @property
    def prov(self) -> Path:
        return self.paths.provisioning

    def env(self, **extra: str) -> Environment:
        environ = {"ODOO_RO_PASSWORD": self.password, "SUPERSETCTL_TOKEN_CACHE": "off", **extra}
        return load_environment(self.paths, "dev", environ=environ)

    def read(self, rel: str) -> dict[str, Any]:
        data = load_native((self.prov / rel).read_text(), rel)
        assert isinstance(data, dict)
        return data

    def write(self, rel: str, data: dict[str, Any]) -> None:
        path = self.prov / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_native(data))

    def edit(self, rel: str, **changes: Any) -> None:
        self.write(rel, {**self.read(rel), **changes})

    def overlay(self, scenario: Path) -> None:
        """Lay the files of a scenario folder over the layout."""
        for src in scenario.rglob("*.yaml"):
            rel = src.relative_to(scenario)
            if rel.name == "expect.yaml":
                continue
            dest = self.prov / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)


def small_repo(dest: Path) -> SmallRepo:
    shutil.copytree(TESTDATA / "small", dest)
    return SmallRepo(RepoPaths(dest), "pw-" + secrets.token_hex(8))


def vars_(**secrets_: str) -> Variables:
    values = {
        "ODOO_DB_USER": "superset_ro",
        "ODOO_DB_HOST": "db.internal",
        "ODOO_DB_PORT": "5432",
        "ODOO_DB_NAME": "odoo",
    }
    return Variables(values, frozenset({"ODOO_RO_PASSWORD"}), dict(secrets_))


def write_asset(root: Path, rel: str, data: dict[str, Any]) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_native(data))


def tiny_layout(root: Path) -> None:
    write_asset(
        root,
        "databases/odoo.yaml",
        {"database_name": "odoo", "sqlalchemy_uri": URI, "uuid": DB_UUID},
    )
    write_asset(
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
    write_asset(
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
    write_asset(
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


def live_from(desired_data: dict[str, Any], kind: str, uuid: str, pk: int) -> LiveAsset:
    """A live asset holding exactly ``desired_data`` (what the export of a just-applied asset
    shows)."""
    return LiveAsset(
        kind,
        pk,
        uuid,
        "x",
        True if kind in ("chart", "dashboard") else None,
        "2026-01-01T00:00:00.000001+0000",
        ident(kind, desired_data),
        dict(desired_data),
    )


def settled(tmp_path: Path) -> tuple[list[Desired], LiveState]:
    """The layout resolved, and a live instance holding every asset exactly as its file."""
    tiny_layout(tmp_path)
    desired = resolve(
        load_layout(tmp_path), vars_(ODOO_RO_PASSWORD="pw-" + secrets.token_hex(4)), "", OWNER
    )
    live = LiveState()
    for pk, d in enumerate(desired, 1):
        live.assets[d.uuid] = live_from(d.data, d.kind, d.uuid, pk)
    for a in live.assets.values():  # the importer puts the charts' live ids in dashboards
        if a.kind == "dashboard" and a.data is not None:
            local = position_ids(a.data.get("position"))
            a.data = remap_chart_ids(a.data, lambda i, m=local: live.id_of(m.get(i, "")))
    return desired, live

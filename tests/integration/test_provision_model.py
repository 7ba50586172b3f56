"""A model-based test of provisioning against the real Superset 6.1.0.

Hypothesis drives random sequences of what happens to a repo and its instance:

- changes made in Superset through its REST API, as the UI or another tool would: delete a
  chart, a dashboard or a dataset, edit a title or a chart's params, change a dataset column,
  sync a dataset's columns from its table (which leaves ``changed_on`` as it was), add a
  chart by hand;
- changes to the files: edit a chart, delete a chart (and its place in the dashboards),
  rename a file, add or delete a dashboard;
- runs of the CLI's library functions: ``plan``, ``apply`` (and with ``--prune``),
  ``export``, ``drift``.

After every step, the cached ``plan`` must say exactly what ``plan --refresh`` says (no cache
path may hide a difference); after every ``apply``, a full comparison must find the instance
equal to the files; after an ``apply --prune``, no asset of this repo is left without a file
and every asset made by hand is still there.

At least 200 steps per run (``MIN_STEPS``, from ``MODEL_EXAMPLES`` runs of up to
``MODEL_STEPS``). The seed is random unless
``SUPERSETCTL_MODEL_SEED`` names one, and is printed with any failure:

    SUPERSETCTL_MODEL_SEED=1234 pytest tests/integration/test_provision_model.py
"""

from __future__ import annotations

import json
import os
import random
import secrets
import uuid as uuidlib
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from supersetctl.contract.environment import Environment, load_environment
from supersetctl.errors import ConfigError
from supersetctl.paths import RepoPaths
from supersetctl.provision import Plan, apply_env, drift_env, export_env, plan_env
from supersetctl.provision.live import list_live
from supersetctl.superset import Credentials, SupersetClient
from supersetctl.superset.bundle import dump_native, load_native
from tests.support.layouts import generate, position
from tests.support.provision import URI, SourceDB, write_env_config
from tests.support.superset import SupersetInfo

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MODEL_EXAMPLES = 11
MODEL_STEPS = 24  # Hypothesis runs up to this many per example (about 22 on average)
MIN_STEPS = 200
SEED = int(os.environ.get("SUPERSETCTL_MODEL_SEED") or random.SystemRandom().randrange(2**32))


class World:
    """What every run of the machine shares: the server, the source database, a scratch."""

    superset: SupersetInfo
    source: SourceDB
    admin_conninfo: str
    scratch: Path
    checks = 0  # invariant checks: one after each example's setup, one after each step
    examples = 0


WORLD = World()


def _key(plan: Plan, ours: set[str]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return sorted(
        (c.action, c.kind, c.uuid, tuple(sorted(d.path for d in c.diffs)))
        for c in plan.changes
        if c.uuid in ours
    )


class Provisioning(RuleBasedStateMachine):
    """One repo (its own owner, database, uuids and slugs) against the shared instance."""

    @initialize()
    def setup(self) -> None:
        self.tag = secrets.token_hex(4)
        root = WORLD.scratch / f"repo-{self.tag}"
        root.mkdir(parents=True)
        w = WORLD
        write_env_config(root, w.superset.url, w.source, owner=f"model/{self.tag}")
        self.paths = RepoPaths(root)
        self.ns = str(uuidlib.uuid4())
        generate(self.prov, datasets=2, charts=4, dashboards=2, uri=URI, ns=self.ns,
                 db_name=f"model-{self.tag}", prefix=f"m{self.tag}-")  # fmt: skip
        self.client = SupersetClient(
            w.superset.url, Credentials(w.superset.admin_username, w.superset.admin_password)
        )
        self.hand_made: list[int] = []
        self.counter = 0
        WORLD.examples += 1
        apply_env(self.env(), self.client)

    def teardown(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()

    # ------------------------------------------------------------------ helpers
    @property
    def prov(self) -> Path:
        return self.paths.provisioning

    def env(self) -> Environment:
        w = WORLD
        environ = {
            "ODOO_RO_PASSWORD": w.source.password,
            "SUPERSET_ADMIN_USERNAME": w.superset.admin_username,
            "SUPERSET_ADMIN_PASSWORD": w.superset.admin_password,
            "SUPERSETCTL_TOKEN_CACHE": "off",
        }
        return load_environment(self.paths, "dev", environ=environ)

    def files(self, kind: str) -> list[Path]:
        out = []
        for path in sorted(self.prov.rglob("*.yaml")):
            data = load_native(path.read_text(), str(path))
            name = {"dashboard": "dashboard_title", "chart": "slice_name", "dataset": "table_name"}
            if kind in name and name[kind] in data:
                out.append(path)
        return out

    def read(self, path: Path) -> dict[str, Any]:
        data = load_native(path.read_text(), str(path))
        assert isinstance(data, dict)
        return data

    def write(self, path: Path, data: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_native(data))

    def ours(self) -> set[str]:
        return {str(self.read(p)["uuid"]) for p in self.prov.rglob("*.yaml")}

    def live_of(self, kind: str) -> dict[str, int]:
        """uuid -> id of this repo's live assets of one kind."""
        mine = self.ours()
        live = list_live(self.client)
        return {u: a.id for u, a in live.assets.items() if a.kind == kind and u in mine}

    def pick(self, data: st.DataObject, options: list[Any], label: str) -> Any:
        return data.draw(st.sampled_from(options), label=label) if options else None

    def fresh(self) -> int:
        self.counter += 1
        return self.counter

    # ------------------------------------------------------------------ in Superset
    @rule(data=st.data(), kind=st.sampled_from(["chart", "dashboard", "dataset"]))
    def ui_delete(self, data: st.DataObject, kind: str) -> None:
        live = self.live_of(kind)
        uuid = self.pick(data, sorted(live), f"delete {kind}")
        if uuid is not None:
            self.client.delete(kind, live[uuid])

    @rule(data=st.data(), kind=st.sampled_from(["chart", "dashboard"]))
    def ui_edit_title(self, data: st.DataObject, kind: str) -> None:
        live = self.live_of(kind)
        uuid = self.pick(data, sorted(live), f"retitle {kind}")
        if uuid is not None:
            field = "slice_name" if kind == "chart" else "dashboard_title"
            self.client.update(kind, live[uuid], {field: f"edited live {self.fresh()}"})

    @rule(data=st.data(), limit=st.integers(min_value=1, max_value=500))
    def ui_edit_params(self, data: st.DataObject, limit: int) -> None:
        live = self.live_of("chart")
        uuid = self.pick(data, sorted(live), "chart params")
        if uuid is not None:
            params = json.loads(self.client.get("chart", live[uuid]).get("params") or "{}")
            params["row_limit"] = limit
            self.client.update("chart", live[uuid], {"params": json.dumps(params)})

    @rule(data=st.data())
    def ui_edit_column(self, data: st.DataObject) -> None:
        live = self.live_of("dataset")
        uuid = self.pick(data, sorted(live), "dataset column")
        if uuid is None:
            return
        keep = ("id", "column_name", "verbose_name", "description", "expression", "filterable",
                "groupby", "is_dttm", "type", "python_date_format", "is_active")  # fmt: skip
        columns = self.client.get("dataset", live[uuid])["columns"]
        cols = [{k: c[k] for k in keep if k in c} for c in columns]
        cols[0]["verbose_name"] = f"renamed live {self.fresh()}"
        self.client.update("dataset", live[uuid], {"columns": cols})

    @rule(data=st.data())
    def ui_sync_columns(self, data: st.DataObject) -> None:
        """A column renamed in the table, then "sync columns from source" (no changed_on)."""
        live = self.live_of("dataset")
        uuid = self.pick(data, sorted(live), "sync dataset")
        if uuid is None:
            return
        table = self.client.get("dataset", live[uuid])["table_name"]
        with psycopg.connect(WORLD.admin_conninfo, autocommit=True) as conn:
            conn.execute(f"ALTER TABLE {table} RENAME COLUMN amount TO amount_m")
            try:
                self.client.request("PUT", f"api/v1/dataset/{live[uuid]}/refresh")
            finally:
                conn.execute(f"ALTER TABLE {table} RENAME COLUMN amount_m TO amount")

    @rule(data=st.data(), labels=st.lists(st.sampled_from(["won", "lost", "open"]), unique=True))
    def ui_view_dashboard(self, data: st.DataObject, labels: list[str]) -> None:
        """What Superset's dashboard page does when it opens: it works out the colours its
        charts' labels get and stores them (PUT .../colors?mark_updated=false: no changed_on),
        sending the scheme and the custom label colours back as they were."""
        live = self.live_of("dashboard")
        uuid = self.pick(data, sorted(live), "view dashboard")
        if uuid is None:
            return
        meta = json.loads(self.client.get("dashboard", live[uuid]).get("json_metadata") or "{}")
        palette = ["#1FA8C9", "#454E7C", "#5AC189", "#FF7F44"]
        body = {
            "color_namespace": meta.get("color_namespace"),
            "color_scheme": meta.get("color_scheme"),
            "color_scheme_domain": palette,
            "shared_label_colors": labels,
            "map_label_colors": {label: palette[i] for i, label in enumerate(labels)},
            "label_colors": meta.get("label_colors") or {},
        }
        self.client.request(
            "PUT", f"api/v1/dashboard/{live[uuid]}/colors?mark_updated=false", json=body
        )

    @rule()
    def ui_add_chart(self) -> None:
        live = self.live_of("dataset")
        if not live:
            return
        made = self.client.create(
            "chart",
            {
                "slice_name": f"by hand m{self.tag} {self.fresh()}",
                "viz_type": "big_number_total",
                "datasource_id": sorted(live.values())[0],
                "datasource_type": "table",
                "params": json.dumps({"metric": "count", "viz_type": "big_number_total"}),
            },
        )
        self.hand_made.append(int(made["id"]))

    # ------------------------------------------------------------------ in the files
    @rule(data=st.data(), limit=st.integers(min_value=1, max_value=500))
    def file_edit_chart(self, data: st.DataObject, limit: int) -> None:
        path = self.pick(data, self.files("chart"), "edit chart file")
        if path is not None:
            chart = self.read(path)
            chart["params"]["row_limit"] = limit
            chart["slice_name"] = f"edited in git {self.fresh()}"
            self.write(path, chart)

    @rule(data=st.data())
    def file_delete_chart(self, data: st.DataObject) -> None:
        path = self.pick(data, self.files("chart"), "delete chart file")
        if path is None:
            return
        gone = str(self.read(path)["uuid"])
        path.unlink()
        for dash_path in self.files("dashboard"):
            dash = self.read(dash_path)
            pos = dash["position"]
            nodes = [k for k, v in pos.items() if isinstance(v, dict)
                     and v.get("type") == "CHART" and v["meta"].get("uuid") == gone]  # fmt: skip
            for key in nodes:
                del pos[key]
                for other in pos.values():
                    if isinstance(other, dict) and key in other.get("children", []):
                        other["children"].remove(key)
            if nodes:
                self.write(dash_path, dash)

    @rule(data=st.data())
    def file_rename(self, data: st.DataObject) -> None:
        path = self.pick(data, self.files("chart") + self.files("dashboard"), "rename file")
        if path is not None:
            path.rename(path.with_name(f"renamed-{self.fresh()}-{path.name}"))

    @rule(data=st.data())
    def file_add_dashboard(self, data: st.DataObject) -> None:
        charts = [self.read(p) for p in self.files("chart")]
        if not charts:
            return
        n = self.fresh()
        some = st.lists(
            st.sampled_from(charts), min_size=1, max_size=3, unique_by=lambda c: c["uuid"]
        )
        picked = data.draw(some, label="charts")
        board = {
            "dashboard_title": f"Added {n}",
            "slug": f"m{self.tag}-added-{n}",
            "uuid": str(uuidlib.uuid4()),
            "position": position([c["uuid"] for c in picked], [c["slice_name"] for c in picked]),
            "metadata": {"expanded_slices": {}, "timed_refresh_immune_slices": []},
            "published": True,
        }
        self.write(self.prov / "dashboards" / f"added-{n}" / "dashboard.yaml", board)

    @rule(data=st.data())
    def file_delete_dashboard(self, data: st.DataObject) -> None:
        path = self.pick(data, self.files("dashboard"), "delete dashboard file")
        if path is not None:
            path.unlink()

    # ------------------------------------------------------------------ the CLI's runs
    @rule()
    def run_plan(self) -> None:
        plan_env(self.env(), self.client)

    @rule()
    def run_apply(self) -> None:
        apply_env(self.env(), self.client)
        after = drift_env(self.env(), self.client)
        left = [c for c in after.changes if c.uuid in self.ours() and c.action != "unchanged"]
        assert left == [], f"seed={SEED}: the instance differs right after apply: {left}"

    @rule()
    def run_apply_prune(self) -> None:
        apply_env(self.env(), self.client, prune=True)
        after = plan_env(self.env(), self.client, prune=True, refresh=True)
        assert not [c for c in after.changes if c.action in ("create", "update", "delete")], (
            f"seed={SEED}: {after.pending}"
        )
        charts = {a.id for a in list_live(self.client).assets.values() if a.kind == "chart"}
        assert set(self.hand_made) <= charts, f"seed={SEED}: prune deleted a hand-made chart"

    @rule()
    def run_export(self) -> None:
        slugs = [str(self.read(p).get("slug")) for p in self.files("dashboard")]
        live = list_live(self.client)
        live_slugs = {a.ident[1] for a in live.assets.values() if a.kind == "dashboard" and a.ident}
        wanted = [s for s in slugs if s in live_slugs]
        if wanted:
            before = {p: p.read_bytes() for p in self.prov.rglob("*.yaml")}
            try:
                export_env(self.env(), self.client, dashboards=wanted)
            except ConfigError as exc:  # the instance holds what no file can say: nothing written
                assert "none was written" in str(exc), f"seed={SEED}: {exc}"
                assert {p: p.read_bytes() for p in self.prov.rglob("*.yaml")} == before
                return
        plan = plan_env(self.env(), self.client, refresh=True)
        exported = [c for c in plan.pending if c.action == "update" and c.kind == "dashboard"
                    and c.name in wanted]  # fmt: skip
        assert not [c for c in exported if c.diffs and c.diffs[0].path != "(file)"], (
            f"seed={SEED}: an exported dashboard still differs: {exported}"
        )

    @rule()
    def run_drift(self) -> None:
        drift_env(self.env(), self.client)

    # ------------------------------------------------------------------ after every step
    @invariant()
    def cached_plan_agrees_with_a_full_comparison(self) -> None:
        if not hasattr(self, "paths"):
            return
        WORLD.checks += 1
        env = self.env()
        try:
            cached = plan_env(env, self.client)
        except ConfigError as exc:  # a layout plan refuses must be refused the same way
            with pytest.raises(ConfigError):
                plan_env(env, self.client, refresh=True)
            pytest.fail(f"seed={SEED}: the files became invalid: {exc}")
        full = plan_env(env, self.client, refresh=True)
        ours = self.ours() | {c.uuid for c in full.changes}
        assert _key(cached, ours) == _key(full, ours), (
            f"seed={SEED}: the cached plan differs from a full comparison:\n"
            f"cached: {_key(cached, ours)}\nfull:   {_key(full, ours)}"
        )


def test_cached_plans_agree_with_full_comparisons_and_apply_converges(
    superset: SupersetInfo,
    prov_source: SourceDB,
    pg: Any,
    tmp_path: Path,
) -> None:
    WORLD.superset, WORLD.source, WORLD.scratch = superset, prov_source, tmp_path
    WORLD.admin_conninfo = pg.conninfo(prov_source.database)
    WORLD.checks = WORLD.examples = 0
    print(f"model test seed: {SEED} (SUPERSETCTL_MODEL_SEED={SEED} repeats it)")
    machine = Provisioning
    machine.TestCase.settings = settings(
        max_examples=MODEL_EXAMPLES,
        stateful_step_count=MODEL_STEPS,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: steps are costly
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    from hypothesis import seed as hypothesis_seed

    run_state_machine_as_test(hypothesis_seed(SEED)(machine), settings=machine.TestCase.settings)
    steps = WORLD.checks - WORLD.examples
    print(f"model test: {WORLD.examples} examples, {steps} steps, seed {SEED}")
    assert steps >= MIN_STEPS, f"only {steps} steps ran (seed {SEED})"

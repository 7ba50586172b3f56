"""A model-based test of the access kinds against the real Superset 6.1.0.

Hypothesis drives random sequences of edits in Superset through its REST API (as the UI does:
a role's permissions, an RLS rule's clause, a dashboard's roles and embedded domains, a role
deleted, a role made by hand), edits of the files (permissions, clause, domains, embedding off)
and runs (``apply``, ``apply --prune``, ``export``). After every ``apply`` the plan and the
drift must find nothing of this repo to change, and every role made by hand must still exist;
after an ``export`` the files must plan clean (a hand-made role at most changes owner).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from supersetctl.contract.environment import Environment, load_environment
from supersetctl.paths import RepoPaths
from supersetctl.provision import apply_env, drift_env, export_env, plan_env
from supersetctl.provision.access.live import AccessLive, read_access
from supersetctl.superset import Credentials, SupersetClient
from supersetctl.superset import security as api
from supersetctl.superset.bundle import dump_native, load_native
from tests.support.layouts import generate
from tests.support.provision import URI, SourceDB, write_env_config
from tests.support.superset import SupersetInfo

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PERMS = [["can_read", "Chart"], ["can_read", "Dashboard"], ["can_write", "Chart"],
         ["can_read", "Dataset"]]  # fmt: skip
DOMAINS = ["https://a.example", "https://b.example", "http://127.0.0.1:8069"]


class World:
    superset: SupersetInfo
    source: SourceDB
    scratch: Path
    applies = 0


WORLD = World()


class Access(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.tag = secrets.token_hex(4)
        self.p = f"a{self.tag}-"
        root = WORLD.scratch / f"repo-{self.tag}"
        root.mkdir(parents=True)
        write_env_config(root, WORLD.superset.url, WORLD.source, owner=f"access/{self.tag}")
        self.paths = RepoPaths(root)
        self.db = f"acc-{self.tag}"
        generate(self.prov, datasets=2, charts=2, dashboards=1, uri=URI,
                 ns=str(__import__("uuid").uuid4()), db_name=self.db, prefix=self.p)  # fmt: skip
        s = WORLD.superset
        self.client = SupersetClient(s.url, Credentials(s.admin_username, s.admin_password))
        self.hand_made: set[str] = set()
        self.n = 0
        self.write("roles/viewer.yaml", {"name": self.role, "permissions": PERMS[:2]})
        self.write("rls/rule.yaml", {
            "name": f"{self.p}rule", "roles": [self.role], "clause": "id > 0",
            "tables": [{"database": self.db, "schema": "public", "table": "b1"}],
        })  # fmt: skip
        self.write("dashboard_access/dash.yaml", {
            "dashboard": f"{self.p}dash-1", "roles": [self.role],
            "embedded": {"allowed_domains": DOMAINS[:1]},
        })  # fmt: skip
        self.apply(prune=False)

    def teardown(self) -> None:
        client = getattr(self, "client", None)
        if client is None:
            return
        live = self.live()
        for found in live.rules.values():
            if found.name.startswith(self.p):
                api.delete_rls(client, found.id)
        for role in live.roles.values():
            if role.name.startswith(self.p):
                api.delete_role(client, role.id)
        group = live.group_of(f"access/{self.tag}")
        if group is not None:
            client.request("DELETE", f"api/v1/security/groups/{group['id']}")
        client.close()

    # ------------------------------------------------------------------ helpers
    @property
    def prov(self) -> Path:
        return self.paths.provisioning

    @property
    def role(self) -> str:
        return f"{self.p}viewer"

    def env(self) -> Environment:
        s = WORLD.superset
        environ = {
            "ODOO_RO_PASSWORD": WORLD.source.password,
            "SUPERSET_ADMIN_USERNAME": s.admin_username,
            "SUPERSET_ADMIN_PASSWORD": s.admin_password,
            "SUPERSETCTL_TOKEN_CACHE": "off",
        }
        return load_environment(self.paths, "dev", environ=environ)

    def write(self, rel: str, data: dict[str, Any]) -> None:
        path = self.prov / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_native(data))

    def read(self, rel: str) -> dict[str, Any]:
        data = load_native((self.prov / rel).read_text(), rel)
        assert isinstance(data, dict)
        return data

    def live(self) -> AccessLive:
        return read_access(self.client, rule_names={f"{self.p}rule"}, dashboards=None)

    def ours(self, changes: list[Any]) -> list[tuple[str, str, list[str]]]:
        return [
            (c.action, c.uuid, [d.path for d in c.diffs])
            for c in changes
            if c.kind in ("role", "rls", "access") and self.p in c.uuid
        ]

    def apply(self, *, prune: bool) -> None:
        apply_env(self.env(), self.client, prune=prune)
        WORLD.applies += 1
        plan = plan_env(self.env(), self.client, prune=prune)
        pending = [c for c in self.ours(plan.changes) if c[0] != "unchanged"]
        assert pending == [], pending
        drift = [c for c in self.ours(drift_env(self.env(), self.client).changes)
                 if c[0] not in ("unchanged", "unmanaged")]  # fmt: skip
        assert drift == [], drift
        roles = self.live().roles
        assert self.hand_made <= set(roles), self.hand_made - set(roles)

    # ------------------------------------------------------------------ in Superset
    @rule(picks=st.lists(st.sampled_from(range(len(PERMS))), unique=True))
    def ui_role_permissions(self, picks: list[int]) -> None:
        live = self.live()
        role = live.roles.get(self.role)
        if role is not None:
            ids = live.perm_ids
            api.set_role_permissions(self.client, role.id, [ids[tuple(PERMS[i])] for i in picks])

    @rule(clause=st.sampled_from(["id > 1", "id < 9", "name = 'n1'"]), key=st.booleans())
    def ui_rule(self, clause: str, key: bool) -> None:
        live = self.live().rules.get(f"{self.p}rule")
        if live is not None:
            api.update_rls(self.client, live.id, {
                "clause": clause, "group_key": "k" if key else None,
                "tables": sorted(live.tables), "roles": sorted(live.roles),
            })  # fmt: skip

    @rule(domains=st.lists(st.sampled_from(DOMAINS), unique=True, max_size=2))
    def ui_embedded(self, domains: list[str]) -> None:
        dash = next(d for d in self.live().dashboards.values() if d.slug == f"{self.p}dash-1")
        if domains:
            api.set_embedded(self.client, dash.id, domains)
        else:
            api.delete_embedded(self.client, dash.id)

    @rule(with_role=st.booleans())
    def ui_dashboard_roles(self, with_role: bool) -> None:
        live = self.live()
        dash = next(d for d in live.dashboards.values() if d.slug == f"{self.p}dash-1")
        role = live.roles.get(self.role)
        api.set_dashboard_roles(self.client, dash.id, [role.id] if with_role and role else [])

    @rule()
    def ui_delete_role(self) -> None:
        role = self.live().roles.get(self.role)
        if role is not None:
            api.delete_role(self.client, role.id)

    @rule()
    def ui_hand_made_role(self) -> None:
        self.n += 1
        name = f"{self.p}hand-{self.n}"
        api.create_role(self.client, name)
        self.hand_made.add(name)

    # ------------------------------------------------------------------ files
    @rule(picks=st.lists(st.sampled_from(range(len(PERMS))), unique=True))
    def file_role_permissions(self, picks: list[int]) -> None:
        self.write("roles/viewer.yaml", {"name": self.role,
                                         "permissions": [PERMS[i] for i in picks]})  # fmt: skip

    @rule(clause=st.sampled_from(["id > 0", "id > 2", "amount > 1"]))
    def file_rule(self, clause: str) -> None:
        self.write("rls/rule.yaml", {**self.read("rls/rule.yaml"), "clause": clause})

    @rule(domains=st.lists(st.sampled_from(DOMAINS), unique=True, max_size=2))
    def file_embedded(self, domains: list[str]) -> None:
        embedded: Any = {"allowed_domains": domains} if domains else False
        self.write("dashboard_access/dash.yaml",
                   {**self.read("dashboard_access/dash.yaml"), "embedded": embedded})  # fmt: skip

    # ------------------------------------------------------------------ runs
    @rule(prune=st.booleans())
    def run_apply(self, prune: bool) -> None:
        self.apply(prune=prune)

    @rule()
    def run_export(self) -> None:
        export_env(self.env(), self.client)
        for name in list(self.hand_made):  # exported: now a file of this repo
            self.hand_made.discard(name)
        plan = plan_env(self.env(), self.client)
        for action, key, paths in self.ours(plan.changes):
            # the files now say what is live; a role deleted live keeps its file (as an
            # asset's file does), so it is created again
            ok = action == "unchanged" or paths == ["(owner)"] or action == "create"
            assert ok, (action, key, paths)


def test_access_model_converges_and_keeps_what_it_does_not_own(
    superset: SupersetInfo, prov_source: SourceDB, tmp_path: Path
) -> None:
    WORLD.superset, WORLD.source, WORLD.scratch = superset, prov_source, tmp_path
    WORLD.applies = 0
    machine = Access
    machine.TestCase.settings = settings(
        max_examples=3,
        stateful_step_count=12,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(machine, settings=machine.TestCase.settings)
    assert WORLD.applies >= 2

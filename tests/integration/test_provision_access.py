"""Roles, RLS rules and dashboards' access as code, against the real Superset 6.1.0."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from supersetctl.provision import Change, apply_env, drift_env, export_env, plan_env
from supersetctl.provision.access.live import MARK, group_name, read_access
from supersetctl.superset import SupersetClient
from supersetctl.superset import security as api
from tests.support.helpers import REPO_ROOT
from tests.support.provision import ProvRepo

pytestmark = pytest.mark.integration

ACCESS = ("roles", "rls", "dashboard_access")


def _access(plan_changes: list[Change]) -> dict[str, str]:
    return {c.uuid: c.action for c in plan_changes if c.kind in ("role", "rls", "access")}


def _snapshot(prov: Path) -> dict[str, bytes]:
    return {
        p.relative_to(prov).as_posix(): p.read_bytes()
        for folder in ACCESS
        if (prov / folder).is_dir()
        for p in sorted((prov / folder).rglob("*.yaml"))
    }


@pytest.fixture
def access_repo(prov_repo: ProvRepo, ss_client: SupersetClient) -> Iterator[ProvRepo]:
    """The generated layout plus a role, an RLS rule and a dashboard's access; everything of
    the test's names is removed from the shared instance afterwards."""
    p, db = prov_repo.prefix, prov_repo.db_name
    prov = prov_repo.prov
    (prov / "roles").mkdir()
    (prov / "rls").mkdir()
    (prov / "dashboard_access").mkdir()
    (prov / "roles" / "viewer.yaml").write_text(
        f"name: {p}viewer\npermissions:\n- [can_read, Chart]\n- [can_read, Dashboard]\n"
        f"datasets:\n- {{database: {db}, schema: public, table: b1}}\n"
    )
    (prov / "rls" / "rule.yaml").write_text(
        f"name: {p}rule\nfilter_type: Regular\ntables:\n"
        f"- {{database: {db}, schema: public, table: b1}}\n"
        f"- {{database: {db}, schema: public, table: b2}}\n"
        f"roles: [{p}viewer]\ngroup_key: company\nclause: id > 0\ndescription: test rule\n"
    )
    (prov / "dashboard_access" / "dash-1.yaml").write_text(
        f"dashboard: {p}dash-1\nroles: [{p}viewer]\n"
        "embedded:\n  allowed_domains: ['https://host.example']\n"
    )
    yield prov_repo
    live = read_access(ss_client, rule_names=set(), dashboards=set())
    for rule in live.rules.values():
        if rule.name.startswith(p):
            api.delete_rls(ss_client, rule.id)
    for role in live.roles.values():
        if role.name.startswith(p):
            api.delete_role(ss_client, role.id)
    group = live.group_of(prov_repo.owner)
    if group is not None:
        ss_client.request("DELETE", f"api/v1/security/groups/{group['id']}")


def test_access_plan_apply_drift_export_prune(
    access_repo: ProvRepo, ss_client: SupersetClient
) -> None:
    repo, p = access_repo, access_repo.prefix
    env = repo.env()
    first = plan_env(env, ss_client)
    assert _access(first.changes) == {
        f"role:{p}viewer": "create",
        f"rls:{p}rule": "create",
        f"access:{p}dash-1": "create",
    }

    applied = apply_env(env, ss_client)
    assert sorted(applied.access) == sorted(_access(first.changes))
    again = plan_env(env, ss_client)
    assert not again.changed, [c.as_dict() for c in again.pending]
    assert set(_access(again.changes).values()) == {"unchanged"}

    live = read_access(ss_client, rule_names={f"{p}rule"}, dashboards=None)
    role = live.roles[f"{p}viewer"]
    pairs = {live.perms[i] for i in role.permission_ids}
    assert ("can_read", "Chart") in pairs
    assert any(perm == "datasource_access" and "].[b1](id:" in v for perm, v in pairs)
    assert role.id in live.owned_role_ids(repo.owner)
    rule = live.rules[f"{p}rule"]
    assert (rule.owner, rule.description, len(rule.tables)) == (repo.owner, "test rule", 2)
    dash = next(d for d in live.dashboards.values() if d.slug == f"{p}dash-1")
    assert dash.roles == {role.id}
    assert dash.embedded and dash.embedded["allowed_domains"] == ["https://host.example"]
    embedded_uuid = dash.embedded["uuid"]

    # edits in the UI (through the same API the UI uses) are drift, and apply undoes them
    # (a PUT without tables and roles empties them on 6.1.0: the UI, like apply, sends all)
    edited = {"clause": "id > 1", "tables": sorted(rule.tables), "roles": sorted(rule.roles)}
    api.update_rls(ss_client, rule.id, edited)
    api.set_embedded(ss_client, dash.id, ["https://other.example"])
    drift = drift_env(env, ss_client)
    changed = {c.uuid: c for c in drift.changes if c.kind in ("rls", "access")}
    assert [(d.path, d.live, d.desired) for d in changed[f"rls:{p}rule"].diffs] == [
        ("clause", "id > 1", "id > 0")
    ]
    assert changed[f"access:{p}dash-1"].action == "update"
    apply_env(env, ss_client)
    assert not plan_env(env, ss_client).changed
    live = read_access(ss_client, rule_names=set(), dashboards={dash.uuid})
    assert live.dashboards[dash.uuid].embedded["uuid"] == embedded_uuid  # type: ignore[index]

    # export of the unchanged instance writes the same files
    before = _snapshot(repo.prov)
    result = export_env(env, ss_client)
    assert _snapshot(repo.prov) == before
    assert not [w for w in result.written if any(f"/{f}/" in w for f in ACCESS)]

    # a role and a rule made by hand are never pruned; this repo's are, once their files go
    hand_role = api.create_role(ss_client, f"{p}by-hand")
    api.create_rls(
        ss_client,
        {"name": f"{p}by-hand", "filter_type": "Base", "tables": sorted(rule.tables),
         "roles": [], "clause": "1 = 1", "description": "made in the UI"},
    )  # fmt: skip
    for rel in ("roles/viewer.yaml", "rls/rule.yaml", "dashboard_access/dash-1.yaml"):
        (repo.prov / rel).unlink()
    pruned = plan_env(env, ss_client, prune=True)
    assert _access(pruned.changes) == {f"role:{p}viewer": "delete", f"rls:{p}rule": "delete"}
    drifted = _access(drift_env(env, ss_client).changes)
    assert drifted[f"role:{p}by-hand"] == "unmanaged"
    assert drifted[f"rls:{p}by-hand"] == "unmanaged"
    apply_env(env, ss_client, prune=True)
    live = read_access(ss_client, rule_names={f"{p}by-hand"}, dashboards=set())
    assert f"{p}viewer" not in live.roles and f"{p}rule" not in live.rules
    assert live.roles[f"{p}by-hand"].id == hand_role
    assert live.rules[f"{p}by-hand"].owner is None
    assert live.owned_role_ids(repo.owner) == set()
    assert not plan_env(env, ss_client, prune=True).changed


def test_another_owners_role_is_a_conflict_and_the_starter_role_applies(
    access_repo: ProvRepo, ss_client: SupersetClient
) -> None:
    """A role in another repo's ownership group is never changed; the starter roles'
    permissions all exist on Superset 6.1.0."""
    repo, p = access_repo, access_repo.prefix
    other = api.create_role(ss_client, f"{p}theirs")
    group = api.create_group(ss_client, group_name(f"{p}other/repo"), "another repo", [other])
    try:
        (repo.prov / "roles" / "theirs.yaml").write_text(
            f"name: {p}theirs\npermissions:\n- [can_read, Chart]\n"
        )
        starter = REPO_ROOT / "infra/superset/provisioning/roles"
        text = (starter / "embed-guest.yaml").read_text()
        (repo.prov / "roles" / "guest.yaml").write_text(
            text.replace("name: embed_guest", f"name: {p}guest")
        )
        text = (starter / "embed-broker.yaml").read_text().split("datasets:")[0]
        (repo.prov / "roles" / "broker.yaml").write_text(
            text.replace("name: embed_broker", f"name: {p}broker")
            + f"datasets:\n- {{database: {repo.db_name}, schema: public, table: b1}}\n"
        )
        plan = plan_env(repo.env(), ss_client)
        by_key = {c.uuid: c for c in plan.changes}
        assert by_key[f"role:{p}theirs"].action == "conflict"
        assert by_key[f"role:{p}guest"].action == "create"
        assert by_key[f"role:{p}broker"].action == "create"
        (repo.prov / "roles" / "theirs.yaml").unlink()
        apply_env(repo.env(), ss_client)
        assert not plan_env(repo.env(), ss_client).changed
        drift = drift_env(repo.env(), ss_client)
        assert {c.uuid: c.action for c in drift.changes}[f"role:{p}theirs"] == "foreign"
        assert MARK.startswith("managed by supersetctl")
    finally:
        ss_client.request("DELETE", f"api/v1/security/groups/{group}")

"""The access kinds without a server: file models, the plan, ownership, the export's docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from supersetctl.errors import ConfigError
from supersetctl.provision.access.export import export_access
from supersetctl.provision.access.files import (
    AccessFiles,
    LayoutIndex,
    load_access,
    parse_file,
)
from supersetctl.provision.access.live import (
    AccessLive,
    LiveDashboard,
    LiveRole,
    LiveRule,
    group_name,
    split_description,
    with_marker,
)
from supersetctl.provision.access.planner import Ids, dataset_view, plan_access

OWNER = "acme/bi"
KEY = ("odoo", "public", "b1")
INDEX = LayoutIndex({KEY: "ds-1"}, {"dash-1": "dash-uuid"}, {"ds-1": KEY})
IDS = Ids({"ds-1": 7}, {"dash-uuid": 3}, {7: KEY})


def _files(*docs: tuple[str, dict]) -> AccessFiles:  # type: ignore[type-arg]
    folder = {"role": "roles", "rls": "rls", "access": "dashboard_access"}
    return AccessFiles(
        [parse_file(folder[k], f"p/{folder[k]}/{i}.yaml", d) for i, (k, d) in enumerate(docs)]
    )


def _live(*, owned: bool = True, group_owner: str = OWNER) -> AccessLive:
    live = AccessLive()
    live.perms = {1: ("can_read", "Chart"), 2: ("can_read", "Dashboard")}
    live.perms[3] = ("datasource_access", dataset_view(KEY, 7))
    live.roles = {
        "viewer": LiveRole(10, "viewer", frozenset({1, 3})),
        "Gamma": LiveRole(4, "Gamma", frozenset({1})),
        "by-hand": LiveRole(11, "by-hand", frozenset()),
    }
    roles = [{"id": 10, "name": "viewer"}] if owned else []
    live.groups = {group_name(group_owner): {"id": 1, "roles": roles}}
    live.dashboards = {"dash-uuid": LiveDashboard(3, "dash-uuid", "dash-1", "D", frozenset())}
    return live


VIEWER = {"name": "viewer", "permissions": [["can_read", "Chart"]],
          "datasets": [{"database": "odoo", "schema": "public", "table": "b1"}]}  # fmt: skip


def test_a_role_with_its_dataset_by_name_is_unchanged() -> None:
    changes, unresolved = plan_access(_files(("role", VIEWER)), INDEX, IDS, _live(), owner=OWNER)
    assert [(c.uuid, c.action) for c in changes] == [("role:viewer", "unchanged")]
    assert unresolved == []


def test_a_permission_added_shows_both_sides_and_hand_made_roles_only_in_a_drift() -> None:
    doc = {**VIEWER, "permissions": [["can_read", "Chart"], ["can_read", "Dashboard"]]}
    changes, _ = plan_access(_files(("role", doc)), INDEX, IDS, _live(), owner=OWNER)
    assert changes[0].action == "update"
    assert [(d.path, d.live, d.desired) for d in changes[0].diffs] == [
        ("permissions", [], [["can_read", "Dashboard"]])
    ]
    drift, _ = plan_access(
        _files(("role", doc)), INDEX, IDS, _live(), owner=OWNER, prune=True, unmanaged=True
    )
    assert {c.uuid: c.action for c in drift}["role:by-hand"] == "unmanaged"
    assert "role:Gamma" not in {c.uuid for c in drift}  # built-ins are Superset's


def test_prune_deletes_only_owned_roles_and_another_owners_role_is_a_conflict() -> None:
    changes, _ = plan_access(AccessFiles(), INDEX, IDS, _live(), owner=OWNER, prune=True)
    assert [(c.uuid, c.action) for c in changes] == [("role:viewer", "delete")]
    theirs = _live(group_owner="other/repo")
    changes, _ = plan_access(_files(("role", VIEWER)), INDEX, IDS, theirs, owner=OWNER)
    assert changes[0].action == "conflict" and "other/repo" in (changes[0].note or "")
    none, _ = plan_access(AccessFiles(), INDEX, IDS, theirs, owner=OWNER, prune=True)
    assert none == []


def test_an_unknown_permission_is_a_conflict_and_an_unowned_role_is_taken_over() -> None:
    doc = {**VIEWER, "permissions": [["can_fly", "Chart"]]}
    changes, _ = plan_access(_files(("role", doc)), INDEX, IDS, _live(), owner=OWNER)
    assert changes[0].action == "conflict" and "can_fly" in (changes[0].note or "")
    changes, _ = plan_access(_files(("role", VIEWER)), INDEX, IDS, _live(owned=False), owner=OWNER)
    assert [(d.path, d.desired) for d in changes[0].diffs] == [("(owner)", OWNER)]


def test_rls_rule_compares_by_names_and_reads_its_marker() -> None:
    rule = {
        "name": "c1",
        "tables": [{"database": "odoo", "schema": "public", "table": "b1"}],
        "roles": ["viewer"],
        "clause": "company_id = 1",
        "description": "Company 1",
    }
    live = _live()
    text = with_marker("Company 1", OWNER, "p/rls/1.yaml")
    body, owner, file = split_description(text)
    assert (owner, file) == (OWNER, "p/rls/1.yaml")
    live.rules["c1"] = LiveRule(
        5, "c1", "Regular", frozenset({7}), frozenset({10}), "company_id = 2", None,
        body, owner, "p/rls/0.yaml", True,
    )  # fmt: skip
    changes, _ = plan_access(_files(("rls", rule)), INDEX, IDS, live, owner=OWNER)
    assert [(d.path, d.live, d.desired) for d in changes[0].diffs] == [
        ("clause", "company_id = 2", "company_id = 1")
    ]
    assert split_description("plain") == ("plain", None, None)


def test_dashboard_access_roles_and_embedded() -> None:
    doc = {"dashboard": "dash-1", "roles": ["viewer"],
           "embedded": {"allowed_domains": ["https://b.example", "https://a.example"]}}  # fmt: skip
    changes, _ = plan_access(_files(("access", doc)), INDEX, IDS, _live(), owner=OWNER)
    assert [(d.path, d.live, d.desired) for d in changes[0].diffs] == [
        ("roles", [], ["viewer"]),
        ("embedded.allowed_domains", None, ["https://a.example", "https://b.example"]),
    ]
    off = {"dashboard": "dash-1", "embedded": False}
    changes, _ = plan_access(_files(("access", off)), INDEX, IDS, _live(), owner=OWNER)
    assert changes[0].action == "unchanged"


@pytest.mark.parametrize(
    ("folder", "doc", "match"),
    [
        ("roles", {"name": "x", "permissions": [["datasource_access", "[db].[t](id:4)"]]}, "id"),
        ("dashboard_access", {"dashboard": "d", "embedded": {"allowed_domains": []}}, "least"),
        ("rls", {"name": "x", "tables": [], "clause": "1=1"}, "tables"),
        (
            "rls",
            {
                "name": "x",
                "tables": [{"database": "d", "table": "t"}],
                "clause": "1",
                "filter_type": "Other",
            },
            "filter_type",
        ),
    ],
)
def test_bad_files_are_refused_with_the_key(folder: str, doc: dict, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=match):
        parse_file(folder, "f.yaml", doc)


def test_export_writes_sorted_files_once_and_then_nothing(tmp_path: Path) -> None:
    prov = tmp_path / "prov"
    prov.mkdir()
    live = _live()
    live.rules["c1"] = LiveRule(
        5, "c1", "Base", frozenset({7}), frozenset({4}), "1 = 0", "k", None, OWNER, "x", True
    )
    live.dashboards["dash-uuid"].embedded = {"uuid": "e", "allowed_domains": ["https://h"]}
    written, _, _ = export_access(tmp_path, prov, AccessFiles(), INDEX, IDS, live, OWNER)
    assert written == [
        "prov/dashboard_access/dash-1.yaml",
        "prov/rls/c1.yaml",
        "prov/roles/by-hand.yaml",
        "prov/roles/viewer.yaml",
    ]
    assert (prov / "roles/viewer.yaml").read_text() == (
        "name: viewer\npermissions:\n- [can_read, Chart]\ndatasets:\n"
        "- database: odoo\n  schema: public\n  table: b1\n"
    )
    files = load_access(prov, tmp_path)
    again, unchanged, _ = export_access(tmp_path, prov, files, INDEX, IDS, live, OWNER)
    assert again == [] and len(unchanged) == 4


def test_users_in_the_ownership_group_stop_the_apply_and_export_warns(tmp_path: Path) -> None:
    live = _live()
    live.groups[group_name(OWNER)]["users"] = [{"id": 2}]
    changes, _ = plan_access(AccessFiles(), INDEX, IDS, live, owner=OWNER)
    assert [(c.action, c.kind) for c in changes] == [("conflict", "role")]
    assert "1 user(s)" in (changes[0].note or "")
    live.perms[9] = ("datasource_access", "[other].[t](id:99)")
    live.roles["by-hand"] = LiveRole(11, "by-hand", frozenset({1, 9}))
    live.rules["far"] = LiveRule(
        6, "far", "Base", frozenset({99}), frozenset(), "1 = 0", None, None, None, None, True
    )
    _, _, warnings = export_access(tmp_path, tmp_path, AccessFiles(), INDEX, IDS, live, OWNER)
    assert any("[other].[t](id:99)" in w for w in warnings)
    assert any("'far' left out" in w for w in warnings)


def test_drift_lists_a_layout_dashboards_access_set_by_hand() -> None:
    live = _live()
    live.dashboards["dash-uuid"].embedded = {"uuid": "e", "allowed_domains": ["https://h"]}
    changes, _ = plan_access(AccessFiles(), INDEX, IDS, live, owner=OWNER, unmanaged=True)
    assert ("access:dash-1", "unmanaged") in [(c.uuid, c.action) for c in changes]

"""Export and plan agree on any live access model: what ``export`` writes, ``plan`` finds equal
(a hand-made role or rule only changes owner), and a second export writes nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from supersetctl.provision.access.export import export_access
from supersetctl.provision.access.files import LayoutIndex, check_access, load_access
from supersetctl.provision.access.live import (
    AccessLive,
    LiveDashboard,
    LiveRole,
    LiveRule,
    group_name,
)
from supersetctl.provision.access.planner import Ids, dataset_view, plan_access

OWNER = "acme/bi"
K1, K2 = ("odoo", "public", "b1"), ("odoo", "", "b2")
INDEX = LayoutIndex({K1: "ds-1", K2: "ds-2"}, {"dash-1": "d-1"}, {"ds-1": K1, "ds-2": K2})
IDS = Ids({"ds-1": 7, "ds-2": 8}, {"d-1": 3}, {7: K1, 8: K2})
PERMS = {
    1: ("can_read", "Chart"),
    2: ("can_read", "Dashboard"),
    3: ("datasource_access", dataset_view(K1, 7)),
    4: ("datasource_access", dataset_view(K2, 8)),
    5: ("can_write", "Chart"),
    6: ("menu_access", "Row Level Security"),
    7: ("schema_access", "[odoo].[public]"),
}
names = st.text("abcXY _-:1", min_size=1, max_size=12).filter(lambda s: s.strip() == s)
text = st.text("abc =<>'1_", min_size=1, max_size=20).filter(lambda s: s.strip() == s)


@st.composite
def live_models(draw: st.DrawFn) -> AccessLive:
    live = AccessLive(perms=dict(PERMS))
    role_names = draw(st.lists(names, max_size=4, unique=True))
    owned = []
    for i, name in enumerate(role_names):
        perms = draw(st.frozensets(st.sampled_from(sorted(PERMS))))
        live.roles[name] = LiveRole(100 + i, name, perms)
        if draw(st.booleans()):
            owned.append({"id": 100 + i, "name": name})
    live.roles["Gamma"] = LiveRole(4, "Gamma", frozenset({1}))
    live.groups[group_name(OWNER)] = {"id": 1, "roles": owned, "users": []}
    role_ids = sorted(r.id for r in live.roles.values())
    for i, name in enumerate(draw(st.lists(names, max_size=3, unique=True))):
        live.rules[name] = LiveRule(
            200 + i,
            name,
            draw(st.sampled_from(["Regular", "Base"])),
            draw(st.frozensets(st.sampled_from([7, 8]), min_size=1)),
            draw(st.frozensets(st.sampled_from(role_ids))),
            draw(text),
            draw(st.none() | text),
            draw(st.none() | text),
            draw(st.sampled_from([None, OWNER])),
            "x",
            True,
        )
    embedded = draw(st.none() | st.lists(st.sampled_from(["https://a", "https://b"]),
                                          min_size=1, unique=True))  # fmt: skip
    live.dashboards["d-1"] = LiveDashboard(
        3,
        "d-1",
        "dash-1",
        "D",
        draw(st.frozensets(st.sampled_from(role_ids))),
        {"uuid": "e", "allowed_domains": embedded} if embedded else None,
        True,
    )
    return live


@settings(max_examples=150, deadline=None)
@given(live_models())
def test_export_then_plan_is_clean_and_export_again_writes_nothing(live: AccessLive) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        prov = root / "prov"
        prov.mkdir()
        export_access(root, prov, load_access(prov, root), INDEX, IDS, live, OWNER)
        files = load_access(prov, root)
        check_access(files, INDEX)
        changes, unresolved = plan_access(files, INDEX, IDS, live, owner=OWNER)
        assert unresolved == []
        for c in changes:
            assert c.action in ("unchanged", "update"), c.as_dict()
            assert [d.path for d in c.diffs] in ([], ["(owner)"], ["(file)"]), c.as_dict()
        written, _, _ = export_access(root, prov, files, INDEX, IDS, live, OWNER)
        assert written == []

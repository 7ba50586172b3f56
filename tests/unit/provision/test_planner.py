"""The plan, without a server: create, update, unchanged, conflicts, prune, cascades."""

from __future__ import annotations

from pathlib import Path

import pytest

from supersetctl.provision.apply import ConflictError, apply_plan, describe
from supersetctl.provision.live import LiveAsset
from supersetctl.provision.model import Desired
from supersetctl.provision.ownership import Marker, with_marker, without_marker
from supersetctl.provision.planner import make_plan
from tests.support.provision_unit import CH_UUID, DA_UUID, DB_UUID, DS_UUID, OWNER, settled

ORPHAN = "55555555-5555-4555-8555-555555555555"
THEIRS = "66666666-6666-4666-8666-666666666666"
TOOL = "77777777-7777-4777-8777-777777777777"
BY_HAND = "88888888-8888-4888-8888-888888888888"


def _chart(uuid: str, owner: str | None, managed: bool, pk: int) -> LiveAsset:
    data: dict[str, object] = {"slice_name": uuid[:4], "uuid": uuid, "params": {}}
    if owner:
        data = with_marker("chart", dict(data), Marker(owner, f"x/{uuid[:4]}.yaml"))
    return LiveAsset("chart", pk, uuid, f"chart {uuid[:4]}", managed, "t", None, data)


def _actions(plan_changes: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(c.action, c.kind) for c in plan_changes]


def test_create_update_unchanged(tmp_path: Path) -> None:
    desired, live = settled(tmp_path)
    del live.assets[DA_UUID]
    assert live.assets[CH_UUID].data is not None
    live.assets[CH_UUID].data["slice_name"] = "Edited"
    plan = make_plan(desired, live, owner=OWNER)
    assert _actions(plan.changes) == [
        ("unchanged", "database"),
        ("unchanged", "dataset"),
        ("update", "chart"),
        ("create", "dashboard"),
    ]
    assert "slice_name" in describe(plan.changes[2])
    # a live asset the cache vouched for carries no content: it counts as unchanged
    live.assets[CH_UUID].data = None
    assert make_plan(desired, live, owner=OWNER).changes[2].action == "unchanged"


def test_prune_deletes_only_this_repos_assets_and_lists_the_others(tmp_path: Path) -> None:
    desired, live = settled(tmp_path)
    live.assets[ORPHAN] = _chart(ORPHAN, OWNER, True, 9)  # ours, its file was removed
    live.assets[THEIRS] = _chart(THEIRS, "other/repo", True, 10)  # another repo's
    live.assets[TOOL] = _chart(TOOL, None, True, 11)  # preset-cli --disallow-edits
    live.assets[BY_HAND] = _chart(BY_HAND, None, False, 12)  # made in the UI
    assert not make_plan(desired, live, owner=OWNER).changed  # no prune: files only

    pruned = make_plan(desired, live, owner=OWNER, prune=True)
    extras = {c.uuid: c.action for c in pruned.changes if c.uuid not in {d.uuid for d in desired}}
    assert extras == {ORPHAN: "delete", THEIRS: "foreign", TOOL: "foreign"}
    foreign = next(c for c in pruned.changes if c.uuid == THEIRS)
    assert "other/repo" in describe(foreign) and "owned elsewhere" in describe(foreign)

    drift = make_plan(desired, live, owner=OWNER, prune=True, unmanaged=True)
    assert {c.uuid: c.action for c in drift.changes}[BY_HAND] == "unmanaged"


def test_a_database_is_pruned_only_when_its_connection_is_this_environments(
    tmp_path: Path,
) -> None:
    desired, live = settled(tmp_path)
    other_db = "99999999-9999-4999-8999-999999999999"
    live.assets[other_db] = LiveAsset(
        "database", 7, other_db, "old", True, "t", None, {"sqlalchemy_uri": "postgresql://u@h/x"}
    )
    mine = make_plan(desired, live, owner=OWNER, prune=True, owns_database=lambda a: True)
    assert [c.action for c in mine.changes if c.uuid == other_db] == ["delete"]
    theirs = make_plan(desired, live, owner=OWNER, prune=True)
    assert [c.action for c in theirs.changes if c.uuid == other_db] == ["foreign"]


def test_force_sends_unchanged_assets_too(tmp_path: Path) -> None:
    desired, live = settled(tmp_path)
    assert not make_plan(desired, live, owner=OWNER).changed
    forced = make_plan(desired, live, owner=OWNER, force=True)
    assert [c.action for c in forced.changes] == ["update"] * 4


def test_an_asset_another_repo_owns_is_a_conflict_and_nothing_is_sent(tmp_path: Path) -> None:
    desired, live = settled(tmp_path)
    chart = live.assets[CH_UUID]
    assert chart.data is not None
    chart.data = with_marker("chart", chart.data, Marker("other/repo", "theirs.yaml"))
    plan = make_plan(desired, live, owner=OWNER)
    (conflict,) = plan.conflicts
    assert conflict.uuid == CH_UUID and plan.changed
    assert "other/repo" in (conflict.note or "")
    with pytest.raises(ConflictError, match="other/repo"):
        apply_plan(plan, desired, client=None, live=live)  # type: ignore[arg-type]


def test_a_slug_held_by_another_live_dashboard_is_a_conflict_naming_both(
    tmp_path: Path,
) -> None:
    desired, live = settled(tmp_path)
    mine = live.assets.pop(DA_UUID)
    assert mine.data is not None
    other = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
    data = without_marker("dashboard", {**mine.data, "uuid": other})
    live.assets[other] = LiveAsset(
        "dashboard", 40, other, "Sales (by hand)", False, "t", mine.ident, data
    )
    plan = make_plan(desired, live, owner=OWNER)
    (conflict,) = plan.conflicts
    assert conflict.file and conflict.file.endswith("dashboards/sales/dashboard.yaml")
    note = conflict.note or ""
    assert "slug 'sales'" in note and other in note and "made in Superset" in note


def test_taking_over_an_asset_with_no_owner_says_so(tmp_path: Path) -> None:
    desired, live = settled(tmp_path)
    chart = live.assets[CH_UUID]
    assert chart.data is not None
    chart.data["params"].pop("supersetctl")  # managed, by a tool that wrote no owner
    (change,) = make_plan(desired, live, owner=OWNER).pending
    assert [(d.path, d.live, d.desired) for d in change.diffs] == [("(owner)", None, OWNER)]
    chart.managed = False  # made in the UI
    (change,) = make_plan(desired, live, owner=OWNER).pending
    assert ("is_managed_externally", False, True) in [
        (d.path, d.live, d.desired) for d in change.diffs
    ]


def test_a_file_renamed_or_moved_is_an_update_of_the_marker(tmp_path: Path) -> None:
    desired, live = settled(tmp_path)
    chart = live.assets[CH_UUID]
    assert chart.data is not None
    chart.data = with_marker("chart", chart.data, Marker(OWNER, "dashboards/old/charts/r.yaml"))
    (change,) = make_plan(desired, live, owner=OWNER).pending
    assert change.diffs[0].path == "(file)"
    assert change.diffs[0].live == "dashboards/old/charts/r.yaml"


def test_what_refers_to_a_created_asset_is_sent_again(tmp_path: Path) -> None:
    desired, live = settled(tmp_path)
    del live.assets[DS_UUID]  # deleted in the UI: apply makes it again, with a new id
    plan = make_plan(desired, live, owner=OWNER)
    by_kind = {c.kind: c for c in plan.changes}
    assert by_kind["dataset"].action == "create"
    assert by_kind["chart"].action == "update"
    assert DS_UUID in (by_kind["chart"].note or "")
    assert by_kind["dashboard"].action == "unchanged"  # the chart keeps its id
    del live.assets[CH_UUID]
    again = {c.kind: c.action for c in make_plan(desired, live, owner=OWNER).changes}
    assert again == {
        "database": "unchanged",
        "dataset": "create",
        "chart": "create",
        "dashboard": "update",
    }


def test_a_dashboard_naming_a_charts_old_id_is_sent_again(tmp_path: Path) -> None:
    desired, live = settled(tmp_path)
    live.assets[CH_UUID].id = 9999  # deleted and made again: the dashboard names its old id
    (change,) = make_plan(desired, live, owner=OWNER).pending
    assert change.kind == "dashboard"
    assert [d.path for d in change.diffs] == ["position.CHART-1.meta.chartId"]


def test_every_file_has_a_marker_but_the_database(tmp_path: Path) -> None:
    desired, _ = settled(tmp_path)
    where = {"chart": "params", "dashboard": "metadata", "dataset": "extra"}
    for d in desired:
        if d.kind == "database":
            assert "supersetctl" not in str(d.data)
            continue
        assert d.data[where[d.kind]]["supersetctl"] == {"owner": OWNER, "file": d.asset.rel}
        assert d.data["is_managed_externally"] is True
    assert isinstance(desired[0], Desired) and desired[0].uuid == DB_UUID

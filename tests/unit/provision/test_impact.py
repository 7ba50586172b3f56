"""The blast radius a plan prints: the charts and dashboards each change reaches, from the
files alone."""

from __future__ import annotations

from typing import Any

from supersetctl.provision.apply import describe
from supersetctl.provision.impact import Reach, attach, impact, reached
from supersetctl.provision.layout import AssetFile
from supersetctl.provision.model import Change, Desired, Plan


def _d(kind: str, uid: str, **data: Any) -> Desired:
    raw = {"uuid": uid, **data}
    return Desired(AssetFile(kind, f"{kind}/{uid}.yaml", raw), raw)


def _board(uid: str, title: str, *charts: str) -> Desired:
    position = {f"CHART-{c}": {"type": "CHART", "id": f"CHART-{c}", "meta": {"uuid": c}}
                for c in charts}  # fmt: skip
    return _d("dashboard", uid, dashboard_title=title, slug=uid, position=position)


# two databases; db1 -> ds1 -> c1, c2 ; db1 -> ds2 -> c3 ; db2 -> ds3 -> c4 (on no dashboard)
GRAPH = [
    _d("database", "db1", database_name="odoo"),
    _d("database", "db2", database_name="other"),
    _d("dataset", "ds1", table_name="orders", database_uuid="db1"),
    _d("dataset", "ds2", table_name="moves", database_uuid="db1"),
    _d("dataset", "ds3", table_name="misc", database_uuid="db2"),
    _d("chart", "c1", slice_name="Revenue", dataset_uuid="ds1"),
    _d("chart", "c2", slice_name="Orders", dataset_uuid="ds1"),
    _d("chart", "c3", slice_name="Moves", dataset_uuid="ds2"),
    _d("chart", "c4", slice_name="Lonely", dataset_uuid="ds3"),
    _board("b1", "Sales", "c1", "c2"),
    _board("b2", "Stock", "c2", "c3"),
]


def test_each_kind_reaches_what_is_below_and_the_dashboards_that_show_it() -> None:
    reach = impact(GRAPH)
    assert reach["db1"] == Reach(("Moves", "Orders", "Revenue"), ("Sales", "Stock"))
    assert reach["ds1"] == Reach(("Orders", "Revenue"), ("Sales", "Stock"))
    assert reach["ds2"] == Reach(("Moves",), ("Stock",))
    assert reach["c2"] == Reach((), ("Sales", "Stock"))  # a chart lists its dashboards only
    assert reach["c4"] == Reach()  # on no dashboard
    assert reach["ds3"] == Reach(("Lonely",), ())
    assert reach["b1"] == Reach((), ("Sales",))
    assert reached(GRAPH, ["b2"]) == {"b2", "c2", "c3"}


def test_the_plan_lines_name_the_reach_and_count_the_rest() -> None:
    plan = Plan(
        [
            Change("update", "dataset", "ds1", "orders", "dataset/ds1.yaml"),
            Change("unchanged", "dataset", "ds2", "moves", "dataset/ds2.yaml"),
            Change("update", "dashboard", "b1", "Sales", "dashboard/b1.yaml"),
            Change("create", "chart", "c4", "Lonely", "chart/c4.yaml"),
        ]
    )
    attach(plan, GRAPH)
    upd, same, board, lonely = plan.changes
    assert describe(upd).splitlines()[1] == (
        "    reaches 2 charts (Orders, Revenue), 2 dashboards (Sales, Stock)"
    )
    assert same.reach is None and board.reach is None  # unchanged; a dashboard is itself
    assert describe(lonely).splitlines()[1] == "    reaches no chart or dashboard"
    assert upd.as_dict()["reaches"] == {"charts": ["Orders", "Revenue"],
                                        "dashboards": ["Sales", "Stock"]}  # fmt: skip


def test_a_wide_reach_is_counted_past_the_first_names() -> None:
    names = tuple(f"Chart {i:02}" for i in range(12))
    assert Reach(names, ("One",)).describe() == (
        "12 charts (Chart 00, Chart 01, Chart 02, Chart 03, Chart 04, +7 more), 1 dashboard (One)"
    )


def test_the_markdown_plan_lists_charts_and_dashboards_of_a_dataset_change() -> None:
    from supersetctl.provision.report import plan_markdown

    plan = Plan([Change("update", "dataset", "ds1", "orders", "dataset/ds1.yaml")])
    attach(plan, GRAPH)
    md = plan_markdown("staging", plan)
    assert "  - charts: *Orders*, *Revenue*\n  - dashboards: *Sales*, *Stock*" in md


def test_the_drift_report_names_what_a_drifted_dataset_reaches() -> None:
    from supersetctl.provision.report import drift_markdown

    plan = Plan([Change("update", "dataset", "ds1", "orders", "dataset/ds1.yaml")])
    attach(plan, GRAPH)
    md = drift_markdown("prod", plan, "https://bi.example.com")
    assert md.startswith("### supersetctl drift: prod (https://bi.example.com): drift\n")
    assert "  - charts: *Orders*, *Revenue*\n  - dashboards: *Sales*, *Stock*" in md

"""A plan as Markdown: counts, verdict, field diffs, the dashboards each change reaches, and
never a secret."""

from __future__ import annotations

import secrets
from pathlib import Path

from supersetctl import redact
from supersetctl.provision.impact import attach, touched_dashboards
from supersetctl.provision.layout import load_layout
from supersetctl.provision.model import Change, Desired, Plan
from supersetctl.provision.normalize import FieldDiff
from supersetctl.provision.report import error_markdown, plan_markdown
from supersetctl.provision.resolve import resolve
from tests.support.provision_unit import CH_UUID, DA_UUID, DB_UUID, DS_UUID, tiny_layout, vars_


def _desired(tmp_path: Path, password: str | None = None) -> list[Desired]:
    tiny_layout(tmp_path)
    pw = password or "pw-" + secrets.token_hex(4)
    return resolve(load_layout(tmp_path), vars_(ODOO_RO_PASSWORD=pw))


def test_each_kind_reaches_the_dashboards_above_it(tmp_path: Path) -> None:
    touched = touched_dashboards(_desired(tmp_path))
    assert touched == {DB_UUID: ["Sales"], DS_UUID: ["Sales"], CH_UUID: ["Sales"],
                       DA_UUID: ["Sales"]}  # fmt: skip


def test_markdown_of_a_plan(tmp_path: Path) -> None:
    password = "pw-" + secrets.token_hex(6)
    desired = _desired(tmp_path, password)
    redact.register(password)
    plan = Plan(
        [
            Change(
                "update",
                "chart",
                CH_UUID,
                "Revenue",
                "dashboards/sales/charts/revenue.yaml",
                3,
                [
                    FieldDiff("slice_name", "Old", "Revenue"),
                    FieldDiff("params.metric", {"x": password}, "count"),
                ],
            ),
            Change("unchanged", "dataset", DS_UUID, "sale_orders"),
            Change("delete", "chart", "9" * 32, "Gone", None, 8),
        ]
    )
    attach(plan, desired)
    md = plan_markdown("prod", plan, "https://bi.example.com")
    lines = md.splitlines()
    assert lines[0] == "<!-- supersetctl-plan:prod -->"
    assert lines[1] == "### supersetctl plan: prod (https://bi.example.com): changes to apply"
    assert "1 update, 1 delete, 1 unchanged." in md
    assert "- `~` **update** chart *Revenue* (`dashboards/sales/charts/revenue.yaml`)" in md
    assert "  - dashboards: *Sales*" in md
    assert "  | `slice_name` | `Old` | `Revenue` |" in md
    assert "- `-` **delete** chart *Gone* (id 8)" in md
    assert "sale_orders" not in md  # unchanged assets are counted, not listed
    assert password not in md


def test_verdicts_and_errors(tmp_path: Path) -> None:
    assert ": in sync" in plan_markdown("staging", Plan([]))
    conflict = Plan([Change("conflict", "dashboard", DA_UUID, "Sales", note="slug taken")])
    md = plan_markdown("staging", conflict)
    assert "conflicts: `apply` would refuse" in md and "  - slug taken" in md
    token = "tok-" + secrets.token_hex(8)
    redact.register(token)
    err = error_markdown("prod", f"login failed with {token}")
    assert err.startswith("<!-- supersetctl-plan:prod -->\n### supersetctl plan: prod: failed")
    assert token not in err


def test_a_huge_plan_is_cut_with_a_pointer(tmp_path: Path) -> None:
    changes = [Change("create", "chart", f"{i:032d}", f"c{i}") for i in range(250)]
    md = plan_markdown("dev", Plan(changes))
    assert md.count("**create**") == 200
    assert "... 50 more (run `supersetctl plan --env dev`)" in md

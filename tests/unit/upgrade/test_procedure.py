"""The upgrade's steps and its roll back, on a target that records what it is asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from supersetctl.errors import LocalStackError
from supersetctl.upgrade import ChartAnswer, ChartReport, MetadataBackup, UpgradeFailed, upgrade
from supersetctl.upgrade.checks import query_context


class FakeTarget:
    def __init__(self, *, fail: str | None = None, charts_ok: bool = True) -> None:
        self.running = "6.0.0"
        self.rev = "r600"
        self.fail = fail
        self.charts_ok = charts_ok
        self.calls: list[str] = []
        self.switched_to = "6.0.0"

    def version(self) -> str:
        return self.running

    def revision(self) -> str | None:
        return self.rev

    def backup(self) -> MetadataBackup:
        self.calls.append("backup")
        if self.fail == "backup":
            raise UpgradeFailed("pg_dump failed")
        return MetadataBackup("/backups/superset-dev.tar", self.rev)

    def switch(self, version: str) -> None:
        self.calls.append(f"switch {version}")
        self.switched_to = version

    def migrate(self) -> None:
        self.calls.append("migrate")
        self.rev = "r610"
        if self.fail == "migrate":
            raise LocalStackError("superset db upgrade failed")

    def start(self) -> None:
        self.calls.append(f"start {self.switched_to}")
        if self.fail == "health" and self.switched_to == "6.1.0":
            raise LocalStackError("Superset exited (status 3) before it was healthy")
        self.running = self.switched_to

    def plan_changes(self) -> int:
        self.calls.append("plan")
        return 2 if self.fail == "plan" and self.switched_to == "6.1.0" else 0

    def charts(self) -> ChartReport:
        self.calls.append("charts")
        bad = not self.charts_ok and self.switched_to == "6.1.0"
        return ChartReport([ChartAnswer(1, "Revenue", 0 if bad else 12, "boom" if bad else None)])

    def restore(self, backup: MetadataBackup) -> str | None:
        self.calls.append("restore")
        self.rev = backup.revision or ""
        return self.rev


def test_success_runs_every_step_in_order() -> None:
    target = FakeTarget()
    result = upgrade(target, "6.1.0")
    assert result.ok and result.serving == "6.1.0" and not result.rolled_back
    assert target.calls == [
        *("plan", "charts", "backup", "switch 6.1.0", "migrate", "start 6.1.0", "plan", "charts")
    ]
    assert [s for s, _ in result.steps] == [
        "preflight",
        "backup",
        "switch",
        "migrate",
        "health",
        "plan",
        "charts",
    ]
    assert (result.revision_before, result.revision_after) == ("r600", "r610")
    data = result.as_dict()
    assert data["ok"] and data["charts"] == {"charts": 1, "answered": 1, "failed": []}


@pytest.mark.parametrize("step", ["migrate", "health", "plan"])
def test_a_failed_step_restores_and_starts_the_old_version(step: str) -> None:
    target = FakeTarget(fail=step)
    result = upgrade(target, "6.1.0")
    assert not result.ok and result.rolled_back and result.rollback_error is None
    assert result.failed_step == step and result.serving == "6.0.0"
    after = target.calls[target.calls.index("restore") :]
    assert after == ["restore", "switch 6.0.0", "start 6.0.0", "charts"]
    assert target.rev == "r600" == result.revision_after
    assert [s for s, _ in result.rollback_steps] == ["restore", "switch back", "health", "charts"]


def test_charts_that_do_not_answer_fail_the_upgrade() -> None:
    target = FakeTarget(charts_ok=False)
    result = upgrade(target, "6.1.0")
    assert result.failed_step == "charts" and "1 of 1 chart queries failed" in str(result.reason)
    assert result.rolled_back and result.serving == "6.0.0"


def test_a_failed_backup_changes_nothing() -> None:
    target = FakeTarget(fail="backup")
    with pytest.raises(UpgradeFailed, match="pg_dump"):
        upgrade(target, "6.1.0")
    assert target.calls == ["plan", "charts", "backup"]


def test_pending_changes_or_broken_charts_stop_it_before_anything_changes() -> None:
    pending = FakeTarget()
    pending.plan_changes = lambda: 3  # type: ignore[method-assign]
    with pytest.raises(UpgradeFailed, match=r"plan finds 3 change\(s\) before the upgrade"):
        upgrade(pending, "6.1.0")
    broken = FakeTarget(charts_ok=False)
    broken.switched_to = "6.1.0"  # its charts fail already
    with pytest.raises(UpgradeFailed, match="before the upgrade: 1 of 1 chart queries failed"):
        upgrade(broken, "6.1.0")
    assert "backup" not in pending.calls + broken.calls


def test_the_running_version_is_no_upgrade() -> None:
    with pytest.raises(UpgradeFailed, match="runs already"):
        upgrade(FakeTarget(), "6.0.0")


def test_query_context_from_params_and_saved() -> None:
    chart = {
        "id": 7,
        "datasource_id": 3,
        "datasource_type": "table",
        "params": '{"viz_type": "echarts_timeseries_bar", "x_axis": "order_date", '
        '"time_grain_sqla": "P1M", "metrics": ["revenue"], "groupby": ["state"], '
        '"row_limit": 100, "order_desc": true}',
        "query_context": None,
    }
    body = query_context(chart)
    query = body["queries"][0]
    assert body["datasource"] == {"id": 3, "type": "table"}
    assert query["metrics"] == ["revenue"] and query["row_limit"] == 100
    assert query["columns"][0]["sqlExpression"] == "order_date"
    assert query["columns"][0]["timeGrain"] == "P1M" and query["columns"][1] == "state"
    assert query["orderby"] == [["revenue", False]]
    assert body["form_data"]["slice_id"] == 7
    big = query_context({"id": 8, "datasource_id": 3, "params": '{"metric": "orders"}'})
    assert big["queries"][0]["metrics"] == ["orders"] and big["queries"][0]["columns"] == []
    saved = query_context(
        {"id": 9, "query_context": '{"queries": [{"metrics": ["x"]}], "form_data": {}}'}
    )
    assert saved["queries"] == [{"metrics": ["x"]}] and saved["form_data"]["slice_id"] == 9


def test_an_interrupt_mid_way_is_rolled_back() -> None:
    target = FakeTarget()

    def interrupted() -> None:
        target.rev = "r610"
        raise KeyboardInterrupt

    target.migrate = interrupted  # type: ignore[method-assign]
    result = upgrade(target, "6.1.0")
    assert result.failed_step == "migrate" and result.reason == "interrupted"
    assert result.rolled_back and result.serving == "6.0.0" and target.rev == "r600"


def test_the_cli_text_says_what_serves(tmp_path: Path) -> None:
    from supersetctl.cli.upgrade import _text
    from supersetctl.paths import RepoPaths

    paths = RepoPaths(tmp_path)
    ok = upgrade(FakeTarget(), "6.1.0")
    text = _text(ok, paths)
    assert "upgraded: Superset 6.0.0 -> 6.1.0 (revision r600 -> r610)" in text
    assert "1/1 chart queries answered" in text and "steps: preflight" in text
    failed = _text(upgrade(FakeTarget(fail="health"), "6.1.0"), paths)
    assert "FAILED at health: Superset exited (status 3)" in failed
    assert "Superset 6.0.0 serves again on the restored metadata (revision r600)" in failed

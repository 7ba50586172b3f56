"""The upgrade gate of `bump`, with an injected gate: a broken chart blocks the bump and nothing
is written, --no-gate says so, a version without a runtime lock is a usage error; and the
scratch stack is removed however its block ends (a stand-in for `up`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from supersetctl.check import ChartResult, CheckReport, DatasetResult
from supersetctl.errors import UsageError
from supersetctl.image import bump as bump_mod
from supersetctl.image import gate as gate_mod
from supersetctl.image.bump import BumpRequest, bump, pr_body
from supersetctl.image.gate import GateBlocked, GateResult, gate_version, scratch_stack
from supersetctl.image.reference import ImageReference
from supersetctl.image.registry import Resolved
from supersetctl.local.runtime import CACHE_ENV
from supersetctl.paths import RepoPaths

D1 = "sha256:" + "1" * 64
TAG = "6.1.0-1a2b3c4d5e6f"


def registry(ref: ImageReference) -> Resolved:
    return Resolved(ref.with_digest(D1), D1, "application/json", 10, "HEAD")


def chart(name: str, error: str | None = None) -> ChartResult:
    return ChartResult(
        uuid=name,
        name=name,
        file=f"infra/superset/provisioning/dashboards/x/charts/{name}.yaml",
        dataset="analytics.sale_orders",
        dashboards=["Sales overview"],
        error=error,
    )


def report(*charts: ChartResult) -> CheckReport:
    sets = [DatasetResult("d1", "analytics.sale_orders"), DatasetResult("d2", "analytics.x")]
    return CheckReport("dev", list(charts), sets, seconds=1.0)


def fake_gate(result: CheckReport, seen: list[str]) -> Callable[[str], GateResult]:
    def gate(version: str) -> GateResult:
        seen.append(version)
        out = GateResult(version, result, [("stack", 40.0), ("import", 2.0)], 44.4)
        if not out.ok:
            raise GateBlocked(out)
        return out

    return gate


def snapshot(paths: RepoPaths) -> tuple[str, str]:
    return paths.manifest.read_text(), paths.app_spec.read_text()


def test_a_broken_chart_blocks_the_bump_and_nothing_is_written(repo_copy: RepoPaths) -> None:
    before, seen = snapshot(repo_copy), []
    broken = report(chart("Revenue by month"), chart("Top customers", "column x does not exist"))
    with pytest.raises(GateBlocked) as caught:
        bump(repo_copy, BumpRequest(TAG), registry, gate=fake_gate(broken, seen))
    assert seen == ["6.1.0"]
    assert snapshot(repo_copy) == before
    message = str(caught.value)
    assert "Top customers" in message and "column x does not exist" in message
    assert "analytics.sale_orders" in message and "Sales overview" in message
    assert "Revenue by month" not in message  # only what broke
    assert "nothing written" in message
    assert caught.value.exit_code == 1
    assert caught.value.result.as_dict()["failed"]["charts"] == ["Top customers"]


def test_a_passing_gate_is_in_the_plan_and_the_pr_body(repo_copy: RepoPaths) -> None:
    seen: list[str] = []
    plan = bump(repo_copy, BumpRequest(TAG), registry, gate=fake_gate(report(chart("a")), seen))
    assert plan.changed and plan.gate is not None
    assert json.loads(repo_copy.manifest.read_text())["image"]["tag"] == TAG
    assert "- gate: 1 charts and 2 datasets answered on Superset 6.1.0 (44 s)" in pr_body(plan)
    assert plan.as_dict()["gate"]["ok"] is True
    # the same bump again: nothing to pin, so no gate
    again = bump(repo_copy, BumpRequest(TAG), registry, gate=fake_gate(report(), seen))
    assert not again.changed and again.gate is None and again.gate_skipped == "nothing to pin"
    assert seen == ["6.1.0"]


def test_without_a_gate_the_pr_body_says_the_bump_was_not_gated(repo_copy: RepoPaths) -> None:
    plan = bump(repo_copy, BumpRequest(TAG), registry)
    assert plan.gate is None
    body = pr_body(plan)
    assert "this bump was not gated" in body and "--no-gate" in body
    assert plan.as_dict()["gate"] == {"ran": False, "reason": "not gated (--no-gate)"}


@pytest.mark.parametrize(
    ("tag", "version"),
    [("6.1.0-1a2b3c4d5e6f", "6.1.0"), ("6.1.0", "6.1.0"), ("v6.0-3", "6.0.0")],
)
def test_gate_version_is_the_tags_version_part(
    repo_copy: RepoPaths, tag: str, version: str
) -> None:
    assert gate_version(repo_copy, tag) == version


def test_a_version_without_a_runtime_lock_is_a_usage_error(repo_copy: RepoPaths) -> None:
    with pytest.raises(UsageError) as caught:
        gate_version(repo_copy, "6.2.0-1a2b3c4d5e6f")
    text = str(caught.value)
    assert "Superset 6.2.0" in text
    assert "6.1.0 (image/requirements.txt)" in text
    assert "6.0.0 (image/previous/requirements.txt)" in text
    assert "apache-superset==6.2.0 in image/requirements.in" in text
    with pytest.raises(UsageError, match="names no Superset version"):
        gate_version(repo_copy, "sha-1a2b3c4d")


def test_cli_gate_blocks_passes_and_can_be_skipped(
    repo_copy: RepoPaths,
    run_cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(bump_mod, "default_resolver", lambda environ: registry)
    outcome: dict[str, CheckReport] = {}

    def run_gate(paths: RepoPaths, version: str, **kw: Any) -> GateResult:
        kw["progress"].phase(f"gate: starting Superset {version} on a scratch local stack")
        return fake_gate(outcome["report"], [])(version)

    monkeypatch.setattr(gate_mod, "run_gate", run_gate)
    repo = ["--repo", str(repo_copy.root)]
    before = snapshot(repo_copy)

    outcome["report"] = report(chart("Top customers", "column x does not exist"))
    blocked = run_cli([*repo, "bump", "--tag", TAG])
    assert blocked.exit_code == 1
    assert "Top customers" in blocked.stderr and "blocked" in blocked.stderr
    assert "gate: starting Superset 6.1.0" in blocked.stderr  # a progress line
    assert snapshot(repo_copy) == before
    as_json = run_cli([*repo, "--format", "json", "bump", "--tag", TAG])
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert data["gate"]["failed"]["charts"] == ["Top customers"]
    assert data["error"]["type"] == "GateBlocked"

    body = tmp_path / "body.md"
    skipped = run_cli([*repo, "bump", "--tag", TAG, "--no-gate", "--pr-body", str(body)])
    assert skipped.exit_code == 0, skipped.stderr
    assert "warning: --no-gate" in skipped.stderr
    assert "this bump was not gated" in body.read_text()

    outcome["report"] = report(chart("Top customers"))
    passed = run_cli([*repo, "--format", "json", "bump", "--tag", "6.1.0-2a2b3c4d5e6f"])
    assert passed.exit_code == 0, passed.stderr
    assert json.loads(passed.stdout)["gate"]["summary"] == (
        "gate: 1 charts and 2 datasets answered on Superset 6.1.0 (44 s)"
    )


def test_cli_refuses_a_version_without_a_lock_before_asking_the_registry(
    repo_copy: RepoPaths,
    run_cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_registry(ref: ImageReference) -> Resolved:
        raise AssertionError("the registry was asked")

    monkeypatch.setattr(bump_mod, "default_resolver", lambda environ: no_registry)
    result = run_cli(["--repo", str(repo_copy.root), "bump", "--tag", "7.0.0-1a2b3c4d5e6f"])
    assert result.exit_code == 2
    assert "no runtime lock for Superset 7.0.0" in result.stderr


class _Stack:
    """Stands in for LocalStack: records what the gate asked of it."""

    made: list[_Stack] = []

    def __init__(self, paths: RepoPaths, settings: Any, *, runtime: Any) -> None:
        self.paths, self.settings, self.runtime = paths, settings, runtime
        self.stopped = False
        self.provisioning: bool | None = None
        _Stack.made.append(self)

    def up(self, **kw: Any) -> Any:
        self.provisioning = self.paths.provisioning.exists()
        assert self.paths.analytics.is_dir()  # the access model's views are there
        raise KeyboardInterrupt  # Ctrl-C while Superset starts

    def down(self) -> list[str]:
        self.stopped = True
        return []


def test_the_scratch_stack_is_stopped_and_removed_on_ctrl_c(
    repo_copy: RepoPaths, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import supersetctl.local.stack as stack_mod

    monkeypatch.setattr(stack_mod, "LocalStack", _Stack)
    _Stack.made.clear()
    cache = tmp_path / "cache"
    with (
        pytest.raises(KeyboardInterrupt),
        scratch_stack(repo_copy, "6.1.0", environ={CACHE_ENV: str(cache)}),
    ):
        pass
    (made,) = _Stack.made
    assert made.stopped
    assert not made.paths.root.parent.exists()  # the temp folder is gone
    # its own ports, its own copy without provisioning files, the runtime shared by lock
    assert made.settings.superset_port != 8088 and made.settings.pg_port != 54329
    assert made.runtime.venv.parent == cache and made.runtime.version == "6.1.0"
    assert made.provisioning is False
    assert not (repo_copy.root / ".local").exists()  # the repo's own stack is never touched


def test_shared_runtimes_default_to_the_user_cache(tmp_path: Path) -> None:
    env = gate_mod.shared_runtimes({"XDG_CACHE_HOME": str(tmp_path)})
    assert env[CACHE_ENV] == str(tmp_path / "supersetctl")
    assert gate_mod.shared_runtimes({CACHE_ENV: "/x"})[CACHE_ENV] == "/x"

"""How long `bump`'s upgrade gate takes: a scratch stack of the candidate's Superset version,
every bundle applied, every chart and dataset checked, the stack removed.

Method: a scratch copy of the repo (infra/, config/, image/); `bump` run in-process with the
registry's answer stubbed (no network here) and the real gate (:func:`run_gate` on
:func:`scratch_stack`), wall-clock seconds; the gate's own step times (stack, import, check)
and the stack's (`up`'s steps) as they report them. In order: two passing bumps (each its own
stack), then one with a chart that asks for a column its dataset lacks (blocked), and `bump
--no-gate` for comparison. The pinned runtime venv is installed before (shared by its lock's
digest, as the gate uses it). The machine is shared with other work: the load average before
and after is recorded.
Run: .venv/bin/python bench/gate.py   (writes docs/benchmarks/gate.md)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the repo root, for bench._common and tests

from bench._common import machine, scratch_repo, write_section  # noqa: E402

from supersetctl.image.bump import BumpRequest, bump  # noqa: E402
from supersetctl.image.gate import (  # noqa: E402
    GateBlocked,
    GateResult,
    GateStack,
    run_gate,
    scratch_stack,
    shared_runtimes,
)
from supersetctl.image.reference import ImageReference  # noqa: E402
from supersetctl.image.registry import Resolved  # noqa: E402
from supersetctl.local.runtime import SUPERSET_VERSION, ensure_venv, runtime_for  # noqa: E402
from supersetctl.paths import RepoPaths  # noqa: E402
from supersetctl.progress import NO_PROGRESS, Progress  # noqa: E402

DIGEST = "sha256:" + "1" * 64
CHART = "infra/superset/provisioning/dashboards/crm-pipeline/charts/pipeline-by-stage.yaml"


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _registry(ref: ImageReference) -> Resolved:
    return Resolved(ref.with_digest(DIGEST), DIGEST, "application/json", 10, "HEAD")


def _steps(steps: tuple[tuple[str, float], ...]) -> str:
    """`up`'s steps, less the two the gate's stack skips (it has no provisioning files)."""
    return ", ".join(f"{s} {t:.1f}" for s, t in steps if s not in ("provision", "check"))


def _run(repo: Path, tag: str) -> tuple[float, GateResult, GateStack]:
    """One bump with the real gate; the stack's `up` steps recorded on the way."""
    seen: list[GateStack] = []

    @contextlib.contextmanager
    def recording(paths: RepoPaths, version: str, progress: Progress) -> Iterator[GateStack]:
        with scratch_stack(paths, version, progress) as stack:
            seen.append(stack)
            yield stack

    paths = RepoPaths(repo)
    t0 = time.monotonic()
    try:
        plan = bump(
            paths,
            BumpRequest(tag),
            _registry,
            dry_run=True,
            gate=lambda v: run_gate(paths, v, stack=recording, progress=NO_PROGRESS),
        )
        result = plan.gate
    except GateBlocked as blocked:
        result = blocked.result
    assert result is not None
    return time.monotonic() - t0, result, seen[0]


def main() -> int:
    load_before = _loadavg()
    runtime = runtime_for(RepoPaths(ROOT), None, shared_runtimes(os.environ))
    ensure_venv(runtime.venv, runtime.requirements, log_file=runtime.venv.parent / "bench.log")
    scratch = Path(tempfile.mkdtemp(prefix="supersetctl-bench-gate-"))
    tag = f"{SUPERSET_VERSION}-1a2b3c4d5e6f"
    rows: list[str] = []
    try:
        repo = scratch_repo(scratch)
        for i in (1, 2):
            took, result, stack = _run(repo, tag)
            assert result.ok, result.broken()
            gate = {s: t for s, t in result.steps}
            rows.append(
                f"| passing bump, run {i} | {took:.1f} | {gate['stack']:.1f} "
                f"({_steps(stack.steps)}) | {gate['import']:.1f} | {gate['check']:.1f} | "
                f"{gate['remove']:.1f} | "
                f"{len(result.report.charts)} charts, {result.datasets} datasets answered |"
            )
        chart = repo / CHART
        chart.write_text(chart.read_text().replace("- stage_name\n", "- stage_name_gone\n"))
        took, result, stack = _run(repo, tag)
        assert not result.ok and [c.name for c in result.report.failed_charts] == [
            "Pipeline by stage"
        ]
        gate = {s: t for s, t in result.steps}
        rows.append(
            f"| blocked bump (one chart asks for a missing column) | {took:.1f} | "
            f"{gate['stack']:.1f} | {gate['import']:.1f} | {gate['check']:.1f} | "
            f"{gate['remove']:.1f} | blocked: {result.report.failed_charts[0].name}: "
            f"{result.report.failed_charts[0].message[:80]} |"
        )
        t0 = time.monotonic()
        bump(RepoPaths(repo), BumpRequest(tag), _registry, dry_run=True)
        rows.append(
            f"| `bump --no-gate` (for comparison) | {time.monotonic() - t0:.1f} | | | | | "
            "validate twice on scratch copies |"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    doc = f"""## The upgrade gate of `bump` (`bench/gate.py`)

Machine: {machine()}. Load average before {load_before}, after {_loadavg()} (the machine was
shared with other work while this ran).

Method: `bench/gate.py`. A scratch copy of the repo; `bump` in-process with the registry's
answer stubbed and the real gate: a scratch local stack of Superset {SUPERSET_VERSION} (a temp
folder, free ports, PostgreSQL 15 with the seed data and the access model, the runtime venv
already installed and shared by its lock's digest), every provisioning bundle applied, then
`check` (every chart's query, every dataset's probe), the stack stopped and deleted. Wall-clock
seconds for the whole bump; the gate's step times as `GateResult` reports them (the stack's
own, from `up`, in brackets; remove: the stack stopped and its folder deleted). A first
gate on a machine also installs the runtime venv (about a minute, see the local stack's
section).

| case | whole bump, s | stack, s | import, s | check, s | remove, s | result |
|---|---:|---:|---:|---:|---:|---|
""" + "\n".join(rows)
    print(write_section("gate", doc))
    print(doc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

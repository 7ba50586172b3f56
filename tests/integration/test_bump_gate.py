"""`supersetctl bump`'s upgrade gate on real scratch stacks: a chart that breaks blocks the bump
with its name (and no other), nothing written; once fixed, the bump pins and the PR body says
what the gate ran.

Two stack starts, ~40 s each (a temp folder, free ports, PostgreSQL, seed data, the access
model, the pinned Superset from the shared runtime venv): the blocked bump runs the CLI
exactly as a user does (its own scratch stack, gone afterwards); the passing bump runs the
real gate (every bundle applied, then `check`) on a scratch stack the module holds open, so
the files can be fixed in between.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from supersetctl.cli import main
from supersetctl.image import bump as bump_mod
from supersetctl.image import gate as gate_mod
from supersetctl.image.gate import GateStack
from supersetctl.image.reference import ImageReference
from supersetctl.image.registry import Resolved
from supersetctl.local.postgres import port_open
from supersetctl.local.runtime import SUPERSET_VERSION, VENV_ENV
from supersetctl.paths import RepoPaths
from supersetctl.progress import Progress
from tests.support.helpers import copy_repo
from tests.support.postgres import _scratch, postgres_binaries

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TAG = f"{SUPERSET_VERSION}-1a2b3c4d5e6f"
D1 = "sha256:" + "1" * 64
BROKEN = "infra/superset/provisioning/dashboards/crm-pipeline/charts/pipeline-by-stage.yaml"


@pytest.fixture(scope="module")
def repo() -> Iterator[Path]:
    scratch = _scratch("supersetctl-gate-repo-")
    root = copy_repo(scratch / "repo", ("infra", "config", "image"))
    chart = root / BROKEN
    chart.write_text(chart.read_text().replace("- stage_name\n", "- stage_name_gone\n"))
    yield root
    shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="module")
def running(repo: Path, superset_runtime: Path) -> Iterator[GateStack]:
    """The real scratch stack, entered once; afterwards stopped and removed."""
    postgres_binaries()
    os.environ[VENV_ENV] = str(superset_runtime)  # the suite's runtime venv, not a new one
    try:
        with gate_mod.scratch_stack(RepoPaths(repo), SUPERSET_VERSION) as stack:
            yield stack
    finally:
        os.environ.pop(VENV_ENV, None)
    assert stack.root is not None and not stack.root.exists(), "the scratch folder is still there"
    assert not port_open(int(stack.url.rsplit(":", 1)[1])), "the scratch Superset still answers"


@pytest.fixture
def on_running(running: GateStack, monkeypatch: pytest.MonkeyPatch) -> None:
    @contextlib.contextmanager
    def factory(paths: RepoPaths, version: str, progress: Progress) -> Iterator[GateStack]:
        assert version == running.version
        yield running

    monkeypatch.setattr(gate_mod, "scratch_stack", factory)
    monkeypatch.setattr(bump_mod, "default_resolver", lambda environ: _registry)


def _registry(ref: ImageReference) -> Resolved:
    assert ref.tag == TAG
    return Resolved(ref.with_digest(D1), D1, "application/vnd.oci.image.index.v1+json", 10, "HEAD")


def _bump(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    capsys.readouterr()
    code = main(["--repo", str(repo), "--format", "json", "bump", "--tag", TAG, *args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def _processes_under(folder: Path) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if str(folder).encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
    return found


def test_a_broken_chart_blocks_the_bump_by_name(
    repo: Path,
    superset_runtime: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    postgres_binaries()
    monkeypatch.setenv(VENV_ENV, str(superset_runtime))
    monkeypatch.setattr(bump_mod, "default_resolver", lambda environ: _registry)
    temp = _scratch("supersetctl-gate-tmp-")
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where the scratch stack goes
    before = (repo / "infra/superset/manifest.json").read_text()
    code, out, err = _bump(repo, capsys)
    assert not list(temp.iterdir()), "the scratch stack's folder is still there"
    assert not _processes_under(temp), "a process of the scratch stack still runs"
    temp.rmdir()
    assert code == 1, err
    gate = out["gate"]
    assert gate["ok"] is False and gate["superset_version"] == SUPERSET_VERSION
    assert gate["failed"]["charts"] == ["Pipeline by stage"]  # that one, and no other
    assert gate["failed"]["datasets"] == []
    assert len(gate["broken"]) == 1
    line = gate["broken"][0]
    assert "Pipeline by stage" in line and "pipeline-by-stage.yaml" in line
    assert "analytics.crm_leads" in line and "CRM pipeline" in line
    assert "stage_name_gone" in line  # Superset's message
    assert "Pipeline by stage" in err and "nothing written" in err
    assert (repo / "infra/superset/manifest.json").read_text() == before


def test_once_fixed_the_bump_pins_and_says_what_the_gate_ran(
    repo: Path, on_running: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    chart = repo / BROKEN
    chart.write_text(chart.read_text().replace("- stage_name_gone\n", "- stage_name\n"))
    body = tmp_path / "pr.md"
    code, out, err = _bump(repo, capsys, "--pr-body", str(body))
    assert code == 0, err
    gate = out["gate"]
    assert gate["ok"] is True and gate["charts"] >= 20 and gate["datasets"] >= 5, gate
    assert [s["step"] for s in gate["steps"]] == ["stack", "import", "check", "remove"]
    assert out["new"] == {"tag": TAG, "digest": D1}
    manifest = json.loads((repo / "infra/superset/manifest.json").read_text())
    assert manifest["image"]["tag"] == TAG
    text = body.read_text()
    assert (
        f"gate: {gate['charts']} charts and {gate['datasets']} datasets answered on "
        f"Superset {SUPERSET_VERSION}"
    ) in text

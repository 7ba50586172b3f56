"""The GitHub workflows: schema-valid, zizmor-clean, pinned, least privilege, injection-proof."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from supersetctl.yamlio import load_document
from tests.support.helpers import REPO_ROOT, need

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
REQUIRED = (
    "superset-image.yml",
    "superset-bump.yml",
    "superset-deploy.yml",
    "superset-health.yml",
    "superset-drift.yml",
    "superset-backup.yml",
    "ci.yml",
)
# zizmor's auditor persona (secrets outside an environment, undocumented permissions...) is
# held on every workflow but the bump's, whose one finding is informational (a well-kept
# action opens its pull request where `gh pr create` could)
AUDITED = tuple(
    n for n in sorted(p.name for p in WORKFLOWS.glob("*.y*ml")) if n != "superset-bump.yml"
)
# every workflow in the folder is held to the same rules, not only the ones listed above
NAMES = tuple(sorted(p.name for p in WORKFLOWS.glob("*.y*ml")))
BIN = Path(sys.executable).parent
SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")


def _load(name: str) -> dict[str, Any]:
    data = load_document(WORKFLOWS / name).data
    assert isinstance(data, dict)
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


def _tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    need(found is not None, f"{name} is not installed (it is in the dev lock)")
    assert found is not None
    return found


def test_every_workflow_exists() -> None:
    for name in REQUIRED:
        assert (WORKFLOWS / name).is_file(), name


def test_workflows_match_the_github_schema() -> None:
    files = [str(WORKFLOWS / n) for n in NAMES]
    result = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_offline_has_no_findings() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")}
    result = subprocess.run(
        [_tool("zizmor"), "--offline", "--no-progress", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


def test_zizmor_auditor_persona_has_no_findings() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")}
    result = subprocess.run(
        [_tool("zizmor"), "--offline", "--no-progress", "--persona", "auditor",
         *(str(WORKFLOWS / n) for n in AUDITED)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


# the workflows that act on an environment: each job's secrets come from a GitHub
# environment, and two runs against one environment never overlap
ACTING = ("superset-health.yml", "superset-drift.yml", "superset-backup.yml", "superset-deploy.yml")


@pytest.mark.parametrize("name", ACTING)
def test_scheduled_jobs_take_secrets_from_an_environment_and_never_overlap(name: str) -> None:
    for job_id, job in _load(name)["jobs"].items():
        uses_secrets = "secrets." in str(job)
        assert not uses_secrets or job.get("environment"), f"{job_id}: secrets need an environment"
        runs = [s["run"] for s in job["steps"] if "run" in s]
        assert all("${{" not in r for r in runs), f"{job_id}: an expression inside run:"
    assert _load(name)["concurrency"]["cancel-in-progress"] is False


@pytest.mark.parametrize("name", NAMES)
def test_least_privilege_concurrency_timeouts_and_pins(name: str) -> None:
    wf = _load(name)
    assert wf.get("permissions") == {}, "top-level permissions must be empty"
    assert "group" in wf.get("concurrency", {}), "a concurrency group is required"
    for job_id, job in wf["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), f"{job_id}: timeout-minutes"
        assert "permissions" in job, f"{job_id}: job permissions"
        assert "write-all" not in str(job["permissions"])
    for step in _steps(wf):
        uses = step.get("uses")
        if uses and not uses.startswith("./"):
            assert SHA_PIN.match(uses), f"{uses} is not pinned by a full commit SHA"
        if uses and uses.startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False


def test_trivy_action_is_the_post_incident_release() -> None:
    text = (WORKFLOWS / "superset-image.yml").read_text()
    pins = re.findall(r"aquasecurity/trivy-action@([0-9a-f]{40})", text)
    assert pins == ["57a97c7e7821a5776cebc9bb87c984fa69cba8f1"]


def test_bump_workflow_never_interpolates_into_a_shell() -> None:
    wf = _load("superset-bump.yml")
    runs = [s["run"] for s in _steps(wf) if "run" in s]
    assert runs
    for script in runs:
        assert "${{" not in script, f"expression inside run:\n{script}"
    # every reference to the payload or the inputs sits in an env: value
    text = (WORKFLOWS / "superset-bump.yml").read_text()
    for expr in re.findall(r"\$\{\{(.*?)\}\}", text):
        if "client_payload" in expr or "inputs." in expr:
            line = next(ln for ln in text.splitlines() if expr in ln)
            assert re.match(r"^\s+[A-Z_]+: \$\{\{", line), f"payload used outside env: {line}"


def test_no_workflow_interpolates_untrusted_input_into_a_shell() -> None:
    for name in NAMES:
        for step in _steps(_load(name)):
            script = step.get("run", "")
            for expr in re.findall(r"\$\{\{(.*?)\}\}", script):
                assert not re.search(r"github\.event|inputs\.|head_ref|steps\.", expr), (
                    f"{name}: {expr} inside run:"
                )


def _payload_step() -> str:
    wf = _load("superset-bump.yml")
    step = next(s for s in _steps(wf) if s.get("id") == "payload")
    return str(step["run"])


GOOD = {
    "TAG": "6.1.0-1a2b3c4d5e6f",
    "DIGEST": "sha256:" + "0" * 64,
    "SOURCE_COMMIT": "a" * 40,
    "RUN_URL": "https://github.com/insightpulseai/superset/actions/runs/123/attempts/2",
}


def _run_payload(tmp_path: Path, **env: str) -> tuple[int, str]:
    need(shutil.which("bash") is not None, "bash is not installed")
    out = tmp_path / "out"
    out.write_text("")
    result = subprocess.run(
        ["bash", "-e", "-c", _payload_step()],
        env={"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(out), **env},
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    return result.returncode, out.read_text()


def test_payload_check_accepts_a_good_payload(tmp_path: Path) -> None:
    code, out = _run_payload(tmp_path, **GOOD)
    assert code == 0
    assert f"tag={GOOD['TAG']}\n" in out
    assert f"digest={GOOD['DIGEST']}\n" in out
    code, out = _run_payload(tmp_path, TAG="6.1.0-1", DIGEST="", SOURCE_COMMIT="", RUN_URL="")
    assert code == 0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("TAG", "latest"),
        ("TAG", "$(touch pwned)"),
        ("TAG", "1.0\ndigest=sha256:" + "f" * 64),
        ("TAG", "`touch pwned`"),
        ("TAG", ""),
        ("DIGEST", "sha256:abc"),
        ("DIGEST", "sha256:" + "0" * 64 + "; touch pwned"),
        ("SOURCE_COMMIT", "main"),
        ("RUN_URL", "https://evil.example/actions/runs/1"),
        ("RUN_URL", "https://github.com/o/r/actions/runs/1\nx=y"),
    ],
)
def test_payload_check_refuses_bad_input(tmp_path: Path, key: str, value: str) -> None:
    code, out = _run_payload(tmp_path, **{**GOOD, key: value})
    assert code != 0
    assert out == ""
    assert not (tmp_path / "pwned").exists()


def _bump_steps() -> list[dict[str, Any]]:
    return list(_load("superset-bump.yml")["jobs"]["bump"]["steps"])


def test_bump_workflow_runs_the_upgrade_gate_before_the_pull_request() -> None:
    steps = _bump_steps()
    names = [str(s.get("name", s.get("uses", ""))) for s in steps]
    postgres = names.index("PostgreSQL 15 for the upgrade gate")
    gated = next(i for i, s in enumerate(steps) if "supersetctl bump" in str(s.get("run", "")))
    opened = next(i for i, s in enumerate(steps) if "create-pull-request" in str(s.get("uses")))
    assert names.index("Install supersetctl from the lock") < postgres < gated < opened
    script = str(steps[gated]["run"])
    assert "--no-gate" not in script  # the gate is bump's default: a broken chart fails here
    assert "--pr-body" in script  # whose body says what the gate ran
    python = next(s for s in steps if "setup-python" in str(s.get("uses")))
    assert python["with"]["python-version"] in ("3.11", "3.12")  # the runtime's
    # room for the runtime install, the stack start and the check
    assert _load("superset-bump.yml")["jobs"]["bump"]["timeout-minutes"] >= 25


def test_bump_workflow_postgres_step_skips_the_install_when_15_is_there(tmp_path: Path) -> None:
    step = next(s for s in _bump_steps() if s.get("name") == "PostgreSQL 15 for the upgrade gate")
    need(Path("/usr/lib/postgresql/15/bin/initdb").is_file(), "PostgreSQL 15 is not installed")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    calls = tmp_path / "calls"
    (fake_bin / "sudo").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    (fake_bin / "sudo").chmod(0o755)
    result = subprocess.run(
        ["bash", "-e", "-c", str(step["run"])],
        env={"PATH": f"{fake_bin}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(PostgreSQL) 15" in result.stdout
    assert calls.read_text().split("\n")[0] == "systemctl stop postgresql"  # no apt install

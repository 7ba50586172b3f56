"""Run a GitHub workflow's job here: its ``run:`` steps in order, in bash as Actions runs them,
with the ``env:`` the workflow, the job and the step give them.

What is emulated, and only this: ``${{ ... }}`` reading the ``secrets``, ``vars``, ``inputs``,
``matrix``, ``github`` (``token``, ``repository``, ``event``...) and ``env`` contexts, and the few
functions our workflows use in ``if:`` (``always()``, ``success()``, ``failure()``,
``cancelled()``, ``hashFiles()``), with ``!``, ``&&``, ``||``, ``==`` and ``!=``. Steps that
``uses:`` an action are handled when the harness knows what it stands for here: checkout (the
working directory is already the checkout), setup-python (this interpreter), the Actions
cache (nothing is kept); any other action fails the run, so a workflow cannot grow a step
this harness silently skips. The step that installs supersetctl from the lock links the
test's own venv as ``.venv`` instead (same lock, already installed).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supersetctl.yamlio import load_document
from tests.support.helpers import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_KNOWN_ACTIONS = (
    "actions/checkout@",
    "actions/setup-python@",
    "actions/cache/",
    "actions/upload-artifact@",
)
# steps that install system packages: the machine running the tests has them (.ci/run)
_SYSTEM_STEPS = ("System packages",)


@dataclass
class StepRun:
    name: str
    rc: int
    output: str
    skipped: bool = False


@dataclass
class JobRun:
    steps: list[StepRun] = field(default_factory=list)
    summary: str = ""
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(s.rc == 0 for s in self.steps if not s.skipped)

    def step(self, prefix: str) -> StepRun:
        return next(s for s in self.steps if s.name.startswith(prefix))


def load_workflow(name: str) -> dict[str, Any]:
    data = load_document(WORKFLOWS / name).data
    assert isinstance(data, dict)
    return data


def _lookup(path: str, contexts: dict[str, Any]) -> Any:
    node: Any = contexts
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return ""
        node = node[part]
    return node


class _Eval:
    """GitHub's expression language, the part our workflows use."""

    def __init__(self, contexts: dict[str, Any], cwd: Path, failed: bool) -> None:
        self.contexts, self.cwd, self.failed = contexts, cwd, failed

    def value(self, expr: str) -> Any:
        py = expr.strip()
        calls = {
            "always": lambda: True,
            "success": lambda: not self.failed,
            "failure": lambda: self.failed,
            "cancelled": lambda: False,
            "hashFiles": lambda *pats: "h" if any(any(self.cwd.glob(p)) for p in pats) else "",
        }
        names: dict[str, Any] = {}

        def ident(m: re.Match[str]) -> str:
            token = m.group(0)
            if token in calls or token in names or token in ("and", "or", "not"):
                return token
            if token in ("true", "false", "null"):
                return {"true": "True", "false": "False", "null": "None"}[token]
            key = f"_v{len(names)}"
            names[key] = _lookup(token, self.contexts)
            return key

        def literal(m: re.Match[str]) -> str:  # strings first: nothing inside is a name
            key = f"_v{len(names)}"
            names[key] = m.group(1)
            return key

        py = re.sub(r"'([^']*)'", literal, py)
        py = py.replace("&&", " and ").replace("||", " or ")
        py = re.sub(r"!(?!=)", " not ", py)
        py = re.sub(r"(?<![\w.])[A-Za-z_][\w-]*(?:\.[\w-]+)*(?![\w(])", ident, py)
        # the workflow files are ours and names are bound to looked-up values: no input reaches it
        return eval(py, {"__builtins__": {}}, {**calls, **names})  # noqa: S307

    def text(self, template: str) -> str:
        return _EXPR.sub(lambda m: _render(self.value(m.group(1))), template)

    def condition(self, cond: Any) -> bool:
        if cond is None:
            return not self.failed
        text = str(cond)
        m = _EXPR.fullmatch(text.strip())
        result = self.value(m.group(1) if m else text)
        uses_status = re.search(r"\b(always|failure|cancelled|success)\(", text)
        return bool(result) and (bool(uses_status) or not self.failed)


def _render(value: Any) -> str:
    """An expression's value in a string, as GitHub writes it (booleans in lower case)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def run_job(
    workflow: str,
    job_id: str,
    cwd: Path,
    *,
    secrets: dict[str, str] | None = None,
    variables: dict[str, str] | None = None,
    inputs: dict[str, str] | None = None,
    matrix: dict[str, Any] | None = None,
    github: dict[str, Any] | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 600,
) -> JobRun:
    """Run one job of ``.github/workflows/<workflow>`` in ``cwd`` (a checkout)."""
    wf = load_workflow(workflow)
    job = wf["jobs"][job_id]
    contexts: dict[str, Any] = {
        "secrets": secrets or {},
        "vars": variables or {},
        "inputs": inputs or {},
        "matrix": matrix or {},
        "github": {"token": "", "repository": "", "event": {}, **(github or {})},
        "env": {},
    }
    run = JobRun()
    summary, outputs = cwd / ".gh-summary", cwd / ".gh-output"
    for f in (summary, outputs):
        f.write_text("")
    ev = _Eval(contexts, cwd, failed=False)
    if not ev.condition(job.get("if")):
        return run
    base_env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": os.environ.get("HOME", str(cwd)),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_REPOSITORY": str(contexts["github"].get("repository", "")),
        **{k: v for k, v in os.environ.items() if k in ("PYTHONPATH", "SUPERSETCTL_TOKEN_CACHE")},
        **(extra_env or {}),
    }
    workflow_env = {k: ev.text(str(v)) for k, v in (wf.get("env") or {}).items()}
    job_env = {k: ev.text(str(v)) for k, v in (job.get("env") or {}).items()}
    for i, step in enumerate(job.get("steps", [])):
        name = str(step.get("name") or step.get("uses") or step.get("run", "")[:40] or i)
        ev.failed = not run.ok
        if not ev.condition(step.get("if")):
            run.steps.append(StepRun(name, 0, "", skipped=True))
            continue
        uses = step.get("uses")
        if uses:
            if not uses.startswith(_KNOWN_ACTIONS):
                raise AssertionError(f"{workflow}: the harness does not know {uses}")
            run.steps.append(StepRun(name, 0, f"(emulated {uses})"))
            continue
        if name.startswith(_SYSTEM_STEPS):
            run.steps.append(StepRun(name, 0, "(emulated: .ci/run installed them)"))
            continue
        if name.startswith("Install supersetctl"):
            venv = cwd / ".venv"
            if not venv.exists():
                venv.symlink_to(Path(sys.executable).parent.parent)
            run.steps.append(StepRun(name, 0, "(linked the test venv)"))
            continue
        contexts["env"] = {**workflow_env, **job_env}
        step_env = {k: ev.text(str(v)) for k, v in (step.get("env") or {}).items()}
        script = ev.text(str(step["run"]))
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=cwd,
            env={**base_env, **workflow_env, **job_env, **step_env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        run.steps.append(StepRun(name, proc.returncode, proc.stdout + proc.stderr))
    run.summary = summary.read_text()
    for line in outputs.read_text().splitlines():
        key, _, value = line.partition("=")
        run.outputs[key] = value
    return run

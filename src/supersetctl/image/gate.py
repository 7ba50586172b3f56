"""The upgrade gate of ``bump``: the candidate's Superset runs every chart before the pin moves.

1. :func:`gate_version`: the Superset version of the tag (``6.1.0-<commit>`` -> 6.1.0), which
   must have a runtime lock under ``image/`` (a :class:`UsageError`, exit 2, otherwise);
2. :func:`scratch_stack`: a local stack of that version in a temp folder of its own: a copy of
   ``config/``, ``image/`` and ``infra/`` without the provisioning files, free ports, the
   PostgreSQL cluster with the seed data and the access model, Superset from the runtime venv
   of that version (shared by its lock's digest under ``$SUPERSETCTL_RUNTIME_CACHE`` or
   ``~/.cache/supersetctl``: never the dev stack's ``.local/``). It is ``supersetctl up``
   itself (:class:`supersetctl.local.stack.LocalStack`), stopped and deleted afterwards, also
   on a failure or Ctrl-C;
3. :func:`run_gate`: every provisioning bundle of the repo applied to it with the provision
   library, then ``check`` (every chart's query, every dataset's probe). A chart or dataset that
   fails raises :class:`GateBlocked` (exit 1) naming each; the bump writes nothing.

The stack is a parameter (:data:`StackFactory`): tests and benchmarks give a running one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supersetctl.errors import OperationFailed, UsageError
from supersetctl.paths import RepoPaths
from supersetctl.progress import NO_PROGRESS, Progress
from supersetctl.redact import redact

from .bump import version_key

if TYPE_CHECKING:
    from supersetctl.check import CheckReport

GATE_ENV = "dev"  # the local stack runs config/dev; the gate is that stack
CACHE_DIR = Path("supersetctl")  # under $XDG_CACHE_HOME or ~/.cache: the shared runtimes
_COPY = ("config", "image", "infra")
_IGNORE = shutil.ignore_patterns(".git", ".venv", ".local", "__pycache__", "*.pyc")


@dataclass(frozen=True)
class GateStack:
    """A running Superset of ``version`` with the seed data and the access model: ``url``, and
    the variables (``environ``: its secrets, its ports) its ``config/dev`` names."""

    version: str
    url: str
    environ: Mapping[str, str] = field(repr=False)
    root: Path | None = None  # the scratch folder (logs under .local/), gone afterwards
    steps: tuple[tuple[str, float], ...] = ()  # what `up` reported (postgres, superset, ...)


StackFactory = Callable[[RepoPaths, str, Progress], contextlib.AbstractContextManager[GateStack]]


@dataclass
class GateResult:
    """What the gate found on Superset ``version``; ``steps`` are (step, seconds)."""

    version: str
    report: CheckReport
    steps: list[tuple[str, float]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def datasets(self) -> int:
        """Datasets probed and resolving (a dataset on a database config/dev does not declare
        is skipped, not counted)."""
        return sum(1 for d in self.report.datasets if d.ok and not d.skipped)

    def summary(self) -> str:
        if not self.ok:
            return (
                f"gate: {len(self.report.failed_charts)} chart(s) and "
                f"{len(self.report.failed_datasets)} dataset(s) broken on Superset "
                f"{self.version} ({self.seconds:.0f} s)"
            )
        return (
            f"gate: {len(self.report.charts)} charts and {self.datasets} datasets answered on "
            f"Superset {self.version} ({self.seconds:.0f} s)"
        )

    def broken(self) -> list[str]:
        """One line per failing chart (title, file, dataset, dashboards, Superset's message)
        and per broken dataset."""
        out = [
            f"chart {c.name} ({c.file}) on {c.dataset or '?'} "
            f"[{', '.join(c.dashboards) or 'no dashboard'}]: {c.message}"
            for c in self.report.failed_charts
        ]
        for d in self.report.failed_datasets:
            boards = ", ".join(self.report.dataset_dashboards.get(d.uuid, [])) or "no dashboard"
            out.append(f"dataset {d.name} [{boards}]: " + "; ".join(d.problems))
        return [redact(line) for line in out]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ran": True,
            "ok": self.ok,
            "superset_version": self.version,
            "charts": len(self.report.charts),
            "datasets": self.datasets,
            "summary": self.summary(),
            "broken": self.broken(),
            "failed": self.report.as_dict()["failed"],
            "steps": [{"step": s, "seconds": round(t, 2)} for s, t in self.steps],
            "seconds": round(self.seconds, 2),
        }


class GateBlocked(OperationFailed):
    """A chart or dataset broke under the candidate version: the bump is refused (exit 1)."""

    def __init__(self, result: GateResult) -> None:
        lines = result.broken()
        super().__init__(
            f"{result.summary()}: the bump is blocked, nothing written:\n  " + "\n  ".join(lines),
            hint=f"fix the charts (or the views they read) for Superset {result.version} and "
            "bump again; `supersetctl check --env dev` on a local stack of that version "
            "reports the same",
        )
        self.result = result


# ------------------------------------------------------------------ the candidate's version


def gate_version(paths: RepoPaths, tag: str) -> str:
    """The Superset version ``tag`` carries, when ``image/`` has a runtime lock for it."""
    from supersetctl.local.runtime import runtimes

    key = version_key(tag)
    if key is None:
        raise UsageError(
            f"tag {tag!r} names no Superset version: the gate cannot pick a runtime",
            hint="image tags look like 6.1.0-<12 hex of the source commit>; "
            "or pass --no-gate to pin without the gate",
        )
    version = ".".join(str(n) for n in key[0])
    known = runtimes(paths.image)
    if version not in known:
        locks = ", ".join(f"{v} ({paths.rel(lock)})" for v, lock in known.items()) or "none"
        raise UsageError(
            f"no runtime lock for Superset {version} under image/: the gate cannot run it "
            f"(locks: {locks})",
            hint=f"add one: apache-superset=={version} in image/requirements.in, then compile "
            "image/requirements.txt with the uv command at its top (the old lock moves to "
            "image/previous/, see its README); or pass --no-gate",
        )
    return version


# ------------------------------------------------------------------ the scratch stack


def shared_runtimes(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with ``$SUPERSETCTL_RUNTIME_CACHE`` defaulted to ``~/.cache/supersetctl``:
    one venv per lock digest, shared with the test suite, never a stack's ``.local/``."""
    from supersetctl.local.runtime import CACHE_ENV

    out = dict(environ)
    if not out.get(CACHE_ENV):
        base = Path(out.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        out[CACHE_ENV] = str(base / CACHE_DIR)
    return out


def _copy_repo(paths: RepoPaths, dest: Path, *, provisioning: bool) -> RepoPaths:
    """A copy of what the stack and the gate read (never ``.local/``)."""
    skip = paths.provisioning.resolve()
    for name in _COPY:
        src = paths.root / name
        if not src.is_dir():
            continue

        def ignore(folder: str, names: list[str]) -> set[str]:
            out = set(_IGNORE(folder, names))
            if not provisioning and Path(folder).resolve() == skip.parent:
                out.add(skip.name)
            return out

        shutil.copytree(src, dest / name, ignore=ignore)
    return RepoPaths(dest)


@contextlib.contextmanager
def scratch_stack(
    paths: RepoPaths,
    version: str,
    progress: Progress = NO_PROGRESS,
    *,
    environ: Mapping[str, str] | None = None,
) -> Iterator[GateStack]:
    """``supersetctl up`` of ``version`` in a temp folder, on free ports; stopped and deleted
    when the block ends, however it ends. Its copy of the repo holds no provisioning files,
    so ``up`` provisions and checks nothing: :func:`run_gate` does, from the repo's files."""
    from supersetctl.contract.environment import load_environment
    from supersetctl.local.postgres import free_port
    from supersetctl.local.runtime import runtime_for
    from supersetctl.local.stack import LocalStack, settings_from_config

    runtime = runtime_for(
        paths, version, shared_runtimes(os.environ if environ is None else environ)
    )
    tmp = Path(tempfile.mkdtemp(prefix="supersetctl-gate-"))
    tmp.chmod(0o711)  # as root, PostgreSQL runs as an unprivileged user that must reach it
    stack: LocalStack | None = None
    try:
        progress.phase(f"gate: its folder is {tmp} (its .local/ holds the stack; removed after)")
        scratch = _copy_repo(paths, tmp / "repo", provisioning=False)
        base = load_environment(scratch, GATE_ENV, environ={})
        settings = settings_from_config(base, superset_port=free_port(), pg_port=free_port())
        stack = LocalStack(scratch, settings, runtime=runtime)
        result = stack.up(progress=lambda m: progress.phase(f"gate: {m}"), env=base)
        environ_ = dict(load_environment(scratch, GATE_ENV, environ={}).environ)
        yield GateStack(version, result.url, environ_, tmp, tuple(result.steps))
    finally:
        progress.phase(f"gate: stopping and removing the Superset {version} stack")
        try:
            if stack is not None:
                stack.down()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------ the gate


def run_gate(
    paths: RepoPaths,
    version: str,
    *,
    stack: StackFactory | None = None,
    progress: Progress = NO_PROGRESS,
) -> GateResult:
    """Every provisioning bundle of ``paths`` applied to a Superset ``version`` (``stack``),
    then ``check``; raises :class:`GateBlocked` when a chart or dataset fails. ``stack``
    defaults to :func:`scratch_stack`."""
    from supersetctl import check, provision
    from supersetctl.contract.environment import load_environment
    from supersetctl.superset.tokens import ENV as TOKEN_CACHE_ENV

    started = time.monotonic()
    steps: list[tuple[str, float]] = []
    progress.phase(f"gate: starting Superset {version} on a scratch local stack")
    with (
        (stack or scratch_stack)(paths, version, progress) as running,
        tempfile.TemporaryDirectory(prefix="supersetctl-gate-files-") as tmp,
    ):
        steps.append(("stack", time.monotonic() - started))
        # a copy of the files, so that the provision caches land in the copy's .local/
        files = _copy_repo(paths, Path(tmp), provisioning=True)
        # a throwaway instance: no access token kept for it (its port is reused later)
        environ = {**running.environ, TOKEN_CACHE_ENV: "off"}
        env = replace(load_environment(files, GATE_ENV, environ=environ), url_override=running.url)
        t0 = time.monotonic()
        progress.phase(f"gate: applying every provisioning bundle to Superset {version}")
        with provision.client_for(env) as client:
            provision.apply_env(env, client)
            steps.append(("import", time.monotonic() - t0))
            t0 = time.monotonic()
            progress.phase("gate: checking every chart and dataset")
            report = check.check_env(env, client, progress=progress)
            steps.append(("check", time.monotonic() - t0))
        t0 = time.monotonic()
    steps.append(("remove", time.monotonic() - t0))  # the stack stopped, its folder deleted
    result = GateResult(version, report, steps, time.monotonic() - started)
    if not result.ok:
        raise GateBlocked(result)
    return result


def default_gate(
    paths: RepoPaths, *, progress: Progress = NO_PROGRESS
) -> Callable[[str], GateResult]:
    """The gate ``bump`` runs: :func:`run_gate` on a :func:`scratch_stack`."""

    def _gate(version: str) -> GateResult:
        return run_gate(paths, version, progress=progress)

    return _gate

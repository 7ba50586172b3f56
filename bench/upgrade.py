"""How long an upgrade and its roll back take on the local stack: Superset 6.0.0 -> 6.1.0.

Method: a scratch copy of the repo (infra/, config/, image/) with free ports, the real commands
as subprocesses (`.venv/bin/supersetctl --format json ...`), wall-clock times, and the per-step
times each command reports in its JSON. In order:
  1. install the previous runtime (image/previous/requirements.txt, Superset 6.0.0) into a new
     venv, with uv's package cache as it is on this machine (warm after one install);
  2. `up --superset-version 6.0.0`: the stack on the previous version with the starter
     dashboards;
  3. a failed upgrade: a 6.1.0 that migrates and then does not boot (its gunicorn loads a
     configuration that raises; tests/support/upgrade.py), rolled back by `upgrade`:
     restore, switch back, health, every chart's query;
  4. the real upgrade to 6.1.0: backup, switch, migrate, health, plan, chart queries.
The machine is shared with other work: the load average before and after is recorded.
Run: .venv/bin/python bench/upgrade.py   (writes docs/benchmarks/upgrade.md)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import machine, scratch_repo, write_section  # noqa: E402
from tests.support.upgrade import broken_runtime  # noqa: E402

from supersetctl.local.postgres import free_port  # noqa: E402
from supersetctl.local.runtime import ensure_venv, runtime_for  # noqa: E402
from supersetctl.paths import RepoPaths  # noqa: E402

CLI = str(ROOT / ".venv" / "bin" / "supersetctl")
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "supersetctl"


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _run(repo: Path, env: dict[str, str], *args: str) -> tuple[int, Any, float, str]:
    started = time.monotonic()
    proc = subprocess.run(
        [CLI, "--repo", str(repo), "--format", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    took = time.monotonic() - started
    data = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, data, took, proc.stderr


def _steps(steps: list[dict[str, Any]]) -> str:
    return ", ".join(f"{s['step']} {s['seconds']:.1f}" for s in steps)


def main() -> int:
    load_before = _loadavg()
    paths = RepoPaths(ROOT)
    pinned = runtime_for(paths, None, {"SUPERSETCTL_RUNTIME_CACHE": str(CACHE)})
    ensure_venv(pinned.venv, pinned.requirements, log_file=CACHE / "bench-install.log")
    previous = runtime_for(paths, "6.0.0", {})
    scratch = Path(tempfile.mkdtemp(prefix="supersetctl-bench-upgrade-"))
    scratch.chmod(0o755)  # the PostgreSQL user enters it
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SUPERSET", "PG"))},
        "SUPERSETCTL_RUNTIME_CACHE": str(CACHE),
        "SUPERSETCTL_RUNTIME_VENV": str(pinned.venv),
        "SUPERSETCTL_TOKEN_CACHE": "off",
    }
    rows: list[str] = []
    repo = scratch_repo(scratch, superset_port=free_port(), pg_port=free_port())
    try:
        t0 = time.monotonic()
        ensure_venv(scratch / "venv-6.0.0", previous.requirements, log_file=scratch / "i.log")
        install = time.monotonic() - t0
        shutil.rmtree(scratch / "venv-6.0.0")
        code, _, up_s, err = _run(repo, env, "up", "--superset-version", "6.0.0")
        assert code == 0, err
        broken = broken_runtime(pinned.venv, scratch / "broken")
        code, failed, fail_s, err = _run(
            repo, {**env, "SUPERSETCTL_RUNTIME_VENV": str(broken)}, "upgrade", "--env", "dev"
        )
        assert code == 1 and failed["rolled_back"] and not failed["rollback_error"], err
        code, done, ok_s, err = _run(repo, env, "upgrade", "--env", "dev")
        assert code == 0, err
        charts = done["charts"]
        rows = [
            f"| install the 6.0.0 runtime venv (warm uv cache) | {install:.1f} | |",
            f"| `up --superset-version 6.0.0` (fresh clone, both venvs there) | {up_s:.1f} | |",
            f"| upgrade 6.0.0 -> 6.1.0, whole command | {ok_s:.1f} | {_steps(done['steps'])}; "
            f"{charts['answered']}/{charts['charts']} chart queries answered, plan clean |",
            f"| failed upgrade, whole command (upgrade until it fails, then the roll back) | "
            f"{fail_s:.1f} | {_steps(failed['steps'])} |",
            f"| of which the roll back: back on 6.0.0 with its metadata, proven | "
            f"{failed['rollback_seconds']:.1f} | {_steps(failed['rollback_steps'])} |",
            "",
            f"Metadata revisions: 6.0.0 `{done['revision_before']}`, 6.1.0 "
            f"`{done['revision_after']}`; after the failed upgrade's roll back "
            f"`{failed['revision_after']}`.",
        ]
    finally:
        subprocess.run([CLI, "--repo", str(repo), "down"], capture_output=True, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
    doc = f"""## Upgrade and roll back: Superset 6.0.0 -> 6.1.0 on the local stack

Machine: {machine()}. Load average before {load_before}, after {_loadavg()} (the machine was
shared with other work while this ran).

Method: `bench/upgrade.py`. A scratch copy of the repo, free ports, the real commands as
subprocesses, wall-clock seconds; the step times are the ones `upgrade --format json` reports.
The failed upgrade is a 6.1.0 that migrates the metadata database and then does not boot (its
gunicorn loads a configuration that raises): `health` fails as soon as gunicorn exits, and the
roll back restores the metadata from the backup taken first, starts 6.0.0 and checks `/health`
and every chart's data query. Goal: a failed upgrade is back on the old version with its data
in under 2 minutes.

| case | seconds | steps (seconds) |
|---|---:|---|
""" + "\n".join(rows)
    print(write_section("upgrade", doc))
    print(doc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

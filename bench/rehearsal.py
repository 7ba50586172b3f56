"""How long the production rehearsal takes: `supersetctl up --env staging`, cold and warm.

Method: a scratch copy of the repo (infra/, config/, image/) in a temp folder, free ports, and
the real command as a subprocess (`.venv/bin/supersetctl --format json up --env staging`),
timed wall-clock. The runtime venv is the shared one (`SUPERSETCTL_RUNTIME_VENV`, else the
test runtime under ~/.cache/supersetctl/): installing it is `make up`'s cost, measured by
bench/local.py. Cases, in order:
  1. cold: nothing of the rehearsal exists (CA, TLS-only PostgreSQL and Redis, seed data,
     the PRE_DEPLOY job on an empty metadata DB, the admin job, web/worker/beat, access,
     gate, provisioning);
  2. warm, running: `up` again with everything up (checks, the gate, a no-change plan);
  3. after `down`: `up` restarts every process on the data that is there (jobs skipped).
Per-step times come from the JSON `steps`. The machine is shared with other work: the load
average before and after is recorded with the numbers.
Run: .venv/bin/python bench/rehearsal.py
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import machine, scratch_repo, write_section  # noqa: E402
from tests.support.superset import runtime_venv  # noqa: E402

from supersetctl.local.postgres import free_port  # noqa: E402

CLI = str(ROOT / ".venv" / "bin" / "supersetctl")


def run(repo: Path, env: dict[str, str], *args: str) -> tuple[float, dict[str, object]]:
    t0 = time.perf_counter()
    r = subprocess.run(
        [CLI, "--repo", str(repo), "--format", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return took, json.loads(r.stdout) if r.stdout.strip() else {}


def slowest(result: dict[str, object]) -> str:
    steps = result.get("steps") or []
    assert isinstance(steps, list)
    top = sorted(steps, key=lambda s: -float(s["seconds"]))[:5]
    return "; ".join(f"{s['step']} {float(s['seconds']):.1f}s" for s in top if s["seconds"] >= 0.5)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="supersetctl-bench-rehearsal-"))
    scratch.chmod(0o755)
    repo = scratch_repo(scratch)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPERSETCTL_")}
    env["SUPERSETCTL_RUNTIME_VENV"] = os.environ.get(
        "SUPERSETCTL_RUNTIME_VENV", str(runtime_venv())
    )
    up = ["up", "--env", "staging", "--port", str(free_port()), "--pg-port", str(free_port()),
          "--redis-port", str(free_port())]  # fmt: skip
    rows: list[tuple[str, float, str]] = []
    load_before = load()
    try:
        took, res = run(repo, env, *up)
        rows.append(("1. cold: no rehearsal yet (runtime installed)", took, slowest(res)))
        took, res = run(repo, env, *up)
        rows.append(("2. `up --env staging` again, everything running", took, slowest(res)))
        run(repo, env, "down", "--env", "staging")
        took, res = run(repo, env, *up)
        rows.append(("3. `up --env staging` after `down`", took, slowest(res)))
    finally:
        subprocess.run(
            [CLI, "--repo", str(repo), "down", "--env", "staging"],
            env=env,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(scratch, ignore_errors=True)
    load_after = load()
    lines = [
        "## Production rehearsal: `supersetctl up --env staging`",
        "",
        f"Machine: {machine()}. Load average before {load_before}, after {load_after} "
        "(the machine was shared with other work while this ran).",
        "",
        "Method: `bench/rehearsal.py`. A scratch copy of the repo, free ports, the real command "
        "as a subprocess, wall-clock time until it returned (it returns once `/health` answers "
        "over HTTPS, the Celery worker and beat say they are ready, the read-only gate passed "
        "and provisioning is done). The spec's processes as they are: gunicorn 4 workers x 4 "
        "threads, a Celery worker with 4 processes, beat. The runtime venv was installed "
        "before (that is `make up`'s cost: see the local stack's table).",
        "",
        "| case | seconds | slowest steps (from `--format json`) |",
        "|---|---:|---|",
    ]
    lines += [f"| {name} | {took:.1f} | {detail} |" for name, took, detail in rows]
    lines.append("")
    path = write_section("rehearsal", "\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How long `supersetctl up` takes: from a fresh clone, again on a running stack, after `down`.

Method: a scratch copy of the repo (infra/, config/, image/) in a temp folder, free ports, and
the real command as a subprocess (`.venv/bin/supersetctl --format json up`), timed wall-clock.
Cases, in order:
  1. cold: a fresh clone on a machine that never installed the runtime (uv's cache emptied:
     UV_CACHE_DIR points at a new folder, so every wheel comes from PyPI);
  2. warm, running: `up` again with everything up (what `make up` costs when nothing changed);
  3. after `down`: `up` restarts PostgreSQL and Superset on the data that is there;
  4. fresh clone, warm cache: `reset --yes`, then `up` (a new clone on a machine that has
     installed the runtime before: the wheels come from uv's cache).
Per-step times come from the JSON `steps` of each run. The machine is shared with other work:
the load average before and after is recorded with the numbers.
Run: .venv/bin/python bench/local.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import machine, scratch_repo, write_section  # noqa: E402

from supersetctl.local.postgres import free_port  # noqa: E402

CLI = str(ROOT / ".venv" / "bin" / "supersetctl")


def phases(stderr: str, total: float) -> str:
    """Seconds between the progress lines `up` prints (`[ 12.3s] message`), slowest first."""
    marks = []
    for line in stderr.splitlines():
        m = re.match(r"\[\s*([0-9.]+)s\] (.*)", line)
        if m:
            marks.append((float(m.group(1)), m.group(2)))
    spans = [
        (marks[i + 1][0] - t if i + 1 < len(marks) else total - t, msg)
        for i, (t, msg) in enumerate(marks)
    ]
    spans = sorted((s for s in spans if s[0] >= 1.0), reverse=True)[:5]
    return "; ".join(f"{msg.split(' (')[0]} {sec:.0f}s" for sec, msg in spans)


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
    data = json.loads(r.stdout) if r.stdout.strip() else {}
    data["phases"] = phases(r.stderr, took)
    return took, data


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def steps(result: dict[str, object]) -> str:
    return str(result.get("phases", ""))


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="supersetctl-bench-local-"))
    scratch.chmod(0o755)
    repo = scratch_repo(scratch)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPERSETCTL_")}
    env["UV_CACHE_DIR"] = str(scratch / "uv-cache")
    up = ["up", "--port", str(free_port()), "--pg-port", str(free_port())]
    rows: list[tuple[str, float, str]] = []
    load_before = load()
    try:
        took, res = run(repo, env, *up)
        rows.append(("1. cold: fresh clone, empty package cache", took, steps(res)))
        took, res = run(repo, env, *up)
        rows.append(("2. `up` again, stack running", took, steps(res)))
        run(repo, env, "down")
        took, res = run(repo, env, *up)
        rows.append(("3. `up` after `down`", took, steps(res)))
        run(repo, env, "reset", "--yes")
        took, res = run(repo, env, *up)
        rows.append(("4. fresh clone, warm package cache", took, steps(res)))
    finally:
        subprocess.run(
            [CLI, "--repo", str(repo), "down"], env=env, capture_output=True, check=False
        )
        shutil.rmtree(scratch, ignore_errors=True)
    load_after = load()
    lines = [
        "## Local stack: `supersetctl up`",
        "",
        f"Machine: {machine()}. Load average before {load_before}, after {load_after} "
        "(the machine was shared with other work while this ran).",
        "",
        "Method: `bench/local.py`. A scratch copy of the repo, free ports, the real command as "
        "a subprocess, wall-clock time until `up` returned (it returns once `/health` answers "
        '`{"status": "OK"}` and the seed and access steps are done). The cold case empties '
        "uv's package cache, so the runtime (Superset 6.1.0 and ~150 pinned packages, hash-"
        "checked) is downloaded from PyPI.",
        "",
        "| case | seconds | slowest phases (from the progress lines) |",
        "|---|---:|---|",
    ]
    lines += [f"| {name} | {took:.1f} | {detail} |" for name, took, detail in rows]
    lines.append("")
    path = write_section("local", "\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

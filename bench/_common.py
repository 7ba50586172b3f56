"""Shared helpers for benchmarks: timing, machine description, writing a results section."""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "benchmarks"


def scratch_repo(
    where: Path, *, superset_port: int | None = None, pg_port: int | None = None
) -> Path:
    """A copy of the repo's files a stack needs (``infra/``, ``config/``, ``image/``) under
    ``where/repo``; with ports, ``config/dev`` points the local stack at them."""
    repo = where / "repo"
    for name in ("infra", "config", "image"):
        shutil.copytree(ROOT / name, repo / name)
    if superset_port is not None or pg_port is not None:
        config = repo / "config" / "dev" / "environment.yaml"
        text = config.read_text(encoding="utf-8")
        if superset_port is not None:
            text = re.sub(
                r"(url: http://127\.0\.0\.1):\d+", rf"\g<1>:{superset_port}", text, count=1
            )
        if pg_port is not None:
            text = re.sub(r"(\n\s+port:) \d+", rf"\g<1> {pg_port}", text, count=1)
        config.write_text(text, encoding="utf-8")
    return repo


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def timeit(fn: Callable[[], object], *, repeat: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "min": ordered[0],
        "median": statistics.median(ordered),
        "p95": p95,
        "max": ordered[-1],
    }


def write_section(name: str, markdown: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.md"
    path.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    return path

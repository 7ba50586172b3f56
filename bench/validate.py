"""How long `supersetctl validate` takes on this repo: in-process and end to end.

Run: .venv/bin/python bench/validate.py
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, machine, summary, timeit, write_section

from supersetctl.contract.validate import validate_repo
from supersetctl.paths import RepoPaths


def main() -> None:
    paths = RepoPaths(ROOT)
    lib = summary(timeit(lambda: validate_repo(paths), repeat=30, warmup=2))
    exe = Path(sys.executable).parent / "supersetctl"
    cli = summary(
        timeit(
            lambda: subprocess.run([str(exe), "validate"], cwd=ROOT, capture_output=True),
            repeat=10,
        )
    )
    helped = summary(
        timeit(
            lambda: subprocess.run([str(exe), "--help"], cwd=ROOT, capture_output=True),
            repeat=10,
        )
    )
    rows = [
        ("validate_repo(), all 3 environments, in process (30 runs)", lib),
        ("`supersetctl validate`, whole process (10 runs)", cli),
        ("`supersetctl --help`, whole process, every capability imported (10 runs)", helped),
    ]
    table = "\n".join(
        f"| {label} | {s['min'] * 1000:.0f} | {s['median'] * 1000:.0f} | {s['p95'] * 1000:.0f} |"
        for label, s in rows
    )
    md = f"""## validate

Machine: {machine()}. Date: {dt.date.today().isoformat()}.
Method: `bench/validate.py` times `validate_repo` on this repo (manifest, App Platform spec,
3 environment configs, provisioning files, env template, runtime config) after 2 warm-up runs,
then the installed `supersetctl validate` as a fresh process, which includes Python start-up
and imports.

| what | min ms | median ms | p95 ms |
|---|---:|---:|---:|
{table}

Goal: well under a second for the whole repo.
"""
    print(md)
    write_section("validate", md)


if __name__ == "__main__":
    main()

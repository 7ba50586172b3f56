"""Run every benchmark script and assemble docs/benchmarks.md from their sections.

Run: make bench   (or .venv/bin/python bench/run.py [NAME ...] to run some of them,
     .venv/bin/python bench/run.py --assemble to only rebuild docs/benchmarks.md)
Each bench/<name>.py writes docs/benchmarks/<name>.md; this script only runs them and joins
the sections, so a section that was not re-run keeps its last recorded numbers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ROOT / "docs" / "benchmarks"


def main(names: list[str]) -> int:
    scripts = sorted(p for p in Path(__file__).parent.glob("*.py") if not p.name.startswith("_"))
    scripts = [s for s in scripts if s.name != "run.py" and (not names or s.stem in names)]
    if names == ["--assemble"]:
        scripts = []
    failed = 0
    for script in scripts:
        print(f"==> {script.name}", flush=True)
        rc = subprocess.run([sys.executable, str(script)], cwd=ROOT).returncode
        failed += rc != 0
    parts = [
        "# Benchmarks\n",
        "Numbers measured on the machine each section names, by the script it names under "
        "`bench/`. Regenerate with `make bench`.\n",
    ]
    for section in sorted(SECTIONS.glob("*.md")):
        text = section.read_text(encoding="utf-8").rstrip() + "\n"
        if text.startswith("# "):  # every section sits one level below the page title
            text = "\n".join("#" + ln if ln.startswith("#") else ln for ln in text.split("\n"))
        parts.append(text)
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(parts), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Refuse a Python that cannot run the pinned Superset runtime, before `make up` builds anything.

Run with the interpreter to check (the Makefile runs it with $(PYTHON), and with .venv's when
there is one): exit 0 when it is supported, else 1 with the supported versions on stderr.
The versions live in src/supersetctl/local/python_support.py (standard library only).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from supersetctl.local.python_support import SUPPORTED, problem, supported_text


def main() -> int:
    why = problem(executable=sys.executable)
    if why is None:
        return 0
    newest = "python{}.{}".format(*SUPPORTED[-1])
    hint = f"install Python {supported_text()} and run: make up PYTHON={newest}"
    if sys.prefix != sys.base_prefix:  # a venv made with it (.venv): make it again
        hint = f"make clean, then {hint}"
    sys.stderr.write(f"error: {why}\n  {hint}\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())

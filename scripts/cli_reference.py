"""Write docs/cli-reference.md from the `--help` of every command (a test keeps it fresh).

Run: .venv/bin/python scripts/cli_reference.py        (or `make docs`)
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "cli-reference.md"


def _help(args: list[str]) -> str:
    from supersetctl.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main([*args, "--help"])
    return buf.getvalue().rstrip() + "\n"


def _commands() -> list[list[str]]:
    import typer

    from supersetctl.cli import app, load_all

    load_all()
    out: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        sub = getattr(cmd, "commands", None)
        if path:
            out.append(path)
        if sub:
            for name in sub:  # registration order, as --help lists them
                walk(sub[name], [*path, name])

    walk(typer.main.get_command(app), [])
    return out


def render() -> str:
    os.environ["COLUMNS"] = "100"  # help text wraps at 80 columns whatever the terminal
    parts = [
        "# CLI reference\n",
        "Generated from `--help` by `scripts/cli_reference.py` (`make docs`); "
        "a test fails when it is stale. The README has the tour; this page has every option.\n",
        "## supersetctl\n",
        "```text\n" + _help([]) + "```\n",
    ]
    for path in _commands():
        parts.append(f"## supersetctl {' '.join(path)}\n")
        parts.append("```text\n" + _help(path) + "```\n")
    return "\n".join(parts)


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        stale = not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text
        print("docs/cli-reference.md is stale: run make docs" if stale else "up to date")
        return 1 if stale else 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

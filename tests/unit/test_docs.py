"""The README and docs keep up with the CLI: every command is toured, every link resolves."""

from __future__ import annotations

import re

from supersetctl.cli import COMMANDS
from tests.support.helpers import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_shows_the_two_commands_a_newcomer_needs() -> None:
    assert "make up" in README and "make test" in README


def test_every_command_is_in_the_readme_tour() -> None:
    missing = [c for c in COMMANDS if not re.search(rf"`(supersetctl )?[^`]*\b{c}\b", README)]
    assert missing == []


def test_every_linked_doc_exists() -> None:
    docs = sorted(REPO_ROOT.glob("docs/*.md"))
    texts = {"README.md": README} | {f"docs/{d.name}": d.read_text(encoding="utf-8") for d in docs}
    broken = []
    for name, text in texts.items():
        base = REPO_ROOT if name == "README.md" else REPO_ROOT / "docs"
        for target in re.findall(r"\]\(([^)#\s]+)\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (base / target).exists():
                broken.append(f"{name} -> {target}")
    assert broken == []


def test_every_doc_is_reachable_from_the_readme() -> None:
    unlinked = [d.name for d in REPO_ROOT.glob("docs/*.md") if f"docs/{d.name}" not in README]
    assert unlinked == []


def test_makefile_targets_in_readme_exist() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.M))
    mentioned = set(re.findall(r"`make ([a-z-]+)`", README))
    assert mentioned <= targets, mentioned - targets


def test_cli_reference_is_fresh() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""Where the CLI prints: data to stdout, diagnostics to stderr, always redacted."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supersetctl.errors import UsageError
from supersetctl.paths import RepoPaths, find_root
from supersetctl.redact import redact

if TYPE_CHECKING:
    from rich.console import Console


class Format(StrEnum):
    text = "text"
    json = "json"


@dataclass
class State:
    format: Format = Format.text
    repo: Path | None = None

    def paths(self) -> RepoPaths:
        if self.repo is not None and not self.repo.is_dir():
            raise UsageError(f"--repo {self.repo}: no such folder", hint="pass the repo's root")
        return RepoPaths(find_root(self.repo) if self.repo is None else self.repo.resolve())


state = State()


# rich is imported when something is printed through it (a status, an error), not on every
# start: `write` and `emit_json` need none of it
def err_console() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def write(text: str) -> None:
    """Print data to stdout exactly as given (after redaction)."""
    sys.stdout.write(redact(text))
    sys.stdout.flush()


def emit_json(data: Any) -> None:
    write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def info(message: str) -> None:
    """A diagnostic line on stderr."""
    err_console().print(redact(message), markup=False)


def is_json() -> bool:
    return state.format is Format.json

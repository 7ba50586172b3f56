"""Where the CLI prints: data to stdout, diagnostics to stderr, always redacted."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from rich.console import Console

from supersetctl.paths import RepoPaths, find_root
from supersetctl.redact import redact


class Format(StrEnum):
    text = "text"
    json = "json"


@dataclass
class State:
    format: Format = Format.text
    repo: Path | None = None

    def paths(self) -> RepoPaths:
        return RepoPaths(find_root(self.repo) if self.repo is None else self.repo.resolve())


state = State()


def out_console() -> Console:
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def err_console() -> Console:
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

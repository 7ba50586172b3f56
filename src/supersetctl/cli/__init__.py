"""The ``supersetctl`` command line: parse, call the library, render.

Each capability registers its commands on ``app`` from its own module in this package
(``cli/<capability>.py``). Importing a capability imports its library (psycopg, httpx, pydo,
boto3...), so :func:`main` imports only the module of the command being run, and every module
for ``--help`` or an unknown command: ``supersetctl validate`` starts in a fraction of the time
``supersetctl --help`` needs. :data:`COMMANDS` maps each top-level command to its module; a
test keeps it complete.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from supersetctl.cli import _app
from supersetctl.cli._app import app

COMMANDS: dict[str, str] = {
    "validate": "contract",
    "schema": "contract",
    "scan": "secrets",
    "up": "local",
    "down": "local",
    "status": "local",
    "logs": "local",
    "reset": "local",
    "db": "db",
    "plan": "provision",
    "apply": "provision",
    "export": "provision",
    "import-bundle": "provision",
    "drift": "provision",
    "image": "image",
    "bump": "image",
    "deploy": "deploy",
    "rollback": "deploy",
    "health": "ops",
    "backup": "ops",
    "restore": "ops",
    "notify": "notify",
    "reader": "reader",
    "github": "github",
    "upgrade": "upgrade",
    "check": "check",
    "embed": "embed",
    "preview": "preview",
}

# global options that take a value: the token after them is not the command
_VALUE_OPTIONS = frozenset({"--format", "-f", "--repo"})


def modules() -> list[str]:
    """Every capability module of this package."""
    import pkgutil  # only for --help and unknown commands (~30 ms to import)

    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def load_all() -> None:
    for name in modules():
        importlib.import_module(f"{__name__}.{name}")


def command_of(argv: Sequence[str]) -> str | None:
    """The top-level command named in ``argv``, skipping global options and their values."""
    skip = False
    for token in argv:
        if skip:
            skip = False
            continue
        if token in _VALUE_OPTIONS:
            skip = True
            continue
        if token.startswith("-"):
            continue
        return token
    return None


def load_for(argv: Sequence[str]) -> None:
    """Import what running ``argv`` needs: one capability, or all of them."""
    command = command_of(argv)
    if command is None and "--version" in argv:
        return
    module = COMMANDS.get(command or "")
    if module is None:  # the command list (help), or an unknown command to report
        load_all()
    else:
        importlib.import_module(f"{__name__}.{module}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: load the command's module, run it, return (or exit with) the exit code."""
    load_for(sys.argv[1:] if argv is None else argv)
    return _app.main(argv)


__all__ = ["COMMANDS", "app", "load_all", "main"]

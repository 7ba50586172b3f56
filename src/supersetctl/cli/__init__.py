"""The ``supersetctl`` command line: parse, call the library, render.

Each capability registers its commands on ``app`` from its own module in this package
(``cli/<capability>.py``); every such module is imported here, so adding a capability needs no
edit to this file. :func:`main` maps errors to exit codes
(see :class:`supersetctl.errors.ExitCode`).
"""

from __future__ import annotations

import importlib
import pkgutil

from supersetctl.cli._app import app, main

for _module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["app", "main"]

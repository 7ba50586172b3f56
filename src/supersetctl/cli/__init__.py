"""The ``supersetctl`` command line: parse, call the library, render.

Each capability registers its commands from its own module here; :func:`main` maps errors to
exit codes (see :class:`supersetctl.errors.ExitCode`).
"""

from __future__ import annotations

from supersetctl.cli._app import app, main

# Each import registers that capability's commands on ``app``.
from supersetctl.cli import contract as _contract  # noqa: F401  isort: skip
from supersetctl.cli import provision as _provision  # noqa: F401  isort: skip
from supersetctl.cli import image as _image  # noqa: F401  isort: skip
from supersetctl.cli import deploy as _deploy  # noqa: F401  isort: skip
from supersetctl.cli import ops as _ops  # noqa: F401  isort: skip
from supersetctl.cli import secrets as _secrets  # noqa: F401  isort: skip
from supersetctl.cli import db as _db  # noqa: F401  isort: skip

__all__ = ["app", "main"]

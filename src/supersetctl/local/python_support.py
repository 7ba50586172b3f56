"""Which Python versions can run the pinned Superset runtime (``image/requirements.txt``).

The runtime venv is made with the Python that runs supersetctl, so that Python must be one the
pinned wheels exist for. apache-superset 6.1.0 declares ``Requires-Python >=3.10`` and the
classifiers 3.10 to 3.12; several compiled pins publish no CPython 3.13 wheels on PyPI (numpy
1.26.4, pandas 2.1.4, pyarrow 16.1.0, SQLAlchemy 1.4.54, msgpack 1.0.8), and supersetctl
itself needs 3.11. So: CPython 3.11 and 3.12. Re-check when image/requirements.txt changes.

Only the standard library, and syntax old Pythons parse: ``make up`` runs this (through
``scripts/check_python.py``) with whatever ``python3`` is, before anything is built.
"""

from __future__ import annotations

import sys

SUPPORTED = ((3, 11), (3, 12))
BLOCKERS = "numpy 1.26.4, pandas 2.1.4, pyarrow 16.1.0, SQLAlchemy 1.4.54, msgpack 1.0.8"


def supported_text() -> str:
    """``3.11 or 3.12``."""
    names = [f"{major}.{minor}" for major, minor in SUPPORTED]
    return ", ".join(names[:-1]) + " or " + names[-1]


def problem(version: tuple[int, ...] | None = None, executable: str | None = None) -> str | None:
    """Why this Python (``version``, default the running one) cannot run the pinned runtime,
    or None when it can."""
    ver = tuple(sys.version_info if version is None else version)
    if tuple(ver[:2]) in SUPPORTED:
        return None
    where = f" ({executable})" if executable else ""
    found = ".".join(str(part) for part in ver[:3])
    if tuple(ver[:2]) > SUPPORTED[-1]:
        why = f"the compiled pins of image/requirements.txt ({BLOCKERS}) have no wheels for it"
    else:
        why = "supersetctl and the pinned Superset 6.1.0 runtime need a newer one"
    return (
        f"Python {found}{where} cannot run the pinned Superset runtime: {why}. "
        f"Supported: Python {supported_text()}."
    )

"""Superset's REST API and its native asset bundles.

- :class:`SupersetClient` (``client.py``): login (password + CSRF + session cookie, or an access
  token), retries with backoff, per-kind listing, export, import, delete and a SQL Lab query.
- :func:`probe_health` (``health.py``): ``GET /health`` and the one rule for "healthy".
- ``bundle.py``: read and write native asset bundles (zip or folder).
"""

from __future__ import annotations

from .bundle import kind_of, parse, read_folder, read_path, read_zip, write_zip
from .client import KINDS, Credentials, SupersetClient
from .health import HealthProbe, probe_health

__all__ = [
    "KINDS",
    "Credentials",
    "HealthProbe",
    "SupersetClient",
    "kind_of",
    "parse",
    "probe_health",
    "read_folder",
    "read_path",
    "read_zip",
    "write_zip",
]

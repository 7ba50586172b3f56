"""Superset's REST API and its native asset bundles.

- :class:`SupersetClient` (``client.py``): login (password + CSRF + session cookie, or an access
  token), retries with backoff, per-kind listing, export, import and delete.
- ``bundle.py``: read and write native asset bundles (zip or folder).
"""

from __future__ import annotations

from .bundle import kind_of, parse, read_folder, read_path, read_zip, write_zip
from .client import KINDS, Credentials, SupersetClient

__all__ = [
    "KINDS",
    "Credentials",
    "SupersetClient",
    "kind_of",
    "parse",
    "read_folder",
    "read_path",
    "read_zip",
    "write_zip",
]

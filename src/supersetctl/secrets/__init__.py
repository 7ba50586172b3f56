"""Secrets-free in git: the secret rules, the placeholder policy, and the scanner.

Public API::

    is_placeholder(value) -> bool            the one placeholder policy (placeholders.py)
    scan_text(text, path) -> list[Finding]   secrets in one file's text (engine.py)
    KNOWN_DEFAULT_SECRET_KEYS                Superset's public default SECRET_KEYs
    RULES                                    rule id -> description

Git-aware scanning (tree, staged, history) lives in :mod:`supersetctl.secrets.gitscan`, the
allowlist in :mod:`supersetctl.secrets.allowlist`.
"""

from __future__ import annotations

from supersetctl.secrets.engine import fingerprint, scan_text
from supersetctl.secrets.placeholders import is_placeholder
from supersetctl.secrets.rules import KNOWN_DEFAULT_SECRET_KEYS, RULES, is_secret_name

__all__ = [
    "KNOWN_DEFAULT_SECRET_KEYS",
    "RULES",
    "fingerprint",
    "is_placeholder",
    "is_secret_name",
    "scan_text",
]

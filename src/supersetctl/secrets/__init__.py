"""Secrets-free in git: the secret rules, the placeholder policy, and the scanner.

Public API::

    is_placeholder(value) -> bool            the one placeholder policy (placeholders.py)
    is_secret_name(name) -> bool             which names hold a secret (names.py)
    scan_text(text, path) -> list[Finding]   secrets in one file's text (engine.py)
    KNOWN_DEFAULT_SECRET_KEYS                Superset's public default SECRET_KEYs
    RULES                                    rule id -> description

Git-aware scanning (tree, staged, history) lives in :mod:`supersetctl.secrets.gitscan`, the
allowlist in :mod:`supersetctl.secrets.allowlist`.

The names above are loaded on first use: every command imports ``secrets.names`` (to redact
secret variables) and should not pay for the scanner's rules when it scans nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from supersetctl.secrets.engine import fingerprint, scan_text
    from supersetctl.secrets.names import is_secret_name
    from supersetctl.secrets.placeholders import is_placeholder
    from supersetctl.secrets.rules import KNOWN_DEFAULT_SECRET_KEYS, RULES

_WHERE = {
    "fingerprint": "engine",
    "scan_text": "engine",
    "is_placeholder": "placeholders",
    "is_secret_name": "names",
    "KNOWN_DEFAULT_SECRET_KEYS": "rules",
    "RULES": "rules",
}

__all__ = [
    "KNOWN_DEFAULT_SECRET_KEYS",
    "RULES",
    "fingerprint",
    "is_placeholder",
    "is_secret_name",
    "scan_text",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)

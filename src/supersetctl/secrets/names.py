"""The one rule for which names hold a secret (``PGPASSWORD``, ``api_key``, ``SECRET_KEY``).

Small on purpose: every CLI start applies it to the environment (to redact secret values),
so it must not pull the scanner's rules in with it.
"""

from __future__ import annotations

import re

_SPLIT = re.compile(r"[_.\-\s]+|(?<=[a-z0-9])(?=[A-Z])")
_SECRET_LAST = frozenset({"password", "passwd", "pwd", "passphrase", "secret", "token", "apikey"})
_SECRET_SUFFIXES = ("password", "passwd", "secret", "token")
_SECRET_PAIRS = frozenset(
    {
        ("api", "key"),
        ("secret", "key"),
        ("private", "key"),
        ("access", "key"),
        ("auth", "key"),
        ("role", "key"),
        ("signing", "key"),
        ("encryption", "key"),
        ("master", "key"),
        ("service", "key"),
        ("client", "secret"),
    }
)


def name_tokens(name: str) -> list[str]:
    return [t.lower() for t in _SPLIT.split(name) if t]


# the shell's working directories: "pwd" there is not a password
_NOT_SECRET = frozenset({"PWD", "OLDPWD"})


def is_secret_name(name: str) -> bool:
    """Whether a variable or key called ``name`` holds a secret (PGPASSWORD, api_key, ...)."""
    if name in _NOT_SECRET:
        return False
    tokens = name_tokens(name)
    if not tokens:
        return False
    last = tokens[-1]
    if last in _SECRET_LAST or last.endswith(_SECRET_SUFFIXES):
        return True
    return len(tokens) >= 2 and (tokens[-2], last) in _SECRET_PAIRS

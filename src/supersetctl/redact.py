"""Redaction by value: every secret the process reads is registered here and masked everywhere.

Any code that reads a secret (an environment variable named as a secret, a password parsed out
of a URI, a token) calls :func:`register`. Every message that reaches a user, a log, a plan or a
diff goes through :func:`redact`. The CLI installs :class:`RedactingFilter` on the root logger,
so log records are masked too.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit

MASK = "***"
_MIN_LEN = 4  # shorter values would mask ordinary words and digits

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None

# user:password@ inside any URI-like text, for passwords nobody registered
_URI_PASSWORD = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s/]+)@"
)


def register(*values: str | None) -> None:
    """Remember secret values so that :func:`redact` masks them (and their URL-encoded form)."""
    global _pattern
    added = False
    with _lock:
        for value in values:
            if not value or len(value) < _MIN_LEN:
                continue
            for form in {value, quote(value, safe=""), unquote(value)}:
                if len(form) >= _MIN_LEN and form not in _values:
                    _values.add(form)
                    added = True
        if added:
            ordered = sorted(_values, key=len, reverse=True)
            _pattern = re.compile("|".join(re.escape(v) for v in ordered))


def register_uri(uri: str) -> None:
    """Register the password of a URI such as ``postgresql://user:pw@host/db``."""
    try:
        password = urlsplit(uri).password
    except ValueError:
        return
    register(password)


def registered() -> frozenset[str]:
    with _lock:
        return frozenset(_values)


def clear() -> None:
    """Forget every registered value (tests use this)."""
    global _pattern
    with _lock:
        _values.clear()
        _pattern = None


def redact(text: str) -> str:
    """Mask every registered secret and every inline URI password in ``text``."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _URI_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)


def redact_all(texts: Iterable[str]) -> list[str]:
    return [redact(t) for t in texts]


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the rendered message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True

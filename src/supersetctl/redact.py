"""Redaction by value: every secret the process reads is registered here and masked everywhere.

Any code that reads a secret (an environment variable named as a secret, a password parsed out
of a URI, a token) calls :func:`register` (or :func:`register_uri`, :func:`register_env`,
:func:`register_mapping`). Every message that reaches a user, a log, a plan or a diff goes
through :func:`redact` (text) or :func:`redact_data` (plans, diffs, JSON). The CLI installs
:class:`RedactingFilter` on its log handler, so log records and their tracebacks are masked too.

Besides registered values, :func:`redact` always masks what is recognisably secret on sight:
the password of any ``scheme://user:<password>@`` URI, ``password=<...>`` in a libpq connection
string, and well-known token shapes (DigitalOcean, GitHub, Slack, Supabase keys, JWTs).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

MASK = "***"
_MIN_LEN = 4  # shorter values would mask ordinary words and digits

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None

# user:password@ inside any URI-like text, for passwords nobody registered
_URI_PASSWORD = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^\s/]+)@"
)
# password=... in libpq connection strings and query strings
_KV_PASSWORD = re.compile(r"(?i)(?P<key>\b(?:password|passwd|pwd)=['\"]?)(?P<pw>[^\s&;'\"]+)")
# token shapes that are secret wherever they appear
_TOKEN_SHAPES = re.compile(
    "|".join(
        [
            r"\bdo[por]_v1_[A-Za-z0-9]{16,}",
            r"\bgh[pousr]_[A-Za-z0-9]{20,}",
            r"\bgithub_pat_[A-Za-z0-9_]{20,}",
            r"\bxox[abposre]-[A-Za-z0-9-]{10,}",
            r"https://hooks\.slack\.com/[A-Za-z0-9/_+-]{10,}",
            r"\bsb_secret_[A-Za-z0-9_-]{10,}",
            r"\bsbp_[A-Za-z0-9]{20,}",
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        ]
    )
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
    """Register the password of a URI such as ``postgresql://user:pw@host/db``.

    A libpq connection string (``host=h password=pw``) works too.
    """
    if "://" not in uri:
        register(*(m["pw"] for m in _KV_PASSWORD.finditer(uri)))
        return
    try:
        password = urlsplit(uri).password
    except ValueError:
        m = _URI_PASSWORD.search(uri)
        password = m["pw"] if m else None
    register(password)
    if password and "@" in password:
        # an unencoded @: libpq splits at the first one and may print the rest as a host name
        register(*(piece for piece in password.split("@") if len(piece) >= 4))
    register(*(m["pw"] for m in _KV_PASSWORD.finditer(uri)))


def _secret_name(name: str) -> bool:
    from supersetctl.secrets.names import is_secret_name  # the one naming rule; lazy: no cycle

    return is_secret_name(name)


def _placeholder(value: str) -> bool:
    from supersetctl.secrets.placeholders import is_placeholder

    return is_placeholder(value)


def register_mapping(values: Mapping[str, Any]) -> int:
    """Register every secret of a name -> value mapping (an env file, a config section).

    A value counts as secret when its name does (``PGPASSWORD``, ``*_TOKEN``, ``SECRET_KEY``,
    ``api_key``...) and it is not a placeholder; URI passwords in any value count too.
    Returns how many values were registered.
    """
    count = 0
    for name, value in values.items():
        if not isinstance(value, str) or not value:
            continue
        if "://" in value or "password=" in value.lower():
            register_uri(value)
        if _secret_name(str(name)) and not _placeholder(value):
            register(value)
            count += 1
    return count


def register_env(environ: Mapping[str, str] | None = None) -> int:
    """Register the secrets held by environment variables (``os.environ`` by default)."""
    return register_mapping(os.environ if environ is None else environ)


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
    """Mask every registered secret, inline URI/conninfo password and token shape in ``text``."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _TOKEN_SHAPES.sub(MASK, text)
    text = _KV_PASSWORD.sub(lambda m: m["key"] + MASK, text)
    return _URI_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)


def redact_all(texts: Iterable[str]) -> list[str]:
    return [redact(t) for t in texts]


def redact_data(data: Any) -> Any:
    """A copy of plain data (a plan, a diff, a JSON payload) that is safe to show.

    Strings are redacted; the value of any key named as a secret is masked outright unless it
    is a placeholder. Dicts, lists and tuples are walked; other values are kept.
    """
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, Mapping):
        out: dict[Any, Any] = {}
        for key, value in data.items():
            secret = isinstance(key, str) and _secret_name(key)
            if secret and isinstance(value, str) and value and not _placeholder(value):
                out[key] = MASK
            else:
                out[key] = redact_data(value)
        return out
    if isinstance(data, list | tuple):
        items = [redact_data(v) for v in data]
        return items if isinstance(data, list) else tuple(items)
    return data


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the rendered message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True

"""The one placeholder policy: which values are stand-ins, not secrets.

Every check of supersetctl that asks "is this a plaintext secret?" (``scan`` and ``validate``)
asks :func:`is_placeholder` first. A value is a placeholder when the *whole* value (quotes and
surrounding blanks stripped) is one of:

* a reference to something resolved later: ``${VAR}``, ``${VAR:?message}``, ``${VAR?message}``,
  ``$VAR``, ``$(command)``, ``${{ secrets.NAME }}`` (GitHub Actions), ``{{ ... }}`` (Jinja, Go
  templates), ``{name}`` / ``{expression}`` (a format or f-string field), ``%(name)s``;
* ``${VAR:-default}`` / ``${VAR-default}`` / ``${VAR:=default}`` only when the *default* is
  itself empty or a placeholder: a default is a literal that ends up in use, so it is checked
  like any other value;
* an encrypted value: ``EV[...]`` (DigitalOcean App Platform) or ``ENC[...]`` (sops);
* an obvious stand-in: ``<anything>``, ``__SET_ME__`` (any ``__UPPER_CASE__``), ``changeme``,
  ``change-me``, ``CHANGE_ME...`` (any case, anything after), ``your-...`` / ``your_...`` /
  ``YOUR_...``, a value made only of ``x`` (``xxxx``, ``XXXX-XXXX``), a mask made only of ``*``
  or dots (``***``, ``...``);
* empty (nothing to leak).

Several references joined by punctuation (``${USER}:${PASSWORD}``) are a placeholder too.
Anything else is treated as a possible secret.
"""

from __future__ import annotations

import re

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"

# ${VAR}, ${VAR:?msg}, ${VAR?msg}; defaults are handled separately
_BRACED = re.compile(rf"\$\{{\s*{_NAME}\s*(?:(?::?\?)[^}}]*)?\}}")
_BRACED_DEFAULT = re.compile(rf"\$\{{\s*{_NAME}\s*(?::-|-|:=|=)")
_REFERENCE = re.compile(
    "|".join(
        [
            r"\$\{\{.*?\}\}",  # ${{ secrets.X }}
            r"\{\{.*?\}\}",  # {{ jinja }}
            r"\{%.*?%\}",  # {% jinja %}
            rf"\${_NAME}",  # $VAR
            r"\$\([^()]*\)",  # $(command)
            r"`[^`]*`",  # `command`
            rf"\{{\s*{_NAME}[^{{}}\n]*\}}",  # {name}, {cfg.password}, {make_pw(12)}
            rf"%\({_NAME}\)[sdr]",  # %(name)s
            r"%s",
            r"EV\[[^\]]*\]",  # DigitalOcean encrypted value
            r"ENC\[[^\]]*\]",  # sops
            r"<[^<>\n]+>",  # <your password>
        ]
    ),
    re.DOTALL,
)
_STANDIN = re.compile(
    r"""
    __[A-Z][A-Z0-9_]*__            # __SET_ME__
    | change[-_ ]?me.*             # changeme, CHANGE_ME_PLEASE
    | your[-_ ].*                  # your-token, YOUR_API_KEY
    | [xX]+(?:[-_.:/ ][xX]+)*       # xxxx, XXXX-XXXX
    | [*.\u2022\u2026]+              # ***, ..., bullets
    """,
    re.VERBOSE | re.IGNORECASE | re.DOTALL,
)
_JOINER = re.compile(r"[\s:/@._,;=+\-]*")


def _strip(value: str) -> str:
    value = value.strip()
    while len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1].strip()
    return value


def _only_references(value: str) -> bool:
    """True when ``value`` is one or more references joined by punctuation only."""
    pos = 0
    seen = False
    while pos < len(value):
        joiner = _JOINER.match(value, pos)
        if joiner and joiner.end() > pos:
            pos = joiner.end()
            continue
        for pattern in (_BRACED, _REFERENCE):
            m = pattern.match(value, pos)
            if m:
                pos = m.end()
                seen = True
                break
        else:
            m = _BRACED_DEFAULT.match(value, pos)
            end = _closing_brace(value, m.end()) if m else -1
            if m and end > 0 and is_placeholder(value[m.end() : end]):
                pos = end + 1
                seen = True
                continue
            return False
    return seen


def _closing_brace(value: str, pos: int) -> int:
    """The index of the ``}`` closing a ``${`` whose body starts at ``pos`` (-1 if none)."""
    depth = 0
    for i in range(pos, len(value)):
        if value[i] == "{":
            depth += 1
        elif value[i] == "}":
            if depth == 0:
                return i
            depth -= 1
    return -1


def is_placeholder(value: str) -> bool:
    """Whether ``value`` is a placeholder (a stand-in to fill in later), not a secret.

    >>> is_placeholder("${SUPERSET_SECRET_KEY}"), is_placeholder("EV[1:abc:def]")
    (True, True)
    >>> is_placeholder("${PGPASSWORD:-hunter2}"), is_placeholder("s3cr3t-value")
    (False, False)
    """
    v = _strip(value)
    if not v:
        return True
    if len(v) > 4096:
        return False
    if _STANDIN.fullmatch(v):
        return True
    return _only_references(v)


__all__ = ["is_placeholder"]

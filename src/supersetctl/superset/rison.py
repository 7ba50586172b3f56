"""Rison encoding, the URL-friendly JSON Superset's list and export endpoints read in ``q``."""

from __future__ import annotations

from typing import Any


def dumps(value: Any) -> str:
    """Encode plain data as rison (strings are always quoted, which rison allows)."""
    if value is None:
        return "!n"
    if value is True:
        return "!t"
    if value is False:
        return "!f"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("!", "!!").replace("'", "!'") + "'"
    if isinstance(value, dict):
        return "(" + ",".join(f"{_key(k)}:{dumps(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list | tuple):
        return "!(" + ",".join(dumps(v) for v in value) + ")"
    raise TypeError(f"cannot encode {type(value).__name__} as rison")


def _key(key: str) -> str:
    if key and all(c.isalnum() or c in "_-./~" for c in key) and not key[0].isdigit():
        return key
    return dumps(key)

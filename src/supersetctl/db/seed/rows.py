"""Rows as PostgreSQL's COPY text format, encoded as they are generated."""

from __future__ import annotations

import json


def cell(value: object) -> str:
    """One value as COPY text: ``\\N`` for NULL, ``t``/``f``, escaped text, dicts as JSON."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    if isinstance(value, dict):
        return cell(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return str(value)


class Table:
    """Rows of one table, encoded as COPY text as they come."""

    def __init__(self, name: str, columns: str) -> None:
        self.name = name
        self.columns = [c.strip() for c in columns.split(",")]
        self.chunks: list[str] = []
        self.count = 0

    def add(self, *values: object) -> None:
        self.chunks.append("\t".join(map(cell, values)) + "\n")
        self.count += 1

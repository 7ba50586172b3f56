"""Every YAML and JSON read and write of supersetctl goes through here.

``load_document`` parses YAML or JSON into plain Python data plus a :class:`Positions` map from
a key path to its ``(line, col)`` (1-based), so validators can point at the exact place.
``dump_yaml`` writes deterministic YAML; ``roundtrip_load``/``roundtrip_dump`` keep comments and
layout for files we edit in place (the App Platform spec).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from supersetctl.errors import ConfigError

KeyPath = tuple[str | int, ...]


@dataclass
class Positions:
    """Where each key (or list item) of a document sits in its file."""

    path: str
    _where: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def of(self, keypath: KeyPath) -> tuple[int, int]:
        """The position of ``keypath``, or of its nearest ancestor that is known."""
        kp = tuple(keypath)
        while kp:
            if kp in self._where:
                return self._where[kp]
            kp = kp[:-1]
        return self._where.get((), (1, 1))

    def line(self, keypath: KeyPath) -> int:
        return self.of(keypath)[0]


@dataclass
class Document:
    path: str
    data: Any
    positions: Positions
    text: str


def _yaml_rt() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _plain(node: Any, keypath: KeyPath, where: dict[KeyPath, tuple[int, int]]) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key in node:
            try:
                line, col = node.lc.key(key)
                where[(*keypath, str(key))] = (line + 1, col + 1)
            except (KeyError, TypeError, AttributeError):
                pass
            out[key] = _plain(node[key], (*keypath, str(key)), where)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, item in enumerate(node):
            try:
                line, col = node.lc.item(i)
                where[(*keypath, i)] = (line + 1, col + 1)
            except (KeyError, TypeError, AttributeError):
                pass
            items.append(_plain(item, (*keypath, i), where))
        return items
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def parse_text(text: str, path: str) -> Document:
    """Parse YAML (or JSON, by the file name) into plain data and positions.

    Raises :class:`ConfigError` with the file and line on a syntax error.
    """
    where: dict[KeyPath, tuple[int, int]] = {(): (1, 1)}
    if path.endswith(".json"):
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"invalid JSON: {exc.msg} at column {exc.colno}",
                path=path,
                line=exc.lineno,
                hint="fix the JSON syntax",
            ) from None
    try:
        node = _yaml_rt().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "syntax error"
        raise ConfigError(
            f"invalid YAML: {problem}", path=path, line=line, hint="fix the YAML syntax"
        ) from None
    except YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path=path, hint="fix the YAML syntax") from None
    data = json.loads(text) if path.endswith(".json") else _plain(node, (), where)
    if path.endswith(".json"):
        _plain(node, (), where)
    return Document(path=path, data=data, positions=Positions(path, where), text=text)


def load_document(file: Path, display: str | None = None) -> Document:
    display = display or str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=display, hint="create it") from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path=display) from None
    return parse_text(text, display)


def iter_keypaths(data: Any, prefix: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Every (keypath, value) pair of a plain document, depth first, in document order."""
    yield prefix, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from iter_keypaths(value, (*prefix, str(key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from iter_keypaths(value, (*prefix, i))


def dump_yaml(data: Any) -> str:
    """Deterministic block YAML for plain data (key order as given)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 4096
    yaml.allow_unicode = True
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


def roundtrip_load(text: str) -> Any:
    """Load YAML keeping comments, quotes and layout, to edit and dump it back."""
    return _yaml_rt().load(text)


def roundtrip_dump(node: Any) -> str:
    buf = io.StringIO()
    _yaml_rt().dump(node, buf)
    return buf.getvalue()

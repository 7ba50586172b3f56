"""Which repo manages a live asset: the marker ``apply`` writes on every asset it sends.

Superset keeps ``is_managed_externally`` (readable) and ``external_url`` (a link its UI shows,
but that no endpoint of Superset 6.1 gives back: not the lists, the show endpoints, nor the
exports). So the owner is also written where an export reads it back, under one key,
``supersetctl``, holding ``{"owner": <provisioning.owner>, "file": <the asset's file>}``:

==========  ==========================  ================================================
kind        where                       why there
==========  ==========================  ================================================
chart       ``params.supersetctl``      free-form JSON that Superset keeps and exports
dashboard   ``metadata.supersetctl``    the dashboard's JSON metadata, kept and exported
dataset     ``extra.supersetctl``       the dataset's extra JSON, kept and exported
database    (none)                      Superset refuses unknown keys in a database's
                                        ``extra``: a database is this repo's when its
                                        connection is one ``config/<env>/`` declares
==========  ==========================  ================================================

The marker is never written to a file and never compared as content: the planner reads it to
decide ownership (another repo's asset is never overwritten or deleted) and to say when an
asset moves from one file to another.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MARKER = "supersetctl"
# the key of each kind's content that holds the marker
MARKER_FIELD = {"chart": "params", "dashboard": "metadata", "dataset": "extra"}


@dataclass(frozen=True)
class Marker:
    owner: str
    file: str


def _container(kind: str, data: Mapping[str, Any]) -> dict[str, Any] | None:
    key = MARKER_FIELD.get(kind)
    if key is None:
        return None
    value = data.get(key)
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def read_marker(kind: str, data: Mapping[str, Any]) -> Marker | None:
    """The marker of an exported asset, or None when it carries none."""
    box = _container(kind, data)
    mark = box.get(MARKER) if box else None
    if isinstance(mark, dict) and isinstance(mark.get("owner"), str):
        return Marker(mark["owner"], str(mark.get("file") or ""))
    return None


def with_marker(kind: str, data: dict[str, Any], marker: Marker) -> dict[str, Any]:
    """``data`` (a copy) carrying ``marker`` (databases carry none)."""
    key = MARKER_FIELD.get(kind)
    if key is None:
        return data
    out = dict(data)
    box = dict(_container(kind, data) or {})  # a new container; what it holds is not changed
    box[MARKER] = {"owner": marker.owner, "file": marker.file}
    out[key] = box
    return out


def without_marker(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without the marker: what a file holds (an emptied container becomes what
    Superset has for "nothing": ``None`` for a dataset's extra, ``{}`` otherwise)."""
    key = MARKER_FIELD.get(kind)
    if key is None or key not in data:
        return data
    box = _container(kind, data)
    if box is None or MARKER not in box:
        return data
    out = dict(data)
    rest = {k: v for k, v in box.items() if k != MARKER}
    out[key] = rest if rest or kind != "dataset" else None
    return out


def database_endpoint(uri: str) -> tuple[str, int | None, str] | None:
    """(host, port, database name) of a database URI, or None when it is not a URL."""
    try:
        parts = urlsplit(uri)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    return host.lower(), port, parts.path.lstrip("/")

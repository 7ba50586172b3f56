"""Normal forms of asset content: one to compare (files vs live), one to write (export).

Comparison ignores what the server owns or renumbers: ``version``, a chart's ``query_context``
and the ``datasource``/``slice_id`` in its params, the database password, and every chart id a
dashboard holds (position ``meta.chartId``, filter scopes, cross-filter settings), which are
mapped to chart uuids first. JSON kept in strings is parsed, so a file may write it either way.

The export form keeps Superset's key order, drops the volatile fields, and renumbers the chart
ids of each dashboard 1..n in position order (the importer needs ids there, and maps them).
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

MASKED = "XXXXXXXXXX"  # what Superset writes for a password in exports and reads as "unchanged"

IdMap = Callable[[Any], Any]


def mask_uri_password(uri: str, replacement: str = MASKED) -> tuple[str, str | None]:
    """``uri`` with its password replaced, and the password (None when it has none)."""
    try:
        parts = urlsplit(uri)
        password = parts.password
    except ValueError:
        return uri, None
    if password is None:
        return uri, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    netloc = f"{user}:{replacement}@{hostport}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), password


def chart_nodes(position: Any) -> list[dict[str, Any]]:
    if not isinstance(position, dict):
        return []
    return [
        n
        for n in position.values()
        if isinstance(n, dict) and n.get("type") == "CHART" and isinstance(n.get("meta"), dict)
    ]


def remap_chart_ids(dashboard: dict[str, Any], id_map: IdMap) -> dict[str, Any]:
    """Rewrite every chart id a dashboard holds through ``id_map`` (unknown ids are dropped)."""
    data = copy.deepcopy(dashboard)

    def one(old: Any) -> Any:
        try:
            return id_map(int(old))
        except (TypeError, ValueError):
            return None

    def many(ids: Any) -> list[Any]:
        if not isinstance(ids, list):
            return []
        return [v for v in (one(i) for i in ids) if v is not None]

    def keys(mapping: Any) -> dict[str, Any]:
        if not isinstance(mapping, dict):
            return {}
        return {str(one(k)): v for k, v in mapping.items() if one(k) is not None}

    for node in chart_nodes(data.get("position")):
        meta = node["meta"]
        if "chartId" in meta:
            new = one(meta["chartId"])
            if new is None:
                del meta["chartId"]
            else:
                meta["chartId"] = new
    meta = data.get("metadata")
    if not isinstance(meta, dict):
        return data
    if "timed_refresh_immune_slices" in meta:
        meta["timed_refresh_immune_slices"] = many(meta["timed_refresh_immune_slices"])
    if "expanded_slices" in meta:
        meta["expanded_slices"] = keys(meta["expanded_slices"])
    if "filter_scopes" in meta:
        meta["filter_scopes"] = keys(meta["filter_scopes"])
        for columns in meta["filter_scopes"].values():
            for attrs in columns.values() if isinstance(columns, dict) else []:
                if isinstance(attrs, dict) and "immune" in attrs:
                    attrs["immune"] = many(attrs["immune"])
    if isinstance(meta.get("default_filters"), str):
        with contextlib.suppress(ValueError):
            meta["default_filters"] = json.dumps(keys(json.loads(meta["default_filters"])))
    for flt in meta.get("native_filter_configuration") or []:
        if not isinstance(flt, dict):
            continue
        scope = flt.get("scope")
        if isinstance(scope, dict) and "excluded" in scope:
            scope["excluded"] = many(scope["excluded"])
        if "chartsInScope" in flt:
            flt["chartsInScope"] = many(flt["chartsInScope"])
    glob = meta.get("global_chart_configuration")
    if isinstance(glob, dict):
        scope = glob.get("scope")
        if isinstance(scope, dict) and "excluded" in scope:
            scope["excluded"] = many(scope["excluded"])
        if "chartsInScope" in glob:
            glob["chartsInScope"] = many(glob["chartsInScope"])
    if isinstance(meta.get("chart_configuration"), dict):
        new_conf: dict[str, Any] = {}
        for old, conf in meta["chart_configuration"].items():
            new = one(old)
            if new is None:
                continue
            if isinstance(conf, dict):
                conf["id"] = new
                cross = conf.get("crossFilters")
                if isinstance(cross, dict):
                    scope = cross.get("scope")
                    if isinstance(scope, dict) and "excluded" in scope:
                        scope["excluded"] = many(scope["excluded"])
                    if "chartsInScope" in cross:
                        cross["chartsInScope"] = many(cross["chartsInScope"])
            new_conf[str(new)] = conf
        meta["chart_configuration"] = new_conf
    return data


def position_ids(position: Any, fallback: dict[int, str] | None = None) -> dict[int, str]:
    """chart id -> chart uuid as a dashboard's position records them (plus ``fallback``)."""
    out: dict[int, str] = {}
    for node in chart_nodes(position):
        meta = node["meta"]
        try:
            cid = int(meta.get("chartId"))
        except (TypeError, ValueError):
            continue
        uuid = meta.get("uuid") or (fallback or {}).get(cid)
        if uuid:
            out[cid] = str(uuid)
    return out


def _parse_json_strings(node: Any) -> Any:
    if isinstance(node, str):
        text = node.strip()
        if len(text) >= 2 and text[0] + text[-1] in ("{}", "[]"):
            try:
                return _parse_json_strings(json.loads(text))
            except ValueError:
                return node
        return node
    if isinstance(node, dict):
        return {k: _parse_json_strings(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_parse_json_strings(v) for v in node]
    return node


def _chart_params(params: dict[str, Any]) -> dict[str, Any]:
    """Params without the ids the importer rewrites, with the annotation layers it keeps (only
    formula layers survive an import)."""
    out = {k: v for k, v in params.items() if k not in ("datasource", "slice_id")}
    layers = out.get("annotation_layers") or []
    out["annotation_layers"] = [
        a for a in layers if isinstance(a, dict) and a.get("annotationType") == "FORMULA"
    ]
    return out


_MANAGED_KEYS = ("version", "is_managed_externally", "external_url")

# A dashboard's colours Superset works out itself: its page stores them whenever someone who may
# edit the dashboard opens it (PUT /api/v1/dashboard/<id>/colors?mark_updated=false, which leaves
# changed_on as it was), from the colour scheme and the labels its charts show. Nobody writes
# them, so they are neither compared nor exported (a file holds them empty): compared, an opened
# dashboard would differ from its file with no changed_on to tell a cached run so.
DERIVED_COLORS: dict[str, Any] = {
    "color_scheme_domain": [],
    "shared_label_colors": [],
    "map_label_colors": {},
}


def _without_derived_colors(dashboard: dict[str, Any], *, blank: bool) -> None:
    """Drop (or, ``blank``, empty) the derived colours of a dashboard's metadata, in place."""
    meta = dashboard.get("metadata")
    if not isinstance(meta, dict):
        return
    for key, empty in DERIVED_COLORS.items():
        if key in meta:
            if blank:
                meta[key] = copy.deepcopy(empty)
            else:
                del meta[key]


def comparable(kind: str, data: dict[str, Any], chart_uuids: dict[int, str]) -> dict[str, Any]:
    """The form of an asset that files and live exports are compared in."""
    out = {k: v for k, v in data.items() if k not in _MANAGED_KEYS}
    if kind == "database":
        out.pop("password", None)
        if "allow_csv_upload" in out:  # older exports' name for the same flag
            out.setdefault("allow_file_upload", out.pop("allow_csv_upload"))
            out.pop("allow_csv_upload", None)
        if isinstance(out.get("sqlalchemy_uri"), str):
            out["sqlalchemy_uri"] = mask_uri_password(out["sqlalchemy_uri"])[0]
    elif kind == "dataset":
        for key, name in (("columns", "column_name"), ("metrics", "metric_name")):
            items = out.get(key)
            if isinstance(items, list) and all(isinstance(i, dict) for i in items):
                out[key] = {str(i.get(name)): i for i in items}
    elif kind == "chart":
        out.pop("query_context", None)
        params = _parse_json_strings(out.get("params"))
        if isinstance(params, dict):
            out["params"] = _chart_params(params)
    elif kind == "dashboard":
        ids = position_ids(out.get("position"), chart_uuids)
        out = remap_chart_ids(out, lambda i: ids.get(i))
        for node in chart_nodes(out.get("position")):
            meta = node["meta"]
            uuid = meta.pop("chartId", None)
            if uuid and "uuid" not in meta:
                meta["uuid"] = uuid
        for flt in (out.get("metadata") or {}).get("native_filter_configuration") or []:
            targets = flt.get("targets") if isinstance(flt, dict) else None
            for target in targets if isinstance(targets, list) else []:
                if isinstance(target, dict):
                    target.pop("datasetId", None)
    parsed = _parse_json_strings(out)
    assert isinstance(parsed, dict)
    if kind == "dashboard":
        _without_derived_colors(parsed, blank=False)
    return parsed


def for_file(kind: str, data: dict[str, Any], chart_uuids: dict[int, str]) -> dict[str, Any]:
    """The deterministic form of a live asset written by ``export``."""
    out = {k: v for k, v in data.items() if k not in ("is_managed_externally", "external_url")}
    if kind == "chart":
        out.pop("query_context", None)
        params = out.get("params")
        if isinstance(params, dict):
            out["params"] = _chart_params(params)
    elif kind == "dashboard":
        ids = position_ids(out.get("position"), chart_uuids)
        for node in chart_nodes(out.get("position")):
            meta = node["meta"]
            try:
                cid = int(meta.get("chartId"))
            except (TypeError, ValueError):
                continue
            if cid in ids and "uuid" not in meta:
                meta["uuid"] = ids[cid]
        local: dict[int, int] = {}
        for node in chart_nodes(out.get("position")):
            try:
                cid = int(node["meta"].get("chartId"))
            except (TypeError, ValueError):
                continue
            local.setdefault(cid, len(local) + 1)
        out = remap_chart_ids(out, lambda i: local.get(i))
        _without_derived_colors(out, blank=True)
    return out


@dataclass(frozen=True)
class FieldDiff:
    path: str
    live: Any
    desired: Any

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "live": self.live, "desired": self.desired}


_ABSENT = object()


def diff(desired: Any, live: Any, path: str = "") -> list[FieldDiff]:
    """Where ``live`` differs from ``desired``, for the keys ``desired`` sets.

    A key the file leaves out keeps whatever the server has (its default), so a hand-written
    file may be shorter than an export.
    """
    if isinstance(desired, dict) and isinstance(live, dict):
        out: list[FieldDiff] = []
        for key, value in desired.items():
            sub = f"{path}.{key}" if path else str(key)
            if key not in live:
                if value not in (None, "", [], {}):
                    out.append(FieldDiff(sub, None, value))
                continue
            out.extend(diff(value, live[key], sub))
        return out
    if isinstance(desired, list) and isinstance(live, list) and len(desired) == len(live):
        out = []
        for i, (d, v) in enumerate(zip(desired, live, strict=True)):
            out.extend(diff(d, v, f"{path}[{i}]"))
        return out
    if desired == live or (desired in (None, "", [], {}) and live in (None, "", [], {})):
        return []
    if same_scalar(desired, live):
        return []
    return [FieldDiff(path or "(asset)", live, desired)]


def same_scalar(a: Any, b: Any) -> bool:
    """Whether a string and a number or boolean say the same (``"600"`` and ``600``,
    ``"true"`` and ``True``): a ``${VAR}`` always resolves to text, and Superset stores the
    number it stands for."""
    if isinstance(b, str) and not isinstance(a, str):
        a, b = b, a
    if not isinstance(a, str) or not isinstance(b, bool | int | float):
        return False
    text = a.strip().lower()
    if isinstance(b, bool):
        return text == ("true" if b else "false")
    try:
        return float(text) == float(b) if isinstance(b, float) or "." in text else int(text) == b
    except ValueError:
        return False

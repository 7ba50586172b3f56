"""Write assets (from a live instance or a native bundle) into the provisioning layout.

Deterministic: a file keeps its path once it exists (found by uuid); new files get slug names;
content has no ids, timestamps or volatile fields; a database password becomes the ``${VAR}``
the environment declares for it; any value whose file wrote a ``${VAR}`` that still resolves
to the same value keeps the ``${VAR}``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from supersetctl.contract.models import EnvConfig
from supersetctl.errors import ConfigError
from supersetctl.fsutil import atomic_write_many
from supersetctl.superset.bundle import dump_native

from .layout import KIND_ORDER, NAME_KEY, AssetFile, load_layout, slugify
from .normalize import MASKED, chart_nodes, for_file, mask_uri_password, same_scalar
from .variables import Variables, interpolate

log = logging.getLogger(__name__)


@dataclass
class ExportResult:
    written: list[str] = field(default_factory=list)  # repo-relative paths
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"written": self.written, "unchanged": self.unchanged, "warnings": self.warnings}


@dataclass
class Item:
    kind: str
    data: dict[str, Any]


def _db_prefix(key: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", key.upper())


def database_uri_template(uri: str, cfg: EnvConfig | None, slug: str) -> tuple[str, str | None]:
    """A masked live URI as a template using the environment's variables, and a warning."""
    try:
        parts = urlsplit(uri)
        host, port, user = parts.hostname, parts.port, parts.username
    except ValueError:
        return uri, None
    dbname = parts.path.lstrip("/")
    if cfg is not None:
        for key, db in cfg.databases.items():
            if db.host == host and db.database == dbname and (port in (None, db.port)):
                p = _db_prefix(key)
                userpart = f"${{{p}_DB_USER}}" if user == db.user else (user or "")
                auth = f"{userpart}:${{{db.password_env}}}@" if parts.password else f"{userpart}@"
                netloc = f"{auth}${{{p}_DB_HOST}}"
                if port is not None:
                    netloc += f":${{{p}_DB_PORT}}"
                query = re.sub(
                    rf"(^|&)sslmode={re.escape(str(db.sslmode))}(&|$)",
                    rf"\g<1>sslmode=${{{p}_DB_SSLMODE}}\g<2>",
                    parts.query,
                )
                out = f"{parts.scheme}://{netloc}/${{{p}_DB_NAME}}"
                return out + (f"?{query}" if query else ""), None
    if parts.password is not None:  # masked by Superset, or in clear in a hand-made bundle
        var = _db_prefix(slug) + "_DB_PASSWORD"
        templated, _ = mask_uri_password(uri, f"${{{var}}}")
        return templated, (
            f"database {slug}: password written as ${{{var}}}; declare it under `secrets:` "
            "in config/<env>/environment.yaml"
        )
    return uri, None


def keep_placeholders(new: Any, raw: Any, variables: Variables, file: str) -> Any:
    """``new``, except where ``raw`` (the file as written) has a ``${VAR}`` resolving to the
    same value: there the ``${VAR}`` stays."""
    if isinstance(new, dict) and isinstance(raw, dict):
        return {k: keep_placeholders(v, raw.get(k), variables, file) for k, v in new.items()}
    if isinstance(new, list) and isinstance(raw, list) and len(new) == len(raw):
        return [keep_placeholders(n, r, variables, file) for n, r in zip(new, raw, strict=True)]
    if isinstance(raw, str) and "${" in raw and isinstance(new, str | bool | int | float):
        try:
            resolved, _ = interpolate(raw, variables, file, secret_value=lambda n: MASKED)
        except ConfigError:
            return new
        # `cache_timeout: ${CACHE}` comes back from Superset as the number 600
        if resolved == new or same_scalar(resolved, new):
            return raw
    return new


def _unique(path: str, taken: set[str], uuid: str) -> str:
    if path not in taken:
        return path
    stem, dot, ext = path.rpartition(".")
    return f"{stem}-{uuid[:8]}{dot}{ext}"


def plan_files(
    items: list[Item],
    existing: Mapping[str, AssetFile],
    chart_uuids: dict[int, str],
    prov_rel: str,
    cfg: EnvConfig | None,
    variables: Variables,
) -> tuple[dict[str, str], list[str]]:
    """``{repo-relative path: text}`` for every item, and warnings."""
    warnings: list[str] = []
    by_uuid = {str(i.data.get("uuid", "")).lower(): i for i in items}
    db_slug: dict[str, str] = {}
    dash_of_chart: dict[str, str] = {}
    taken = {a.rel for a in existing.values()}
    paths: dict[str, str] = {}  # uuid -> path

    def place(uuid: str, path: str) -> str:
        if uuid in existing:
            return existing[uuid].rel
        path = _unique(path, taken, uuid)
        taken.add(path)
        return path

    ordered = sorted(items, key=lambda i: (KIND_ORDER.index(i.kind), _name(i), _uuid(i)))
    for item in ordered:
        uuid = _uuid(item)
        name = _name(item)
        if item.kind == "database":
            slug = slugify(name, "database")
            db_slug[uuid] = slug
            paths[uuid] = place(uuid, f"{prov_rel}/databases/{slug}.yaml")
        elif item.kind == "dataset":
            db = db_slug.get(str(item.data.get("database_uuid", "")).lower(), "database")
            schema = item.data.get("schema")
            table = slugify(name, "dataset")
            base = f"{slugify(str(schema))}.{table}" if schema else table
            paths[uuid] = place(uuid, f"{prov_rel}/datasources/{db}/{base}.yaml")
        elif item.kind == "dashboard":
            slug = slugify(str(item.data.get("slug") or name), "dashboard")
            paths[uuid] = place(uuid, f"{prov_rel}/dashboards/{slug}/dashboard.yaml")
            folder = paths[uuid].rsplit("/", 1)[0]
            for node in chart_nodes(item.data.get("position")):
                cuuid = node["meta"].get("uuid")
                if not cuuid:
                    try:
                        cuuid = chart_uuids.get(int(node["meta"].get("chartId")))
                    except (TypeError, ValueError):
                        cuuid = None
                if cuuid:
                    dash_of_chart.setdefault(str(cuuid).lower(), folder)
    for item in ordered:
        if item.kind != "chart":
            continue
        uuid = _uuid(item)
        folder = dash_of_chart.get(uuid, f"{prov_rel}/dashboards/_charts")
        paths[uuid] = place(uuid, f"{folder}/charts/{slugify(_name(item), 'chart')}.yaml")

    out: dict[str, str] = {}
    for uuid, item in by_uuid.items():
        data = for_file(item.kind, item.data, chart_uuids)
        if uuid in existing:
            data = keep_placeholders(data, existing[uuid].raw, variables, existing[uuid].rel)
        uri = data.get("sqlalchemy_uri")
        kept_pw = existing[uuid].raw.get("password") if uuid in existing else None
        if item.kind == "database" and kept_pw is not None:
            # the file sends its password through `password:` (no export shows one): keep
            # that line, and the URI as the file writes it
            data = _with_password(data, kept_pw)
        elif item.kind == "database" and isinstance(uri, str) and "${" not in uri:
            template, warning = database_uri_template(
                data["sqlalchemy_uri"], cfg, db_slug.get(uuid, "database")
            )
            data["sqlalchemy_uri"] = template
            if warning:
                warnings.append(warning)
            data.pop("password", None)
        out[paths[uuid]] = dump_native(data)
    return out, warnings


def _with_password(data: dict[str, Any], password: Any) -> dict[str, Any]:
    """``data`` with ``password`` right after ``sqlalchemy_uri`` (a stable place)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "password":
            continue
        out[key] = value
        if key == "sqlalchemy_uri":
            out["password"] = password
    out.setdefault("password", password)
    return out


def _uuid(item: Item) -> str:
    return str(item.data.get("uuid", "")).lower()


def _name(item: Item) -> str:
    return str(item.data.get(NAME_KEY[item.kind]) or _uuid(item))


def write_layout(
    root: Path,
    prov: Path,
    items: list[Item],
    chart_uuids: dict[int, str],
    cfg: EnvConfig | None,
    variables: Variables,
) -> ExportResult:
    """Write ``items`` into the layout under ``prov``; only files whose text changes."""
    existing = {a.uuid: a for a in load_layout(prov, root)} if prov.is_dir() else {}
    try:
        prov_rel = prov.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        prov_rel = prov.as_posix()
    files, warnings = plan_files(items, existing, chart_uuids, prov_rel, cfg, variables)
    result = ExportResult(warnings=warnings)
    changed: dict[Path, str] = {}
    for rel in sorted(files):
        path = root / rel
        text = files[rel]
        if path.exists() and path.read_text(encoding="utf-8") == text:
            result.unchanged.append(rel)
        else:
            changed[path] = text
            result.written.append(rel)
    atomic_write_many(changed)
    return result


def items_for_dashboards(
    contents: Mapping[str, dict[str, Any]], slugs: list[str], chart_uuids: dict[int, str]
) -> list[Item]:
    """The named dashboards (by slug, title or uuid) with everything they use."""
    by_kind: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KIND_ORDER}
    for data in contents.values():
        kind = _kind(data)
        if kind:
            by_kind[kind][str(data.get("uuid", "")).lower()] = data
    picked: dict[str, Item] = {}
    for slug in slugs:
        match = [
            (u, d)
            for u, d in by_kind["dashboard"].items()
            if slug in (d.get("slug"), d.get("dashboard_title"), u)
            or slug == slugify(str(d.get("slug") or d.get("dashboard_title") or ""))
        ]
        if not match:
            raise ConfigError(f"no dashboard {slug!r} in the instance", hint="check the slug")
        for uuid, dash in match:
            picked[uuid] = Item("dashboard", dash)
            for node in chart_nodes(dash.get("position")):
                cuuid = node["meta"].get("uuid")
                if not cuuid:
                    try:
                        cuuid = chart_uuids.get(int(node["meta"].get("chartId")))
                    except (TypeError, ValueError):
                        cuuid = None
                chart = by_kind["chart"].get(str(cuuid).lower()) if cuuid else None
                if chart is None:
                    continue
                picked[str(cuuid).lower()] = Item("chart", chart)
                ds_uuid = str(chart.get("dataset_uuid", "")).lower()
                ds = by_kind["dataset"].get(ds_uuid)
                if ds is not None:
                    picked[ds_uuid] = Item("dataset", ds)
                    db_uuid = str(ds.get("database_uuid", "")).lower()
                    if db_uuid in by_kind["database"]:
                        picked[db_uuid] = Item("database", by_kind["database"][db_uuid])
    return list(picked.values())


def _kind(data: dict[str, Any]) -> str | None:
    if "sqlalchemy_uri" in data:
        return "database"
    if "table_name" in data:
        return "dataset"
    if "slice_name" in data:
        return "chart"
    if "dashboard_title" in data:
        return "dashboard"
    return None


def items_from_contents(contents: Mapping[str, dict[str, Any]]) -> list[Item]:
    out = []
    for data in contents.values():
        kind = _kind(data)
        if kind and data.get("uuid"):
            out.append(Item(kind, data))
    return out

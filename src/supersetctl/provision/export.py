"""Write assets (from a live instance or a native bundle) into the provisioning layout.

An existing file is the canonical form of its asset, so export writes the minimum:

- an asset equal to its file (as ``plan`` compares them) leaves the file byte-identical;
- otherwise only the top-level keys whose value differs are rewritten, in the file's key
  order; a dataset's columns and metrics keep the file's order (matched by name: new ones
  go last, by name; gone ones are dropped), and an unchanged column or metric keeps its
  text; a ``${VAR}`` that still resolves to the live value stays;
- a key the file leaves out is added only when the live value is not Superset's default
  (``null``, empty, ``false`` or ``0``);
- a dashboard's ``position`` and ``metadata`` are rewritten together (their chart ids are
  renumbered 1..n in position order, and must agree).

New files get slug names, Superset's key order and no ids, timestamps, query contexts or
owner markers; a database password becomes the ``${VAR}`` the environment declares for it.
A file keeps its path once it exists (found by uuid).
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
from supersetctl.superset.bundle import dump_native, load_native

from .identity import layout_collisions
from .layout import KIND_ORDER, NAME_KEY, AssetFile, check_asset, file_assets, load_layout, slugify
from .normalize import (
    MASKED,
    chart_nodes,
    comparable,
    diff,
    for_file,
    mask_uri_password,
    same_scalar,
)
from .ownership import without_marker
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
                userpart = f"${{{p}_DB_USER}}" if user == db.login else (user or "")
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


# ---------------------------------------------------------------- the minimum to write


# Superset's defaults that are not "empty" (its models' column defaults); every other field
# defaults to null, empty, false or zero
_DEFAULTS: dict[str, dict[str, Any]] = {
    "database": {"expose_in_sqllab": True, "configuration_method": "sqlalchemy_form"},
    "dataset": {"filter_select_enabled": True},
}


def is_default(value: Any, kind: str = "", key: str = "") -> bool:
    """Whether ``value`` is what Superset has for ``key`` of a ``kind`` nobody set: its
    model's default, or null, empty, false or zero (also inside a JSON field, such as a
    database's ``extra`` of empty parameters)."""
    known = _DEFAULTS.get(kind, {})
    if key in known:
        return bool(value == known[key])
    if isinstance(value, dict):
        return all(is_default(v) for v in value.values())
    if isinstance(value, list):
        return all(is_default(v) for v in value)
    return (
        value is None
        or value is False
        or value == ""
        or (isinstance(value, int | float) and not isinstance(value, bool) and value == 0)
    )


_NAMED_LISTS = {"columns": "column_name", "metrics": "metric_name"}


def _resolved(raw: dict[str, Any], variables: Variables, file: str) -> dict[str, Any]:
    try:
        out, _ = interpolate(raw, variables, file, secret_value=lambda n: MASKED)
    except ConfigError:
        return raw
    return dict(out)


def merge_into_file(
    kind: str,
    raw: dict[str, Any],
    live: dict[str, Any],
    variables: Variables,
    file: str,
    chart_uuids: dict[int, str],
) -> dict[str, Any] | None:
    """What to write over the file ``raw`` for the live content ``live`` (export form), or
    None when the file already says what the instance holds (keep its bytes)."""
    mine = comparable(kind, _resolved(raw, variables, file), chart_uuids)
    theirs = comparable(kind, live, chart_uuids)
    # `version` is the bundle format's, not the asset's
    added = {k: v for k, v in live.items()
             if k not in raw and k != "version" and not is_default(v, kind, k)}  # fmt: skip
    changed = {d.path.split(".")[0].split("[")[0] for d in diff(mine, theirs)}
    if not changed and not added:
        return None
    if kind == "dashboard" and changed & {"position", "metadata"}:
        changed |= {"position", "metadata"}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in live or key not in changed:
            out[key] = value  # unchanged, or a key Superset does not export (a password)
        elif key in _NAMED_LISTS and kind == "dataset":
            out[key] = _merge_named(value, live[key], _NAMED_LISTS[key], variables, file)
        else:
            out[key] = keep_placeholders(live[key], value, variables, file)
    out.update(added)
    return out


def _merge_named(raw: Any, live: Any, name_key: str, variables: Variables, file: str) -> Any:
    """A dataset's columns or metrics: the file's order, each item kept as written unless it
    changed."""
    if not isinstance(raw, list) or not isinstance(live, list):
        return live
    by_name = {str(i.get(name_key)): i for i in live if isinstance(i, dict)}
    out: list[Any] = []
    seen: set[str] = set()
    for item in raw:
        name = str(item.get(name_key)) if isinstance(item, dict) else None
        if name is None or name not in by_name:
            continue  # gone from the instance
        seen.add(name)
        now = by_name[name]
        if not diff(_resolved(item, variables, file), now):
            out.append(item)
            continue
        merged = {k: (keep_placeholders(now[k], v, variables, file) if k in now else v)
                  for k, v in item.items()}  # fmt: skip
        merged.update({k: v for k, v in now.items() if k not in item and not is_default(v)})
        out.append(merged)
    out.extend(by_name[n] for n in sorted(by_name) if n not in seen)
    return out


# ---------------------------------------------------------------- files


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
) -> tuple[dict[str, str | None], list[str]]:
    """``{repo-relative path: text}`` for every item (``None``: the file stays as it is), and
    warnings."""
    warnings: list[str] = []
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

    out: dict[str, str | None] = {}
    for item in ordered:
        uuid = _uuid(item)
        data = for_file(item.kind, without_marker(item.kind, item.data), chart_uuids)
        old = existing.get(uuid)
        if old is not None:
            merged = merge_into_file(item.kind, old.raw, data, variables, old.rel, chart_uuids)
            if merged is None:
                out[paths[uuid]] = None
                continue
            data = merged
        uri = data.get("sqlalchemy_uri")
        # a file that sends its password through `password:` keeps its URI as written
        has_pw_line = old is not None and "password" in old.raw
        if item.kind == "database" and isinstance(uri, str) and "${" not in uri and not has_pw_line:
            template, warning = database_uri_template(uri, cfg, db_slug.get(uuid, "database"))
            data["sqlalchemy_uri"] = template
            if warning:
                warnings.append(warning)
            data.pop("password", None)
        if item.kind == "database":
            _ca_placeholder(data, variables)
        out[paths[uuid]] = dump_native(data)
    return out, warnings


CA_FILE_VAR = "SUPERSET_CA_CERT_FILE"


def _ca_placeholder(data: dict[str, Any], variables: Variables) -> None:
    """A database's ``sslrootcert`` that is where the runtime writes the CA is written as
    ``${SUPERSET_CA_CERT_FILE}`` (the path is the environment's, not the asset's)."""
    ca_file = variables.lookup(CA_FILE_VAR)
    extra = data.get("extra")
    engine = extra.get("engine_params") if isinstance(extra, dict) else None
    args = engine.get("connect_args") if isinstance(engine, dict) else None
    if ca_file and isinstance(args, dict) and args.get("sslrootcert") == ca_file:
        args["sslrootcert"] = "${" + CA_FILE_VAR + "}"


def _uuid(item: Item) -> str:
    return str(item.data.get("uuid", "")).lower()


def _name(item: Item) -> str:
    return str(item.data.get(NAME_KEY[item.kind]) or _uuid(item))


def existing_layout(root: Path, prov: Path) -> dict[str, AssetFile]:
    return {a.uuid: a for a in load_layout(prov, root)} if prov.is_dir() else {}


def write_layout(
    root: Path,
    prov: Path,
    items: list[Item],
    chart_uuids: dict[int, str],
    cfg: EnvConfig | None,
    variables: Variables,
    existing: Mapping[str, AssetFile] | None = None,
) -> ExportResult:
    """Write ``items`` into the layout under ``prov``; only files whose text changes, all or
    none."""
    existing = existing_layout(root, prov) if existing is None else existing
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
        if text is None or (path.exists() and path.read_text(encoding="utf-8") == text):
            result.unchanged.append(rel)
        else:
            changed[path] = text
            result.written.append(rel)
    _check_outcome(existing, {rel: files[rel] for rel in result.written}, prov_rel)
    atomic_write_many(changed)
    return result


def _check_outcome(
    existing: Mapping[str, AssetFile], written: dict[str, str | None], prov_rel: str
) -> None:
    """Refuse (writing nothing) a change after which plan would refuse the layout: a file
    without what the importer requires (a chart whose dataset was deleted in Superset has no
    dataset_uuid to write), or a collision or dangling reference between files."""
    problems: list[str] = []
    assets: dict[str, AssetFile] = {a.rel: a for a in existing.values()}
    for rel, text in written.items():
        assert text is not None
        folder = rel.removeprefix(prov_rel + "/").split("/", 1)[0]
        try:
            assets[rel] = check_asset(folder, rel, load_native(text, rel))
        except ConfigError as exc:
            problems.append(str(exc))
    if not problems:
        problems = [str(c) for c in layout_collisions(file_assets(list(assets.values())))]
    if problems:
        more = "" if len(problems) <= 10 else f" (and {len(problems) - 10} more)"
        raise ConfigError(
            "the files would not be a valid layout, so none was written: "
            + "; ".join(problems[:10])
            + more,
            hint="the live instance holds something no file can say (a chart whose dataset was "
            "deleted, say): fix it in Superset, or export only the dashboards that are whole "
            "(--dashboard SLUG)",
        )


def items_for_dashboards(
    contents: Mapping[str, dict[str, Any]], slugs: list[str], chart_uuids: dict[int, str]
) -> list[Item]:
    """The named dashboards (by slug, title or uuid) with everything they use."""
    by_kind: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KIND_ORDER}
    for data in contents.values():
        kind = kind_of_content(data)
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


def kind_of_content(data: dict[str, Any]) -> str | None:
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
    """Every asset of a bundle; an asset without a uuid is an error naming its file."""
    out = []
    missing = []
    for path, data in contents.items():
        kind = kind_of_content(data)
        if kind is None:
            continue
        if not data.get("uuid"):
            missing.append(path)
            continue
        out.append(Item(kind, data))
    if missing:
        raise ConfigError(
            f"{len(missing)} asset(s) of the bundle have no uuid: {', '.join(sorted(missing))}",
            hint="export them again from Superset 1.0 or later (every asset gets a uuid), or "
            "add one (uuidgen)",
        )
    return out

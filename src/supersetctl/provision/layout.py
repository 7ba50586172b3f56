"""The provisioning layout: one YAML file per asset, in Superset's native asset format.

::

    infra/superset/provisioning/
      databases/<slug>.yaml                      one database connection each
      datasources/<database>/<schema>.<table>.yaml   one dataset each
      dashboards/<slug>/dashboard.yaml           a dashboard ...
      dashboards/<slug>/charts/<chart>.yaml      ... and its charts

Files reference each other by ``uuid`` (``database_uuid``, ``dataset_uuid``, and the
``meta.uuid`` of each chart in a dashboard's ``position``). Any file below a kind's folder
counts; ``README.md`` and other non-YAML files are ignored. :func:`check_layout` refuses a
layout with a collision (:mod:`.identity`).
"""

from __future__ import annotations

import fnmatch
import json
import logging
import re
import stat
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supersetctl.errors import ConfigError
from supersetctl.fsutil import atomic_write
from supersetctl.superset.bundle import load_native

from .identity import FileAsset, layout_collisions
from .normalize import chart_nodes

log = logging.getLogger(__name__)

KIND_ORDER = ("database", "dataset", "chart", "dashboard")
FOLDERS = {"database": "databases", "dataset": "datasources", "chart": "dashboards"}
FOLDERS["dashboard"] = "dashboards"
NAME_KEY = {
    "database": "database_name",
    "dataset": "table_name",
    "chart": "slice_name",
    "dashboard": "dashboard_title",
}
BUNDLE_FOLDER = {"database": "databases", "dataset": "datasets", "chart": "charts"}
BUNDLE_FOLDER["dashboard"] = "dashboards"
_PARSE_CACHE_VERSION = 2
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass
class AssetFile:
    """One asset file as written (``raw`` still holds its ``${VAR}`` references)."""

    kind: str
    rel: str  # path relative to the repo root, forward slashes
    raw: dict[str, Any]
    templated: bool = True  # whether the file holds a ${...} (False: nothing to interpolate)

    @property
    def uuid(self) -> str:
        return str(self.raw["uuid"])

    @property
    def name(self) -> str:
        return str(self.raw.get(NAME_KEY[self.kind]) or self.uuid)

    @property
    def bundle_path(self) -> str:
        """The path this asset gets inside a bundle sent to the importer."""
        return f"{BUNDLE_FOLDER[self.kind]}/{self.uuid}.yaml"


def kind_of_data(folder: str, data: dict[str, Any]) -> str | None:
    if folder == "databases":
        return "database" if "sqlalchemy_uri" in data or "database_name" in data else None
    if folder == "datasources":
        return "dataset" if "table_name" in data else None
    if "dashboard_title" in data:
        return "dashboard"
    if "slice_name" in data:
        return "chart"
    return None


def _parse_cache(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) and doc.get("version") == _PARSE_CACHE_VERSION else {}


def load_layout(
    root: Path,
    rel_to: Path | None = None,
    *,
    cache: Path | None = None,
    errors: list[ConfigError] | None = None,
    exclude: Sequence[str] = (),
) -> list[AssetFile]:
    """Every asset file under ``root`` (the provisioning folder), in dependency order.

    ``exclude`` holds globs relative to ``root`` (an environment's ``provisioning.exclude``):
    files they match are left out.

    ``cache`` names a JSON file keeping parsed files by (path, mtime, size), so unchanged files
    are not parsed again. Raises :class:`ConfigError` on a file that does not parse, is no
    asset or has no uuid (with ``errors``, collects one per such file and goes on);
    collisions between files are :func:`check_layout`'s.
    """
    # resolved once: every file below is named relative to these (no realpath per file)
    root = root.resolve()
    rel_to = (rel_to or root).resolve()
    old = _parse_cache(cache).get("files", {})
    new: dict[str, Any] = {}
    assets: list[AssetFile] = []
    for folder in ("databases", "datasources", "dashboards"):
        base = root / folder
        if not base.is_dir():
            continue
        for file in sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml")):
            try:
                st = file.stat()
            except FileNotFoundError:  # a dangling symlink
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            if exclude and excluded(file.relative_to(root).as_posix(), exclude):
                continue
            try:
                rel = file.relative_to(rel_to).as_posix()
            except ValueError:
                rel = file.as_posix()
            stamp = [st.st_mtime_ns, st.st_size]
            hit = old.get(rel)
            try:
                if isinstance(hit, list) and len(hit) == 3 and hit[0] == stamp:
                    data, templated = hit[1], bool(hit[2])
                else:  # plain JSON data either way (a YAML date becomes its text)
                    text = file.read_text(encoding="utf-8")
                    parsed = load_native(text, rel)
                    data, templated = json.loads(json.dumps(parsed, default=str)), "${" in text
                new[rel] = [stamp, data, templated]
                assets.append(check_asset(folder, rel, data, templated))
            except ConfigError as exc:
                if errors is None:
                    raise
                errors.append(exc)
    assets.sort(key=lambda a: (KIND_ORDER.index(a.kind), a.rel))
    if cache is not None and new != old:
        try:
            doc = {"version": _PARSE_CACHE_VERSION, "files": new}
            atomic_write(cache, json.dumps(doc, default=str))
        except OSError as exc:
            log.info("cannot write %s: %s", cache, exc)
    return assets


def excluded(rel: str, patterns: Sequence[str]) -> bool:
    """Whether a path relative to the provisioning folder matches one of ``patterns``."""
    return any(fnmatch.fnmatchcase(rel, p) for p in patterns)


_WANT = {
    "databases": "a database (database_name, sqlalchemy_uri)",
    "datasources": "a dataset (table_name)",
    "dashboards": "a dashboard (dashboard_title) or chart (slice_name)",
}


# what Superset's importer requires of each kind besides uuid and version (its ImportV1
# schemas); a bundle without one fails with an HTTP 500 that names nothing
REQUIRED = {
    "database": ("database_name", "sqlalchemy_uri"),
    "dataset": ("table_name", "database_uuid"),
    "chart": ("slice_name", "viz_type", "dataset_uuid"),
    "dashboard": ("dashboard_title",),
}


def check_asset(folder: str, rel: str, data: Any, templated: bool = True) -> AssetFile:
    """The asset a parsed file holds, or the ConfigError that says why it holds none."""
    if not isinstance(data, dict):
        raise ConfigError("an asset file must be a YAML mapping", path=rel)
    kind = kind_of_data(folder, data)
    if kind is None:
        raise ConfigError(f"not {_WANT[folder]}", path=rel, hint="see the folder's README.md")
    missing = [k for k in REQUIRED[kind] if data.get(k) in (None, "")]
    if missing:
        raise ConfigError(
            f"a {kind} needs {', '.join(missing)} (Superset's importer refuses it without)",
            path=rel,
            hint="see the folder's README.md for an annotated example",
        )
    uuid = data.get("uuid")
    if not isinstance(uuid, str) or not _UUID.match(uuid):
        raise ConfigError(
            "missing or invalid uuid",
            path=rel,
            hint="give every asset its own uuid (uuidgen, or python3 -m uuid)",
        )
    data["uuid"] = uuid.lower()
    _lower_refs(kind, data)  # Superset writes uuids in lower case; uuidgen may not
    return AssetFile(kind, rel, data, templated)


def _lower_refs(kind: str, data: dict[str, Any]) -> None:
    for key in ("database_uuid", "dataset_uuid"):
        if isinstance(data.get(key), str):
            data[key] = data[key].lower()
    if kind == "dashboard":
        for node in chart_nodes(data.get("position")):
            if isinstance(node["meta"].get("uuid"), str):
                node["meta"]["uuid"] = node["meta"]["uuid"].lower()


def file_assets(assets: list[AssetFile]) -> list[FileAsset]:
    return [FileAsset(a.kind, a.uuid, a.rel, a.raw) for a in assets]


def check_layout(assets: list[AssetFile]) -> None:
    """Raise :class:`ConfigError` naming every collision in the layout (see
    :mod:`.identity`; ``supersetctl validate`` reports them with lines)."""
    found = layout_collisions(file_assets(assets))
    if not found:
        return
    if len(found) == 1:
        c = found[0]
        raise ConfigError(f"{c.rule} {c.message}", path=c.file, hint=_FIX[c.rule])
    raise ConfigError(
        f"{len(found)} collisions in the provisioning files: "
        + "; ".join(str(c) for c in found[:10])
        + ("" if len(found) <= 10 else f" (and {len(found) - 10} more)"),
        hint="`supersetctl validate` lists them with lines and fixes",
    )


_FIX = {
    "PV-UUID": "give each asset its own uuid (uuidgen)",
    "PV-SLUG": "give one of the dashboards another slug",
    "PV-DATASET": "keep one dataset per table; point the charts of the other at it",
    "PV-DBNAME": "give one of the databases another database_name",
    "PV-REF": "add the file it names, or fix the uuid",
    "PV-KIND": "point it at an asset of the right kind",
}


def fix_for(rule: str) -> str:
    return _FIX.get(rule, "see docs/provisioning.md")


def locate(text: str, key: str | None, value: str | None = None) -> int | None:
    """The line of ``key:`` in an asset file (the first line holding ``value`` when given,
    for references deep in a dashboard's position), or None."""
    lines = text.splitlines()
    if value:
        for number, line in enumerate(lines, 1):
            if value in line.lower():
                return number
    if key:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*:")
        for number, line in enumerate(lines, 1):
            if pattern.match(line):
                return number
    return None


def slugify(text: str, default: str = "asset") -> str:
    """A stable file-name slug: ascii, lower case, words joined by '-'."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", norm.lower()).strip("-")
    return slug[:80].rstrip("-") or default

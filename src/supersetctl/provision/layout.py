"""The provisioning layout: one YAML file per asset, in Superset's native asset format.

::

    infra/superset/provisioning/
      databases/<slug>.yaml                      one database connection each
      datasources/<database>/<schema>.<table>.yaml   one dataset each
      dashboards/<slug>/dashboard.yaml           a dashboard ...
      dashboards/<slug>/charts/<chart>.yaml      ... and its charts

Files reference each other by ``uuid`` (``database_uuid``, ``dataset_uuid``, and the
``meta.uuid`` of each chart in a dashboard's ``position``). Any file below a kind's folder
counts; ``README.md`` and other non-YAML files are ignored.
"""

from __future__ import annotations

import json
import logging
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supersetctl.errors import ConfigError
from supersetctl.fsutil import atomic_write
from supersetctl.superset.bundle import load_native

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
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass
class AssetFile:
    """One asset file as written (``raw`` still holds its ``${VAR}`` references)."""

    kind: str
    rel: str  # path relative to the repo root, forward slashes
    raw: dict[str, Any]

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
    return doc if isinstance(doc, dict) and doc.get("version") == 1 else {}


def load_layout(
    root: Path, rel_to: Path | None = None, *, cache: Path | None = None
) -> list[AssetFile]:
    """Every asset file under ``root`` (the provisioning folder), in dependency order.

    ``cache`` names a JSON file keeping parsed files by (path, mtime, size), so unchanged files
    are not parsed again. Raises :class:`ConfigError` on a file that is no asset, has no
    uuid, or repeats a uuid.
    """
    # resolved once: every file below is named relative to these (no realpath per file)
    root = root.resolve()
    rel_to = (rel_to or root).resolve()
    old = _parse_cache(cache).get("files", {})
    new: dict[str, Any] = {}
    assets: list[AssetFile] = []
    seen: dict[str, str] = {}
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
            try:
                rel = file.relative_to(rel_to).as_posix()
            except ValueError:
                rel = file.as_posix()
            stamp = [st.st_mtime_ns, st.st_size]
            hit = old.get(rel)
            if isinstance(hit, list) and len(hit) == 2 and hit[0] == stamp:
                data = hit[1]
            else:  # plain JSON data either way (a YAML date becomes its text)
                parsed = load_native(file.read_text(encoding="utf-8"), rel)
                data = json.loads(json.dumps(parsed, default=str))
            new[rel] = [stamp, data]
            if not isinstance(data, dict):
                raise ConfigError("an asset file must be a YAML mapping", path=rel)
            kind = kind_of_data(folder, data)
            if kind is None:
                want = {
                    "databases": "a database (database_name, sqlalchemy_uri)",
                    "datasources": "a dataset (table_name)",
                    "dashboards": "a dashboard (dashboard_title) or chart (slice_name)",
                }[folder]
                raise ConfigError(f"not {want}", path=rel, hint="see the folder's README.md")
            uuid = data.get("uuid")
            if not isinstance(uuid, str) or not _UUID.match(uuid):
                raise ConfigError(
                    "missing or invalid uuid",
                    path=rel,
                    hint="give every asset its own uuid (uuidgen, or python3 -m uuid)",
                )
            data["uuid"] = uuid.lower()
            _lower_refs(kind, data)  # Superset writes uuids in lower case; uuidgen may not
            if data["uuid"] in seen:
                raise ConfigError(
                    f"uuid {uuid} is also used by {seen[data['uuid']]}",
                    path=rel,
                    hint="each asset needs its own uuid",
                )
            seen[data["uuid"]] = rel
            assets.append(AssetFile(kind, rel, data))
    assets.sort(key=lambda a: (KIND_ORDER.index(a.kind), a.rel))
    if cache is not None and new != old:
        try:
            atomic_write(cache, json.dumps({"version": 1, "files": new}, default=str))
        except OSError as exc:
            log.info("cannot write %s: %s", cache, exc)
    _check_refs(assets)
    return assets


def _lower_refs(kind: str, data: dict[str, Any]) -> None:
    for key in ("database_uuid", "dataset_uuid"):
        if isinstance(data.get(key), str):
            data[key] = data[key].lower()
    if kind == "dashboard":
        for node in chart_nodes(data.get("position")):
            if isinstance(node["meta"].get("uuid"), str):
                node["meta"]["uuid"] = node["meta"]["uuid"].lower()


def _check_refs(assets: list[AssetFile]) -> None:
    """Warn about references to assets the layout does not hold (they must exist live)."""
    uuids = {a.uuid for a in assets}
    for a in assets:
        for key in ("database_uuid", "dataset_uuid"):
            ref = a.raw.get(key)
            if isinstance(ref, str) and ref.lower() not in uuids:
                log.warning("%s: %s %s is not in the provisioning folder", a.rel, key, ref)


def slugify(text: str, default: str = "asset") -> str:
    """A stable file-name slug: ascii, lower case, words joined by '-'."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", norm.lower()).strip("-")
    return slug[:80].rstrip("-") or default

"""Reading the access files and the rules they must keep (``validate`` and every run).

Rule ids (docs/provisioning.md lists them):

- ``PV-ACCESS-FILE``  a file that does not parse or does not fit its kind's model
- ``PV-ROLE-NAME``    two role files with one name
- ``PV-RLS-NAME``     two RLS rule files with one name
- ``PV-ACCESS-DASH``  a dashboard access file for no dashboard file, or two for one
- ``PV-ACCESS-REF``   a role no file declares (and no built-in), or a table no dataset file reads
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from supersetctl.errors import ConfigError
from supersetctl.superset.bundle import load_native

from ..identity import Collision
from ..layout import AssetFile, excluded, locate
from .models import BUILTIN_ROLES, DashboardAccessFile, DatasetRef, RlsFile, RoleFile

FOLDERS: dict[str, type[BaseModel]] = {
    "roles": RoleFile,
    "rls": RlsFile,
    "dashboard_access": DashboardAccessFile,
}
KIND = {"roles": "role", "rls": "rls", "dashboard_access": "access"}

RULES: dict[str, str] = {
    "PV-ACCESS-FILE": "an access file (roles/, rls/, dashboard_access/) does not fit its model",
    "PV-ROLE-NAME": "two role files hold one role name",
    "PV-RLS-NAME": "two RLS rule files hold one rule name",
    "PV-ACCESS-DASH": "a dashboard access file names no dashboard file, or two name one",
    "PV-ACCESS-REF": "an access file names a role or table that no file declares",
}
FIXES: dict[str, str] = {
    "PV-ACCESS-FILE": "see the folder's README.md for an annotated example",
    "PV-ROLE-NAME": "keep one file per role",
    "PV-RLS-NAME": "give one of the rules another name",
    "PV-ACCESS-DASH": "name a dashboard's slug from dashboards/, once",
    "PV-ACCESS-REF": "add the role file or dataset file, or fix the name",
}


@dataclass(frozen=True)
class AccessFile:
    """One access file: kind (``role``, ``rls``, ``access``), path, raw data (with its
    ``${VAR}``) and the model it parsed to (from the resolved data, see :func:`resolved`)."""

    kind: str
    rel: str
    raw: dict[str, Any]
    model: Any

    @property
    def name(self) -> str:
        return str(self.model.dashboard if self.kind == "access" else self.model.name)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass
class AccessFiles:
    files: list[AccessFile] = field(default_factory=list)

    def of(self, kind: str) -> list[AccessFile]:
        return [f for f in self.files if f.kind == kind]


def _first_error(exc: ValidationError) -> tuple[str, str | None]:
    err = exc.errors()[0]
    loc = [str(p) for p in err.get("loc", ())]
    where = ".".join(loc)
    key = next((p for p in loc if not p.isdigit()), None)
    return f"{where}: {err.get('msg')}" if where else str(err.get("msg")), key


def parse_file(folder: str, rel: str, data: Any, text: str = "") -> AccessFile:
    """The model of one file's data, or the ConfigError saying why it is none (at the line
    of the key at fault when ``text`` is given)."""
    if not isinstance(data, dict):
        raise ConfigError("an access file must be a YAML mapping", path=rel)
    try:
        model = FOLDERS[folder].model_validate(data)
    except ValidationError as exc:
        message, key = _first_error(exc)
        line = locate(text, key) if text else None
        raise ConfigError(
            f"PV-ACCESS-FILE {message}", path=rel, line=line, hint=FIXES["PV-ACCESS-FILE"]
        ) from None
    return AccessFile(KIND[folder], rel, data, model)


def load_access(
    prov: Path,
    rel_to: Path,
    *,
    exclude: Sequence[str] = (),
    errors: list[ConfigError] | None = None,
    transform: Any = None,
) -> AccessFiles:
    """Every access file under ``prov`` (``transform``: data -> data before the model, e.g.
    ``${VAR}`` resolution). Raises on the first bad file unless ``errors`` collects them."""
    out = AccessFiles()
    root, base = prov.resolve(), rel_to.resolve()
    for folder in FOLDERS:
        top = root / folder
        if not top.is_dir():
            continue
        for path in sorted(p for p in top.rglob("*") if p.suffix in (".yaml", ".yml")):
            if not stat.S_ISREG(path.stat().st_mode):
                continue
            if exclude and excluded(path.relative_to(root).as_posix(), exclude):
                continue
            rel = path.relative_to(base).as_posix()
            try:
                text = path.read_text(encoding="utf-8")
                raw = load_native(text, rel)
                data = transform(raw, rel) if transform is not None and raw else raw
                parsed = parse_file(folder, rel, data, text)
                out.files.append(AccessFile(parsed.kind, rel, raw, parsed.model))
            except ConfigError as exc:
                if errors is None:
                    raise
                errors.append(exc)
    return out


@dataclass(frozen=True)
class LayoutIndex:
    """What the access files may name in the asset layout: datasets by (database name,
    schema, table) -> uuid; dashboards by slug -> uuid."""

    datasets: dict[tuple[str, str, str], str]
    dashboards: dict[str, str]
    dataset_keys: dict[str, tuple[str, str, str]]  # uuid -> key


def layout_index(assets: Iterable[AssetFile]) -> LayoutIndex:
    items = list(assets)
    db_names = {
        a.uuid: str(a.raw.get("database_name") or "") for a in items if a.kind == "database"
    }
    datasets: dict[tuple[str, str, str], str] = {}
    for a in items:
        if a.kind == "dataset":
            db = db_names.get(str(a.raw.get("database_uuid") or "").lower(), "")
            key = (db, str(a.raw.get("schema") or ""), str(a.raw.get("table_name") or ""))
            datasets.setdefault(key, a.uuid)
    dashboards = {
        str(a.raw["slug"]): a.uuid for a in items if a.kind == "dashboard" and a.raw.get("slug")
    }
    return LayoutIndex(datasets, dashboards, {v: k for k, v in datasets.items()})


def _refs(f: AccessFile) -> tuple[list[str], list[DatasetRef]]:
    m = f.model
    if isinstance(m, RoleFile):
        return [], list(m.datasets)
    if isinstance(m, RlsFile):
        return list(m.roles), list(m.tables)
    if isinstance(m, DashboardAccessFile):
        return list(m.roles or []), []
    return [], []


def access_collisions(files: AccessFiles, index: LayoutIndex) -> list[Collision]:
    """Every rule an access layout breaks, in file order."""
    out: list[Collision] = []
    seen: dict[tuple[str, str], AccessFile] = {}
    rule = {"role": "PV-ROLE-NAME", "rls": "PV-RLS-NAME", "access": "PV-ACCESS-DASH"}
    key_of = {"role": "name", "rls": "name", "access": "dashboard"}
    for f in files.files:
        first = seen.setdefault((f.kind, f.name), f)
        if first is not f:
            for one, two in ((first, f), (f, first)):
                out.append(
                    Collision(
                        rule[f.kind],
                        one.rel,
                        f"{f.kind} {f.name!r} is also {two.rel}",
                        two.rel,
                        key_of[f.kind],
                    )
                )
    roles = {f.name for f in files.of("role")} | BUILTIN_ROLES
    for f in files.files:
        if f.kind == "access" and f.name not in index.dashboards:
            out.append(
                Collision(
                    "PV-ACCESS-DASH",
                    f.rel,
                    f"dashboard slug {f.name!r} is no dashboard file's",
                    key="dashboard",
                )
            )
        names, tables = _refs(f)
        for name in names:
            if name not in roles:
                out.append(
                    Collision(
                        "PV-ACCESS-REF",
                        f.rel,
                        f"role {name!r} has no file under roles/ and is no built-in role",
                        key="roles",
                        value=name.lower(),
                    )
                )
        for ref in tables:
            if ref.key() not in index.datasets:
                out.append(
                    Collision(
                        "PV-ACCESS-REF",
                        f.rel,
                        f"table {ref.label()} is no dataset file's (database_name, schema, "
                        "table_name)",
                        key="tables" if f.kind == "rls" else "datasets",
                        value=ref.table.lower(),
                    )
                )
    return out


def check_access(files: AccessFiles, index: LayoutIndex) -> None:
    """Raise :class:`ConfigError` naming every broken rule (``validate`` gives lines)."""
    found = access_collisions(files, index)
    if not found:
        return
    c = found[0]
    more = f" (and {len(found) - 1} more: `supersetctl validate` lists them)" if found[1:] else ""
    raise ConfigError(f"{c.rule} {c.message}{more}", path=c.file, hint=FIXES[c.rule])


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, default=str)

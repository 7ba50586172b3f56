"""The live access model into files: the minimum, like the assets' export.

A file whose model equals the live one (after ``${VAR}`` resolution) is left byte-identical;
otherwise it is rewritten from the live values (keys and lists sorted; a dashboard access
file keeps managing only the keys it had). New files get ``<folder>/<slug of the name>.yaml``.
Written: roles and RLS rules this repo owns, those its files name, and those made by hand;
never another owner's, never a built-in role without a file. A dashboard of the layout gets
an access file when it has access roles or an embedded configuration.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from supersetctl.fsutil import atomic_write_many
from supersetctl.superset.bundle import dump_native, load_native

from ..layout import slugify
from .files import AccessFile, AccessFiles, LayoutIndex, parse_file
from .live import AccessLive, LiveDashboard, LiveRole, LiveRule
from .models import BUILTIN_ROLES, INSTANCE_ID
from .planner import Ids, Resolver

_FOLDER = {"role": "roles", "rls": "rls", "access": "dashboard_access"}


def _role_doc(role: LiveRole, live: AccessLive, ids: Ids, warnings: list[str]) -> dict[str, Any]:
    pairs: list[list[str]] = []
    datasets: list[dict[str, str]] = []
    for pk in role.permission_ids:
        pair = live.perms.get(pk)
        if pair is None:
            continue
        key = _dataset_of(pair, ids)
        if key is not None:
            ref = {"database": key[0], "schema": key[1], "table": key[2]}
            datasets.append({k: v for k, v in ref.items() if v or k != "schema"})
        elif INSTANCE_ID.search(pair[1]):  # a dataset outside the layout: no portable name
            warnings.append(
                f"role {role.name!r}: [{pair[0]}, {pair[1]}] left out (its dataset has no file "
                "here, and the id differs in every environment)"
            )
        else:
            pairs.append(list(pair))
    doc: dict[str, Any] = {"name": role.name, "permissions": sorted(pairs)}
    if datasets:
        doc["datasets"] = sorted(datasets, key=lambda d: (d["database"], d.get("schema", ""),
                                                          d["table"]))  # fmt: skip
    return doc


def _dataset_of(pair: tuple[str, str], ids: Ids) -> tuple[str, str, str] | None:
    """The layout dataset a ``datasource_access`` pair is on, if it is one of them."""
    if pair[0] != "datasource_access" or not pair[1].endswith(")"):
        return None
    head, _, tail = pair[1].rpartition("(id:")
    if not tail[:-1].isdigit():
        return None
    key = ids.dataset_keys.get(int(tail[:-1]))
    return key if key is not None and head == f"[{key[0]}].[{key[2]}]" else None


def _rule_doc(rule: LiveRule, live: AccessLive, r: Resolver, warnings: list[str]) -> dict[str, Any]:
    names = live.role_names
    tables = []
    for pk in sorted(rule.tables):
        key = r.ids.dataset_keys.get(pk)
        if key is None:  # a dataset outside the layout cannot be named portably
            warnings.append(f"RLS rule {rule.name!r}: dataset #{pk} left out (no file here)")
            continue
        ref = {"database": key[0], "schema": key[1], "table": key[2]}
        tables.append({k: v for k, v in ref.items() if v or k != "schema"})
    doc: dict[str, Any] = {
        "name": rule.name,
        "clause": rule.clause,
        "filter_type": rule.filter_type,
        "roles": sorted(names.get(pk, f"role #{pk}") for pk in rule.roles),
        "tables": sorted(tables, key=lambda d: (d["database"], d.get("schema", ""), d["table"])),
    }
    if rule.group_key:
        doc["group_key"] = rule.group_key
    if rule.description:
        doc["description"] = rule.description
    return doc


def _access_doc(
    slug: str, dash: LiveDashboard, live: AccessLive, old: AccessFile | None
) -> dict[str, Any] | None:
    names = live.role_names
    roles = sorted(names.get(pk, f"role #{pk}") for pk in dash.roles)
    domains = sorted((dash.embedded or {}).get("allowed_domains") or []) if dash.embedded else []
    doc: dict[str, Any] = {"dashboard": slug}
    if old is None:
        if not roles and not dash.embedded:
            return None
        keep_roles, keep_embedded = bool(roles), bool(dash.embedded)
    else:
        keep_roles, keep_embedded = old.model.roles is not None, old.model.embedded is not None
    if keep_embedded:
        doc["embedded"] = {"allowed_domains": domains} if dash.embedded else False
    if keep_roles:
        doc["roles"] = roles
    return doc


def _same(folder: str, rel: str, doc: dict[str, Any], old: AccessFile) -> bool:
    new = parse_file(folder, rel, doc).model
    return bool(new.model_dump(exclude={"api_version"}) == old.model.model_dump(
        exclude={"api_version"}))  # fmt: skip


def export_access(
    root: Path,
    prov: Path,
    files: AccessFiles,
    index: LayoutIndex,
    ids: Ids,
    live: AccessLive,
    owner: str,
) -> tuple[list[str], list[str], list[str]]:
    """Write the live access model into ``prov``: (written, unchanged) paths, warnings."""
    warnings: list[str] = []
    r = Resolver(index, ids, live)
    existing = {f.key: f for f in files.files}
    owned = live.owned_role_ids(owner)
    docs: dict[str, tuple[str, dict[str, Any]]] = {}  # key -> (kind, doc)
    for role in live.roles.values():
        key = f"role:{role.name}"
        holder = live.role_owner(role)
        if key in existing or (role.name not in BUILTIN_ROLES and (role.id in owned or not holder)):
            docs[key] = ("role", _role_doc(role, live, ids, warnings))
    for rule in live.rules.values():
        key = f"rls:{rule.name}"
        if key in existing or rule.owner in (None, owner):
            rule_doc = _rule_doc(rule, live, r, warnings)
            if rule_doc["tables"]:
                docs[key] = ("rls", rule_doc)
            else:
                warnings.append(f"RLS rule {rule.name!r} left out: none of its datasets has a file")
    for slug, uuid in index.dashboards.items():
        dash = live.dashboards.get(uuid)
        key = f"access:{slug}"
        if dash is not None and (found := _access_doc(slug, dash, live, existing.get(key))):
            docs[key] = ("access", found)
    written: list[str] = []
    unchanged: list[str] = []
    changed: dict[Path, str] = {}
    taken = {f.rel for f in files.files}
    prov_rel = prov.resolve().relative_to(root.resolve()).as_posix()
    for key in sorted(docs):
        kind, doc = docs[key]
        old = existing.get(key)
        folder = _FOLDER[kind]
        if old is not None and _same(folder, old.rel, doc, old):
            unchanged.append(old.rel)
            continue
        rel = old.rel if old is not None else _new_path(prov_rel, folder, key, taken)
        taken.add(rel)
        changed[root / rel] = _text(doc)
        written.append(rel)
    atomic_write_many(changed)
    return written, unchanged, warnings


_PAIR = re.compile(r"^- - (.+)\n  - (.+)$", re.MULTILINE)


def _text(doc: dict[str, Any]) -> str:
    """YAML of ``doc``, each ``[permission, view_menu]`` pair on one line (when it reads back
    the same)."""
    text = dump_native(doc)
    flow = _PAIR.sub(r"- [\1, \2]", text)
    return flow if flow != text and load_native(flow, "export") == doc else text


def _new_path(prov_rel: str, folder: str, key: str, taken: set[str]) -> str:
    base = slugify(key.split(":", 1)[1], folder.rstrip("s"))
    n = 1
    while True:
        rel = f"{prov_rel}/{folder}/{base}{'' if n == 1 else f'-{n}'}.yaml"
        if rel not in taken:
            return rel
        n += 1

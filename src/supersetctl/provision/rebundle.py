"""A bundle's assets against the layout they join: ``import-bundle``'s collision rules.

A bundle asset with the uuid of a file is that file's asset (its content goes into the file).
A bundle asset whose *key* (dashboard slug, dataset identity, database name: see
:mod:`.identity`) a file of another uuid holds would, once applied, take that asset's place
in Superset. It is refused unless the user says how to resolve it:

- ``--rename``: it comes in as a new asset: a dashboard gets the first free ``<slug>-N``, a
  database the first free ``<name> (N)``. A dataset cannot be renamed (its key is the table
  it reads), so a dataset collision needs ``--replace``.
- ``--replace``: its content goes into the colliding file, under that file's uuid; every
  reference to it inside the bundle follows. The next ``plan`` shows the changes field by
  field.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from supersetctl.errors import ConfigError

from .export import Item
from .identity import FileAsset, Ident, describe_ident, ident, layout_collisions
from .layout import AssetFile
from .normalize import chart_nodes


def _uuid(item: Item) -> str:
    return str(item.data.get("uuid", "")).lower()


def _remap(data: dict[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """``data`` with its own uuid and every uuid it refers to passed through ``mapping``."""
    out = copy.deepcopy(data)
    for key in ("uuid", "database_uuid", "dataset_uuid"):
        value = out.get(key)
        if isinstance(value, str) and value.lower() in mapping:
            out[key] = mapping[value.lower()]
    for node in chart_nodes(out.get("position")):
        ref = node["meta"].get("uuid")
        if isinstance(ref, str) and ref.lower() in mapping:
            node["meta"]["uuid"] = mapping[ref.lower()]
    return out


def _free(taken: set[str], base: str, pattern: str) -> str:
    n = 2
    while pattern.format(base=base, n=n) in taken:
        n += 1
    return pattern.format(base=base, n=n)


def adopt_bundle(
    items: list[Item],
    existing: Mapping[str, AssetFile],
    *,
    source: str,
    rename: bool = False,
    replace: bool = False,
) -> list[Item]:
    """``items`` ready to be written into the layout, or a ConfigError naming every
    collision with how to resolve it."""
    held: dict[Ident, AssetFile] = {}
    for a in existing.values():
        key = ident(a.kind, a.raw)
        if key is not None:
            held[key] = a
    slugs = {k[1] for k in held if k[0] == "dashboard"}
    names = {k[1] for k in held if k[0] == "database"}
    mapping: dict[str, str] = {}
    renamed: dict[str, dict[str, Any]] = {}
    refused: list[str] = []
    for item in items:
        uuid = _uuid(item)
        key = ident(item.kind, item.data)
        other = held.get(key) if key is not None else None
        if other is None or other.uuid == uuid or uuid in existing:
            continue
        assert key is not None
        where = f"{source}: {item.kind} {uuid}"
        if replace:
            mapping[uuid] = other.uuid
        elif rename and item.kind == "dashboard":
            slug = _free(slugs, str(item.data["slug"]), "{base}-{n}")
            slugs.add(slug)
            renamed[uuid] = {"slug": slug}
        elif rename and item.kind == "database":
            name = _free(names, str(item.data["database_name"]), "{base} ({n})")
            names.add(name)
            renamed[uuid] = {"database_name": name}
        else:
            fix = (
                "pass --replace to put its content in that file"
                if item.kind == "dataset"
                else "pass --rename to add it as a new one, or --replace to put its content in "
                "that file"
            )
            refused.append(
                f"{where} has the {describe_ident(key)} of {other.rel} (uuid {other.uuid}) ({fix})"
            )
    if refused:
        raise ConfigError(
            f"{len(refused)} asset(s) of the bundle collide with files of the layout: "
            + "; ".join(refused),
            hint="nothing was written; applied as is, each would replace the other in Superset",
        )
    out = []
    for item in items:
        data = _remap(item.data, mapping) if mapping else item.data
        if _uuid(item) in renamed:
            data = {**data, **renamed[_uuid(item)]}
        out.append(Item(item.kind, data))
    _check_result(out, existing)
    return out


def _check_result(items: list[Item], existing: Mapping[str, AssetFile]) -> None:
    """The layout as it would be after the import must hold no collision."""
    incoming = {_uuid(i): i for i in items}
    assets = [
        FileAsset(a.kind, a.uuid, a.rel, a.raw) for u, a in existing.items() if u not in incoming
    ]
    assets += [
        FileAsset(i.kind, u, existing[u].rel if u in existing else f"(bundle) {i.kind} {u}", i.data)
        for u, i in incoming.items()
    ]
    found = [c for c in layout_collisions(assets) if c.rule != "PV-REF"]
    if found:
        raise ConfigError(
            "the layout would hold collisions after this import: "
            + "; ".join(str(c) for c in found[:10]),
            hint="nothing was written",
        )

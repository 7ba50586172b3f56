"""What Superset keys assets by besides their uuid, and the collision rules built on it.

Superset finds an asset by ``uuid``, but it also keeps some fields unique, and its importer
acts on them:

- a dashboard's ``slug``: importing a dashboard whose slug another uuid holds *re-keys* the
  live dashboard (it keeps its id and takes the imported uuid and content);
- a dataset's (database, catalog, schema, table_name): a second dataset for the same table
  makes the whole import fail;
- a database's ``database_name``: unique.

So one layout must never hold two files that share one of these (``validate``, ``plan``,
``apply`` and ``import-bundle`` all use :func:`layout_collisions`), and ``apply`` must never send
a file whose key a *different* live asset holds (:func:`live_collisions`).

Rule ids (docs/provisioning.md lists them with examples):

- ``PV-UUID``    two files with one uuid
- ``PV-SLUG``    two dashboards with one slug
- ``PV-DATASET`` two datasets for one table of one database
- ``PV-DBNAME``  two databases with one name
- ``PV-REF``     a reference to a uuid no file holds (a dataset's ``database_uuid``, a chart's
  ``dataset_uuid``, a chart in a dashboard's position): Superset answers such a bundle with
  an HTTP 500
- ``PV-KIND``    a reference to a file of the wrong kind
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .normalize import chart_nodes

Ident = tuple[str, ...]


def ident(kind: str, data: Mapping[str, Any]) -> Ident | None:
    """The key besides uuid that Superset keeps unique for this asset (None: no such key)."""
    if kind == "database":
        name = data.get("database_name")
        return ("database", str(name)) if name else None
    if kind == "dataset":
        table = data.get("table_name")
        if not table:
            return None
        return (
            "dataset",
            str(data.get("database_uuid") or "").lower(),
            str(data.get("catalog") or ""),
            str(data.get("schema") or ""),
            str(table),
        )
    if kind == "dashboard":
        slug = data.get("slug")
        return ("dashboard", str(slug)) if slug else None
    return None


def describe_ident(key: Ident) -> str:
    if key[0] == "database":
        return f"database name {key[1]!r}"
    if key[0] == "dataset":
        where = ".".join(p for p in (key[2], key[3], key[4]) if p)
        return f"dataset {where} of database {key[1]}"
    return f"dashboard slug {key[1]!r}"


def references(kind: str, data: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(field, kind referred to, uuid)`` for every uuid this asset refers to."""
    out: list[tuple[str, str, str]] = []
    if kind == "dataset" and isinstance(data.get("database_uuid"), str):
        out.append(("database_uuid", "database", data["database_uuid"].lower()))
    elif kind == "chart" and isinstance(data.get("dataset_uuid"), str):
        out.append(("dataset_uuid", "dataset", data["dataset_uuid"].lower()))
    elif kind == "dashboard":
        for node in chart_nodes(data.get("position")):
            ref = node["meta"].get("uuid")
            if isinstance(ref, str):
                out.append((f"position.{node.get('id', '?')}.meta.uuid", "chart", ref.lower()))
    return out


@dataclass(frozen=True)
class Collision:
    """Two things that cannot both be: ``rule`` id, the file at fault, and the message."""

    rule: str
    file: str
    message: str
    other: str | None = None  # the other file, when the collision is between two files
    key: str | None = None  # the field the message is about (to find its line)
    value: str | None = None  # a value on that line (a uuid deep in a dashboard's position)

    def __str__(self) -> str:
        return f"{self.file}: {self.rule} {self.message}"


@dataclass(frozen=True)
class FileAsset:
    """What the rules need of one file: kind, uuid, path and content."""

    kind: str
    uuid: str
    file: str
    data: Mapping[str, Any]


_IDENT_RULE = {"database": "PV-DBNAME", "dataset": "PV-DATASET", "dashboard": "PV-SLUG"}
_IDENT_KEY = {"database": "database_name", "dataset": "table_name", "dashboard": "slug"}


def layout_collisions(assets: Iterable[FileAsset]) -> list[Collision]:
    """Every collision inside one layout, in file order."""
    items = list(assets)
    out: list[Collision] = []
    by_uuid: dict[str, FileAsset] = {}
    by_ident: dict[Ident, FileAsset] = {}
    for a in items:  # each file of a pair is told of the other
        first = by_uuid.setdefault(a.uuid, a)
        if first is not a:
            for one, two in ((first, a), (a, first)):
                out.append(
                    Collision(
                        "PV-UUID", one.file, f"uuid {a.uuid} is also {two.file}", two.file, "uuid"
                    )
                )
        key = ident(a.kind, a.data)
        if key is None:
            continue
        held = by_ident.setdefault(key, a)
        if held is not a and held.uuid != a.uuid:
            for one, two in ((held, a), (a, held)):
                out.append(
                    Collision(
                        _IDENT_RULE[a.kind],
                        one.file,
                        f"{describe_ident(key)} is also {two.file} (uuid {two.uuid}): Superset "
                        "keeps it unique, so one would replace the other",
                        two.file,
                        _IDENT_KEY[a.kind],
                    )
                )
    for a in items:
        for field, want, ref in references(a.kind, a.data):
            target = by_uuid.get(ref)
            if target is None:
                out.append(
                    Collision(
                        "PV-REF",
                        a.file,
                        f"{field} {ref} names no {want} of the provisioning folder",
                        key=field.split(".")[0],
                        value=ref,
                    )
                )
            elif target.kind != want:
                out.append(
                    Collision(
                        "PV-KIND",
                        a.file,
                        f"{field} {ref} is a {target.kind} ({target.file}), not a {want}",
                        target.file,
                        field.split(".")[0],
                        ref,
                    )
                )
    return out

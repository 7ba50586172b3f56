"""The data of provisioning: a resolved file (:class:`Desired`), a planned :class:`Change`, a
:class:`Plan` and what applying it did (:class:`ApplyResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .identity import Ident, ident
from .layout import AssetFile
from .normalize import FieldDiff

if TYPE_CHECKING:
    from .impact import Reach

# create / update / delete: apply changes the asset; unchanged: nothing to do; unmanaged: made
# by hand, no file (drift lists it); foreign: managed by another repo or tool, no file here
# (listed, never touched); conflict: a file that cannot be applied (its uuid or key belongs to
# an asset this repo does not own)
Action = Literal["create", "update", "delete", "unchanged", "unmanaged", "foreign", "conflict"]
ACTIONS: tuple[Action, ...] = (
    "create",
    "update",
    "delete",
    "unchanged",
    "unmanaged",
    "foreign",
    "conflict",
)


@dataclass
class Desired:
    """One file, resolved: what is sent (managed flag and owner marker included), and the
    password that goes beside it."""

    asset: AssetFile
    data: dict[str, Any]
    password: str | None = None

    @property
    def kind(self) -> str:
        return self.asset.kind

    @property
    def uuid(self) -> str:
        return self.asset.uuid

    @property
    def ident(self) -> Ident | None:
        return ident(self.kind, self.data)


@dataclass
class Change:
    action: Action
    kind: str
    uuid: str
    name: str
    file: str | None = None
    id: int | None = None
    diffs: list[FieldDiff] = field(default_factory=list)
    note: str | None = None  # why, in words (an owner, a collision, a cascade)
    reach: Reach | None = None  # the charts and dashboards it reaches (see .impact)

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "kind": self.kind,
            "uuid": self.uuid,
            "name": self.name,
            "file": self.file,
            "id": self.id,
            "note": self.note,
            "diff": [d.as_dict() for d in self.diffs],
            "reaches": self.reach.as_dict() if self.reach else None,
        }


@dataclass
class Plan:
    changes: list[Change]

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action in ("create", "update", "delete")]

    @property
    def conflicts(self) -> list[Change]:
        return [c for c in self.changes if c.action == "conflict"]

    @property
    def changed(self) -> bool:
        """Whether the instance differs from the files (something to apply, or a conflict)."""
        return bool(self.pending or self.conflicts)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = dict.fromkeys(ACTIONS, 0)
        for c in self.changes:
            out[c.action] += 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "counts": self.counts(),
            "changes": [c.as_dict() for c in self.changes],
        }


@dataclass
class ApplyResult:
    plan: Plan
    imported: list[str] = field(default_factory=list)  # uuids sent to the importer
    deleted: list[str] = field(default_factory=list)
    requests: int = 0  # import requests made
    access: list[str] = field(default_factory=list)  # roles, rules, dashboards' access applied

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.plan.as_dict(),
            "imported": len(self.imported),
            "deleted": len(self.deleted),
            "import_requests": self.requests,
            "access_applied": len(self.access),
        }

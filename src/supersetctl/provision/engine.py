"""Plan and apply: compare the files with the live instance, send only what differs.

An asset is *unchanged* when every field its file sets equals the live export's (in the
:func:`~supersetctl.provision.normalize.comparable` form); then nothing is sent for it. Changed
and new assets go to ``POST /api/v1/assets/import/`` with ``sparse=true`` (the importer finds
unchanged dependencies in its own database), in dependency order and in chunks. Each sent
asset is marked ``is_managed_externally`` with ``external_url`` naming its file; database
passwords travel only in the importer's ``passwords`` field.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from supersetctl.errors import ConfigError, SupersetAPIError
from supersetctl.redact import redact
from supersetctl.superset import SupersetClient, write_zip

from .cache import VerifiedCache, content_key
from .layout import KIND_ORDER, AssetFile
from .live import LiveState, fetch_content, is_managed
from .normalize import MASKED, FieldDiff, comparable, diff, position_ids
from .variables import Variables, interpolate, names_in

log = logging.getLogger(__name__)

Action = Literal["create", "update", "delete", "unchanged", "unmanaged"]
DEFAULT_CHUNK = 250


@dataclass
class Desired:
    """One file, resolved: what is sent, and the password that goes beside it."""

    asset: AssetFile
    data: dict[str, Any]
    password: str | None = None

    @property
    def kind(self) -> str:
        return self.asset.kind

    @property
    def uuid(self) -> str:
        return self.asset.uuid


@dataclass
class Change:
    action: Action
    kind: str
    uuid: str
    name: str
    file: str | None = None
    id: int | None = None
    diffs: list[FieldDiff] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "kind": self.kind,
            "uuid": self.uuid,
            "name": self.name,
            "file": self.file,
            "id": self.id,
            "diff": [d.as_dict() for d in self.diffs],
        }


@dataclass
class Plan:
    changes: list[Change]

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action in ("create", "update", "delete")]

    @property
    def changed(self) -> bool:
        return bool(self.pending)

    def counts(self) -> dict[str, int]:
        out = {a: 0 for a in ("create", "update", "delete", "unchanged", "unmanaged")}
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

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.plan.as_dict(),
            "imported": len(self.imported),
            "deleted": len(self.deleted),
            "import_requests": self.requests,
        }


# ---------------------------------------------------------------- resolve


def external_url(asset: AssetFile, base: str) -> str:
    return f"{base}{asset.rel}" if base else asset.rel


def resolve(assets: Iterable[AssetFile], variables: Variables, url_base: str = "") -> list[Desired]:
    """Interpolate every file. Raises before anything is sent when a variable is missing, or a
    secret is used anywhere but a database password."""
    out: list[Desired] = []
    errors: list[ConfigError] = []
    for asset in assets:
        try:
            out.append(_resolve_one(asset, variables, url_base))
        except ConfigError as exc:
            errors.append(exc)
    if errors:
        if len(errors) == 1:
            raise errors[0]
        raise ConfigError(
            "; ".join(str(e) for e in errors), hint="fix every file named before applying"
        )
    return out


def _resolve_one(asset: AssetFile, variables: Variables, url_base: str) -> Desired:
    raw = dict(asset.raw)
    password: str | None = None
    is_db = asset.kind == "database"
    pw_template = raw.pop("password", None) if is_db else None
    uri_template = raw.pop("sqlalchemy_uri", None) if is_db else None
    data, secrets = interpolate(raw, variables, asset.rel)
    if uri_template is not None:
        if isinstance(uri_template, str):
            data["sqlalchemy_uri"], password = database_uri(uri_template, variables, asset.rel)
        else:
            data["sqlalchemy_uri"] = uri_template
    if pw_template is not None:
        resolved_pw, _ = interpolate({"p": pw_template}, variables, asset.rel)
        password = str(resolved_pw["p"]) if resolved_pw["p"] else password
    if secrets:
        raise ConfigError(
            f"secret variable(s) {', '.join(sorted(secrets))} used outside a database password",
            path=asset.rel,
            hint="secrets may only appear in a database's sqlalchemy_uri password or `password`",
        )
    data["is_managed_externally"] = True
    data["external_url"] = external_url(asset, url_base)
    return Desired(asset, data, password)


# a URI's scheme, user, password and the rest, read from the file as written: variable names
# hold no URI delimiters, so the parts are found before any value (a password with / ? # @) is
# filled in
_URI_PARTS = re.compile(
    r"^(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://)"
    r"(?:(?P<user>[^:@/?#]*)(?::(?P<pw>[^@/?#]*))?@)?(?P<rest>.*)$",
    re.DOTALL,
)
_ONE_VAR = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def database_uri(template: str, variables: Variables, file: str) -> tuple[str, str | None]:
    """A database's ``sqlalchemy_uri`` for the importer (password masked) and the password to
    send beside it through the importer's password field.

    The password part must be exactly ``${SECRET}`` (a secret variable), ``XXXXXXXXXX`` (keep
    the one Superset has) or absent; a secret anywhere else in the URI, a literal password, or
    a password made of more than one secret is refused, before any value is filled in.
    """
    m = _URI_PARTS.match(template)
    if m is None:  # not a URL: no place for a password in it
        uri, used = interpolate(template, variables, file)
        if used:
            raise _uri_secret_error(used, file)
        return str(uri), None
    user, pw = m["user"], m["pw"]
    outside, used = interpolate(
        [m["head"], user or "", m["rest"]], variables, file, secret_value=lambda n: ""
    )
    if used:
        raise _uri_secret_error(used, file)
    head, user_value, rest = (str(v) for v in outside)
    if user is None:  # no user info at all
        return head + rest, None
    if pw is None:
        return f"{head}{user_value}@{rest}", None
    password: str | None = None
    if pw != MASKED:
        one = _ONE_VAR.match(pw)
        if one is None or not variables.is_secret(one[1]):
            mixed = [n for n in names_in(pw) if variables.is_secret(n)]
            raise ConfigError(
                "the password in sqlalchemy_uri must be exactly ${SECRET}"
                if mixed
                else "sqlalchemy_uri holds a literal password",
                path=file,
                hint="write the password as ${SECRET} (a variable config/<env>/ declares "
                "as a secret), or XXXXXXXXXX to keep the one Superset has",
            )
        value, _ = interpolate(pw, variables, file)
        password = str(value)
    return f"{head}{user_value}:{MASKED}@{rest}", password


def _uri_secret_error(names: set[str], file: str) -> ConfigError:
    return ConfigError(
        f"secret variable(s) {', '.join(sorted(names))} used in sqlalchemy_uri outside its "
        "password",
        path=file,
        hint="a secret may only be the whole password: scheme://user:${SECRET}@host/db",
    )


# ---------------------------------------------------------------- plan


def desired_key(d: Desired, chart_uuids: dict[int, str]) -> str:
    """What the cache keeps of a file's asset: a hash of its resolved content (and, for a
    dashboard, of the chart uuids its chart ids stand for). Any change to the form compared
    with the live asset changes this key, so a hit never hides a difference; hashing the
    content as is spares every no-change run the normalisation of every asset."""
    ids = position_ids(d.data.get("position"), chart_uuids) if d.kind == "dashboard" else {}
    return content_key([d.data, sorted(ids.items())])


def make_plan(
    desired: list[Desired],
    live: LiveState,
    *,
    prune: bool = False,
    unmanaged: bool = False,
    client: SupersetClient | None = None,
    cache: VerifiedCache | None = None,
    force: bool = False,
) -> Plan:
    """Compare files and live state (``force``: every existing asset counts as changed, so
    apply sends everything, database passwords included).

    Content is fetched (with ``client``) only for assets the ``cache`` cannot vouch for.
    ``prune`` lists managed live assets that have no file as ``delete``; ``unmanaged`` lists
    the others too (as ``unmanaged``, never deleted)."""
    chart_uuids = live.chart_uuids()
    keys = {d.uuid: desired_key(d, chart_uuids) for d in desired}
    need = []
    for d in desired:
        current = live.assets.get(d.uuid)
        if current is None or current.data is not None:
            continue
        if (
            cache is None
            or current.managed is False
            or not cache.hit(d.uuid, current.changed_on, keys[d.uuid])
        ):
            need.append(d.uuid)
    if need and client is not None:
        fetch_content(client, live, need)
    changes: list[Change] = []
    wanted = {d.uuid for d in desired}
    for d in desired:
        current = live.assets.get(d.uuid)
        if current is None or current.kind != d.kind:
            changes.append(Change("create", d.kind, d.uuid, d.asset.name, d.asset.rel))
            continue
        diffs: list[FieldDiff] = []
        if current.data is not None:
            diffs = diff(
                comparable(d.kind, d.data, chart_uuids),
                comparable(d.kind, current.data, chart_uuids),
            )
        elif d.uuid in need or cache is None:
            diffs = [FieldDiff("(content)", None, "not readable from the export")]
        if current.managed is False:
            diffs.append(FieldDiff("is_managed_externally", False, True))
        if force and not diffs:
            diffs.append(FieldDiff("(forced)", None, "sent again"))
        action: Action = "update" if diffs else "unchanged"
        if cache is not None:
            entry = cache.entries.get(d.uuid)
            if diffs and not (entry and entry[0] == current.changed_on and not force):
                # an entry still true of the live asset (only the file moved on) is kept
                cache.forget(d.uuid)
            elif not diffs:
                cache.remember(d.uuid, current.changed_on, keys[d.uuid], d.kind, current.id)
        changes.append(Change(action, d.kind, d.uuid, d.asset.name, d.asset.rel, current.id, diffs))
    if prune or unmanaged:
        extras = [a for a in live.assets.values() if a.uuid not in wanted]
        for a in sorted(extras, key=lambda a: (-KIND_ORDER.index(a.kind), a.name, a.uuid)):
            managed = a.managed
            if managed is None and client is not None:
                managed = is_managed(client, a)
            if managed and prune:
                changes.append(Change("delete", a.kind, a.uuid, a.name, None, a.id))
            elif unmanaged:
                changes.append(Change("unmanaged", a.kind, a.uuid, a.name, None, a.id))
    return Plan(changes)


# ---------------------------------------------------------------- apply


def apply_plan(
    plan: Plan,
    desired: list[Desired],
    client: SupersetClient,
    live: LiveState,
    *,
    chunk_size: int = DEFAULT_CHUNK,
) -> ApplyResult:
    """Send what the plan says. Nothing is sent when nothing changed."""
    result = ApplyResult(plan)
    by_uuid = {d.uuid: d for d in desired}
    to_send = [by_uuid[c.uuid] for c in plan.changes if c.action in ("create", "update")]
    to_send.sort(key=lambda d: (KIND_ORDER.index(d.kind), d.asset.rel))
    for start in range(0, len(to_send), chunk_size):
        chunk = to_send[start : start + chunk_size]
        _import_chunk(client, chunk, result)
    deletes = [c for c in plan.changes if c.action == "delete"]
    for c in sorted(deletes, key=lambda c: -KIND_ORDER.index(c.kind)):
        asset = live.assets.get(c.uuid)
        if asset is None:
            continue
        log.info("deleting %s %s (%s)", c.kind, c.name, c.uuid)
        try:
            client.delete(c.kind, asset.id)
        except SupersetAPIError as exc:
            raise SupersetAPIError(
                f"cannot delete {c.kind} {c.name!r} ({c.uuid}): {exc.message}", status=exc.status
            ) from None
        result.deleted.append(c.uuid)
    return result


def _bundle(chunk: list[Desired]) -> tuple[bytes, dict[str, str]]:
    files = {d.asset.bundle_path: d.data for d in chunk}
    passwords = {d.asset.bundle_path: d.password for d in chunk if d.password}
    return write_zip(files), passwords


def _import_chunk(client: SupersetClient, chunk: list[Desired], result: ApplyResult) -> None:
    bundle, passwords = _bundle(chunk)
    log.info("importing %d asset(s)", len(chunk))
    try:
        result.requests += 1
        client.import_assets(bundle, passwords=passwords, overwrite=True, sparse=True)
    except SupersetAPIError as exc:
        if len(chunk) == 1 or exc.status not in (400, 422, 500):
            d = chunk[0]
            what = (
                f"{d.kind} {d.asset.name!r} ({d.asset.rel})"
                if len(chunk) == 1
                else (f"{len(chunk)} assets from {chunk[0].asset.rel}")
            )
            raise SupersetAPIError(
                f"import of {what} failed: {exc.message}",
                status=exc.status,
                hint="fix the file and re-run; assets already imported stay imported",
            ) from None
        log.info("chunk failed; importing one by one to find the asset at fault")
        for d in chunk:
            _import_chunk(client, [d], result)
        return
    result.imported.extend(d.uuid for d in chunk)


def describe(change: Change) -> str:
    """One human line (plus diff lines) for a change; secrets redacted."""
    head = f"{change.action:<9} {change.kind:<9} {change.name}"
    if change.file:
        head += f"  ({change.file})"
    elif change.action in ("delete", "unmanaged"):
        head += f"  (uuid {change.uuid}, id {change.id})"
    lines = [head]
    for d in change.diffs:
        lines.append(f"    ~ {d.path}: {_short(d.live)} -> {_short(d.desired)}")
    return redact("\n".join(lines))


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."

"""Send a plan: changed and new assets to ``POST /api/v1/assets/import/`` with ``sparse=true``
(the importer finds unchanged dependencies in its own database), in dependency order and in
chunks; then the deletions, dependents first. Database passwords travel only in the
importer's ``passwords`` field."""

from __future__ import annotations

import json
import logging
from typing import Any

from supersetctl.errors import OperationFailed, SupersetAPIError
from supersetctl.progress import NO_PROGRESS, Progress
from supersetctl.redact import redact
from supersetctl.superset import SupersetClient, write_zip

from .layout import KIND_ORDER
from .live import LiveState
from .model import ApplyResult, Change, Desired, Plan

log = logging.getLogger(__name__)

DEFAULT_CHUNK = 250


class ConflictError(OperationFailed):
    """A plan holds files that cannot be applied (another repo's asset, a key held live)."""


def refuse_conflicts(plan: Plan) -> None:
    conflicts = plan.conflicts
    if not conflicts:
        return
    lines = "; ".join(f"{c.file}: {c.note}" for c in conflicts[:5])
    more = f" (and {len(conflicts) - 5} more)" if len(conflicts) > 5 else ""
    raise ConflictError(
        f"{len(conflicts)} file(s) cannot be applied: {lines}{more}",
        hint="nothing was sent; `supersetctl plan` lists every conflict",
    )


def apply_plan(
    plan: Plan,
    desired: list[Desired],
    client: SupersetClient,
    live: LiveState,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Progress = NO_PROGRESS,
) -> ApplyResult:
    """Send what the plan says; nothing when nothing changed. Refuses a plan with conflicts
    before sending anything."""
    refuse_conflicts(plan)
    result = ApplyResult(plan)
    by_uuid = {d.uuid: d for d in desired}
    to_send = [by_uuid[c.uuid] for c in plan.changes if c.action in ("create", "update")]
    to_send.sort(key=lambda d: (KIND_ORDER.index(d.kind), d.asset.rel))
    if to_send:
        progress.phase("importing", len(to_send))
    for start in range(0, len(to_send), chunk_size):
        chunk = to_send[start : start + chunk_size]
        _import_chunk(client, chunk, result, progress)
    deletes = [c for c in plan.changes if c.action == "delete" and c.uuid in live.assets]
    if deletes:
        progress.phase("deleting", len(deletes))
    for kind in reversed(KIND_ORDER):  # what refers to others first
        _delete_kind(client, [c for c in deletes if c.kind == kind], live, result, progress)
    return result


def _delete_kind(
    client: SupersetClient,
    changes: list[Change],
    live: LiveState,
    result: ApplyResult,
    progress: Progress,
) -> None:
    """Delete one kind's assets in bulk; when Superset refuses a batch, one by one, so the
    error names the asset at fault."""
    if not changes:
        return
    log.info("deleting %d %s(s)", len(changes), changes[0].kind)
    try:
        client.delete_many(changes[0].kind, [live.assets[c.uuid].id for c in changes])
    except SupersetAPIError:
        for c in changes:
            try:
                client.delete(c.kind, live.assets[c.uuid].id)
            except SupersetAPIError as exc:
                raise SupersetAPIError(
                    f"cannot delete {c.kind} {c.name!r} ({c.uuid}): {exc.message}",
                    status=exc.status,
                ) from None
            result.deleted.append(c.uuid)
            progress.advance()
        return
    result.deleted.extend(c.uuid for c in changes)
    progress.advance(len(changes))


def _bundle(chunk: list[Desired]) -> tuple[bytes, dict[str, str]]:
    files = {d.asset.bundle_path: d.data for d in chunk}
    passwords = {d.asset.bundle_path: d.password for d in chunk if d.password}
    return write_zip(files), passwords


def _import_chunk(
    client: SupersetClient, chunk: list[Desired], result: ApplyResult, progress: Progress
) -> None:
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
            _import_chunk(client, [d], result, progress)
        return
    result.imported.extend(d.uuid for d in chunk)
    progress.advance(len(chunk))


def describe(change: Change) -> str:
    """One human line (plus diff lines) for a change; secrets redacted."""
    label = "owned elsewhere" if change.action == "foreign" else change.action
    head = f"{label:<9} {change.kind:<9} {change.name}"
    if change.file:
        head += f"  ({change.file})"
    elif change.action in ("delete", "unmanaged", "foreign"):
        head += f"  (uuid {change.uuid}, id {change.id})"
    lines = [head]
    if change.note:
        lines.append(f"    ! {change.note}")
    if change.reach:
        lines.append(f"    reaches {change.reach.describe()}")
    for d in change.diffs:
        lines.append(f"    ~ {d.path}: {_short(d.live)} -> {_short(d.desired)}")
    return redact("\n".join(lines))


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."

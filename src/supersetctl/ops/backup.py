"""``backup``: the metadata database, the asset export and the manifest in one archive.

:func:`create_backup` runs ``pg_dump --format=custom`` of the Superset metadata database, asks
Superset for its asset export (when an API session is given), copies the manifest in force,
records the ids of dashboards, charts, datasets and users, and writes one timestamped archive
(see :mod:`supersetctl.ops.archive`).

The asset export is any callable returning Superset's bundle zip; the CLI passes the
provisioning client's :meth:`~supersetctl.superset.client.SupersetClient.export_assets`.

:func:`back_up` is the whole ``backup`` command for one
:class:`~supersetctl.contract.environment.Environment`: the metadata database named by its
variables, one archive written to a folder or to S3, then retention at that destination.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supersetctl import pg
from supersetctl.contract.environment import Environment
from supersetctl.errors import OperationFailed
from supersetctl.ops import _pg, storage
from supersetctl.ops.archive import (
    ASSETS,
    DUMP,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    RECORD,
    archive_name,
    write_archive,
)

log = logging.getLogger(__name__)

AssetExporter = Callable[[], bytes]
METADATA_ENV = "SUPERSET_METADATA_DB_URL"  # the variable holding the metadata database URL


def check_asset_zip(data: bytes) -> bytes:
    """``data`` if it is a readable zip (Superset's asset bundle), else :class:`OperationFailed`."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            bad = zf.testzip()
            names = zf.namelist()
    except zipfile.BadZipFile:
        raise OperationFailed("the asset export is not a zip file") from None
    if bad is not None:
        raise OperationFailed(f"the asset export is corrupt at {bad}")
    if not any(n.endswith("metadata.yaml") for n in names):
        raise OperationFailed("the asset export has no metadata.yaml: not a Superset bundle")
    return data


@dataclass(frozen=True)
class BackupResult:
    path: Path
    sha256: str
    record: dict[str, Any]


def _versions(info: Mapping[str, str], pg_dump: str) -> dict[str, str]:
    client = pg.run([pg_dump, "--version"], info, what="pg_dump --version").strip()
    with _pg.connect(info) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return {"pg_dump": client, "server": str(row[0]) if row else ""}


def create_backup(
    *,
    env: str,
    metadata: Mapping[str, str],
    dest_dir: Path,
    manifest: Path | None = None,
    assets: AssetExporter | None = None,
    superset_url: str | None = None,
    now: dt.datetime | None = None,
) -> BackupResult:
    """Write ``superset-<env>-<stamp>.tar`` into ``dest_dir`` and return where and what."""
    moment = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / archive_name(env, moment)
    if dest.exists():
        raise OperationFailed(f"{dest} exists already; wait a second and retry")
    pg_dump = pg.client_binary("pg_dump")
    with tempfile.TemporaryDirectory(prefix="supersetctl-backup-") as tmp:
        work = Path(tmp)
        parts: dict[str, Path] = {}
        log.info("dumping %s", pg.describe(metadata))
        pg.run(
            [pg_dump, "--format=custom", "--no-password", "--file", str(work / DUMP)],
            metadata,
            what="pg_dump of the metadata database",
        )
        parts[DUMP] = work / DUMP
        ids = _pg.object_ids(metadata)
        if assets is not None:
            log.info("exporting assets from %s", superset_url or "Superset")
            (work / ASSETS).write_bytes(check_asset_zip(assets()))
            parts[ASSETS] = work / ASSETS
        if manifest is not None and manifest.is_file():
            (work / MANIFEST).write_bytes(manifest.read_bytes())
            parts[MANIFEST] = work / MANIFEST
        record: dict[str, Any] = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "environment": env,
            "created_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "superset_url": superset_url,
            "metadata_database": pg.describe({**metadata, "password": ""}),
            "versions": _versions(metadata, pg_dump),
            "objects": {k: {"count": len(v), "ids": v} for k, v in ids.items()},
            "parts": sorted([*parts, RECORD]),
        }
        (work / RECORD).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        parts[RECORD] = work / RECORD
        whole = write_archive(dest, parts, moment)
    log.info("wrote %s", dest)
    return BackupResult(dest, whole, record)


@dataclass(frozen=True)
class BackupRun:
    """An archive at its destination, and the older ones retention deleted there."""

    where: str  # the archive's path or s3:// URL
    result: BackupResult
    deleted: list[str]

    def objects(self) -> dict[str, int]:
        return {k: v["count"] for k, v in self.result.record["objects"].items()}

    def as_dict(self) -> dict[str, Any]:
        return {
            "archive": self.where,
            "sha256": self.result.sha256,
            "parts": self.result.record["parts"],
            "objects": self.objects(),
            "deleted": self.deleted,
        }


def back_up(
    env: Environment,
    *,
    to: str | None = None,
    assets: AssetExporter | None = None,
    keep_daily: int | None = None,
    keep_weekly: int | None = None,
    metadata_url_env: str = METADATA_ENV,
    now: dt.datetime | None = None,
) -> BackupRun:
    """One archive of ``env`` at ``to``: a folder (default ``.local/backups/<env>``) or
    ``s3://BUCKET/PREFIX`` (S3 settings from ``env``'s variables); then retention there.

    The metadata database is the URL in the variable ``metadata_url_env``; the archive is
    written once, straight into the folder or into a temporary one for the upload.
    """
    metadata = _pg.from_env(metadata_url_env, env.environ)
    target = to or str(env.paths.local / "backups" / env.name)
    s3 = storage.s3_client(env.environ) if storage.is_s3(target) else None
    location = storage.S3Location.parse(target) if s3 is not None else None
    with tempfile.TemporaryDirectory(prefix="supersetctl-backup-out-") as tmp:
        result = create_backup(
            env=env.name,
            metadata=metadata,
            dest_dir=Path(tmp) if location else Path(target),
            manifest=env.paths.manifest,
            assets=assets,
            superset_url=env.url,
            now=now,
        )
        if location is None:
            where = str(result.path)
        else:
            storage.upload(s3, result.path, location)
            where = f"{location}{result.path.name}"
    if location is None:
        deleted = storage.retain_local(Path(target), env.name, keep_daily, keep_weekly)
    else:
        deleted = storage.retain_s3(s3, location, env.name, keep_daily, keep_weekly)
    return BackupRun(where, result, deleted)

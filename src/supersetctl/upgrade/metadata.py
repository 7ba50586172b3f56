"""The metadata database around an upgrade: its alembic revision, the backup taken before the
migrations, and the restore that undoes them.

One implementation for every target: the local stack and App Platform both back up with
:func:`supersetctl.ops.backup.back_up` (the archive lands where ``backup`` puts it) and restore
with :func:`supersetctl.ops.restore.restore_backup` (the whole content replaced in one
transaction).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supersetctl import pg
from supersetctl.contract.environment import Environment
from supersetctl.errors import OperationFailed

log = logging.getLogger(__name__)


class UpgradeFailed(OperationFailed):
    """A step of an upgrade (or of its roll back) failed."""


@dataclass(frozen=True)
class MetadataBackup:
    """An archive of the metadata database (a path or an ``s3://`` URL) and the alembic
    revision it holds."""

    archive: str
    revision: str | None

    @property
    def name(self) -> str:
        return self.archive.rstrip("/").rsplit("/", 1)[-1]

    def as_dict(self) -> dict[str, Any]:
        return {"archive": self.archive, "revision": self.revision}


def revision(conninfo: Mapping[str, str]) -> str | None:
    """The metadata database's alembic revision (``alembic_version``), None before the first
    migration."""
    with pg.session(conninfo, f"cannot read the revision of {pg.describe(conninfo)}") as conn:
        found = conn.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL").fetchone()
        if not found or not found[0]:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def metadata_conninfo(env: Environment) -> dict[str, str]:
    """The metadata database of ``env`` (``SUPERSET_METADATA_DB_URL`` of its variables)."""
    from supersetctl.ops import _pg
    from supersetctl.ops.backup import METADATA_ENV

    return dict(_pg.from_env(METADATA_ENV, env.environ))


def take_backup(env: Environment, *, to: str | None = None) -> MetadataBackup:
    """A backup of ``env``'s metadata database (what ``supersetctl backup --env ENV`` writes,
    without the asset export) at ``to``: a folder (default ``.local/backups/<env>``) or
    ``s3://BUCKET/PREFIX`` (S3 settings from ``env``'s variables), with retention there."""
    from supersetctl.ops.backup import back_up

    before = revision(metadata_conninfo(env))
    run = back_up(env, to=to)
    log.info("metadata backup %s at revision %s", run.where, before)
    return MetadataBackup(run.where, before)


def restore(
    backup: MetadataBackup, target: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> str | None:
    """Put ``backup`` back into the metadata database ``target`` (its content replaced in one
    transaction; an ``s3://`` archive is downloaded first with the S3 settings of ``environ``);
    returns the revision it holds after, which must be the backup's."""
    import tempfile

    from supersetctl.ops.restore import restore_backup
    from supersetctl.ops.storage import local_copy

    with tempfile.TemporaryDirectory(prefix="supersetctl-upgrade-") as tmp:
        archive = local_copy(backup.archive, Path(tmp), environ or {})
        result = restore_backup(archive, target, force=True)
    if not result.comparison.matches:
        raise UpgradeFailed(
            f"the restore of {backup.name} does not hold the objects it recorded",
            hint=f"restore it by hand: supersetctl restore {backup.archive} --env ENV --force",
        )
    after = revision(target)
    if after != backup.revision:
        raise UpgradeFailed(
            f"after the restore the metadata database is at revision {after}, not {backup.revision}"
        )
    return after

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
    """An archive of the metadata database and the alembic revision it holds."""

    archive: Path
    revision: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"archive": str(self.archive), "revision": self.revision}


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
    without the asset export) in a local folder (default ``.local/backups/<env>``)."""
    from supersetctl.ops.backup import back_up
    from supersetctl.ops.storage import is_s3

    if to is not None and is_s3(to):
        raise OperationFailed(
            "an upgrade keeps its backup in a local folder (it restores from it)",
            hint="pass a folder, or none for .local/backups/<env>",
        )
    before = revision(metadata_conninfo(env))
    run = back_up(env, to=to)
    log.info("metadata backup %s at revision %s", run.where, before)
    return MetadataBackup(Path(run.where), before)


def restore(backup: MetadataBackup, target: Mapping[str, str]) -> str | None:
    """Put ``backup`` back into the metadata database ``target`` (its content replaced in one
    transaction); returns the revision it holds after, which must be the backup's."""
    from supersetctl.ops.restore import restore_backup

    result = restore_backup(backup.archive, target, force=True)
    if not result.comparison.matches:
        raise UpgradeFailed(
            f"the restore of {backup.archive.name} does not hold the objects it recorded",
            hint=f"restore it by hand: supersetctl restore {backup.archive} --env ENV --force",
        )
    after = revision(target)
    if after != backup.revision:
        raise UpgradeFailed(
            f"after the restore the metadata database is at revision {after}, not {backup.revision}"
        )
    return after

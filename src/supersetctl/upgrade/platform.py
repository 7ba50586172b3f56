"""App Platform's side of an upgrade: the :class:`~supersetctl.deploy.guard.MetadataGuard`
``deploy`` and ``rollback`` call.

Before a deployment whose images differ from the running ones (its PRE_DEPLOY job will run
``superset db upgrade && superset init`` on the metadata database), :class:`PlatformGuard`
takes a backup with :func:`~supersetctl.upgrade.metadata.take_backup` (where ``backup`` puts
it, or in ``s3://`` storage, which outlives a CI runner) and records it against the
deployment in ``.local/upgrade/<env>.json``. Before that deployment is rolled back (by
``deploy`` itself, or later by ``rollback``), it restores the backup when the metadata
database's revision is no longer the one backed up. The metadata database is the one
``SUPERSET_METADATA_DB_URL`` names, as for ``backup`` and ``restore``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from supersetctl.contract.environment import Environment
from supersetctl.deploy.spec import image_digests
from supersetctl.fsutil import atomic_write

from .metadata import MetadataBackup, metadata_conninfo, restore, revision, take_backup

log = logging.getLogger(__name__)

_KEEP = 20  # records kept per environment


class PlatformGuard:
    """Backups before migrating deployments of ``env``'s app, restores before their roll back."""

    def __init__(self, env: Environment, *, backups_to: str | None = None) -> None:
        self.env = env
        self.backups_to = backups_to

    @property
    def record_file(self) -> Path:
        return self.env.paths.local / "upgrade" / f"{self.env.name}.json"

    def _records(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.record_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return []
        return [r for r in data.get("deployments", []) if isinstance(r, dict)]

    def _save(self, records: list[dict[str, Any]]) -> None:
        text = json.dumps({"deployments": records[-_KEEP:]}, indent=2, sort_keys=True)
        atomic_write(self.record_file, text + "\n")

    def before_deploy(
        self, app_id: str, previous_spec: dict[str, Any], spec: dict[str, Any]
    ) -> str | None:
        if image_digests(previous_spec) == image_digests(spec):
            return None  # the same image: its migrations ran already
        backup = take_backup(self.env, to=self.backups_to)
        records = self._records()
        records.append({"app_id": app_id, "deployment_id": None, **backup.as_dict()})
        self._save(records)
        return f"{backup.archive} (revision {backup.revision})"

    def deployed(self, app_id: str, deployment_id: str) -> None:
        records = self._records()
        if records and records[-1]["app_id"] == app_id and records[-1]["deployment_id"] is None:
            records[-1]["deployment_id"] = deployment_id
            self._save(records)

    def before_rollback(self, app_id: str, from_deployment: str | None) -> str | None:
        found = next(
            (
                r
                for r in reversed(self._records())
                if r["app_id"] == app_id and r["deployment_id"] == from_deployment
            ),
            None,
        )
        if found is None or from_deployment is None:
            return None  # no backup taken before it: it did not migrate (or not through us)
        backup = MetadataBackup(str(found["archive"]), found.get("revision"))
        target = metadata_conninfo(self.env)
        now = revision(target)
        if now == backup.revision:
            return None
        log.info("restoring %s: revision %s, backed up at %s", backup.archive, now, backup.revision)
        after = restore(backup, target, self.env.environ)
        return f"restored {backup.name} (revision {now} -> {after})"


def guard_for(
    env: Environment, wanted: bool | None, *, backups_to: str | None = None
) -> tuple[PlatformGuard | None, str | None]:
    """The guard ``deploy``/``rollback`` use for ``env``, and a warning when there is none.

    ``wanted`` None: a guard when ``SUPERSET_METADATA_DB_URL`` is set (else a warning);
    True: a guard, and a :class:`~supersetctl.errors.ConfigError` without the variable;
    False: none. ``backups_to``: where the backups go (a folder or ``s3://BUCKET/PREFIX``).
    """
    from supersetctl.ops.backup import METADATA_ENV

    if wanted is False:
        return None, None
    if wanted is None and not env.environ.get(METADATA_ENV):
        return None, (
            f"no metadata backup before a migrating deployment: {METADATA_ENV} is not set "
            "(pass --no-metadata-backup to say so, or export it)"
        )
    metadata_conninfo(env)  # a missing or malformed URL fails here, before any change
    return PlatformGuard(env, backups_to=backups_to), None

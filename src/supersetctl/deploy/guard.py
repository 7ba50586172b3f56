"""What ``deploy`` and ``rollback`` ask of whoever keeps the metadata database safe.

A deployment whose image differs from the running one runs its PRE_DEPLOY job (``superset db
upgrade && superset init``) on the shared metadata database before the new version serves. If
that version then fails, putting the old image back is not enough: the old version would start
on a schema it does not know. A :class:`MetadataGuard` takes a backup before such a deployment
and, when the deployment is undone, restores it if the migrations moved the schema. The deploy
room only calls it; :mod:`supersetctl.upgrade.platform` implements it with ``ops``.
"""

from __future__ import annotations

from typing import Any, Protocol


class MetadataGuard(Protocol):
    def before_deploy(
        self, app_id: str, previous_spec: dict[str, Any], spec: dict[str, Any]
    ) -> str | None:
        """Called before the spec is sent; a backup when the deployment will migrate (what
        it took, for the report), else None."""
        ...

    def deployed(self, app_id: str, deployment_id: str) -> None:
        """The deployment the backup was taken for (a later ``rollback`` finds it by id)."""
        ...

    def before_rollback(self, app_id: str, from_deployment: str | None) -> str | None:
        """Called before the old version is put back; restores the backup taken before
        ``from_deployment`` when the schema moved since. What it did, or None."""
        ...

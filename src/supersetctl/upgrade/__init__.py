"""Upgrades of Superset with a way back: the metadata backed up first, migrations, health,
``plan`` clean, every chart's data query answering; on failure the old version back on the
restored metadata.

- :func:`upgrade` runs the steps on any :class:`Target` (:mod:`.procedure`);
  :class:`LocalTarget` is the local stack (one runtime venv per version, :mod:`.local`).
- :func:`upgrade_local` is ``supersetctl upgrade --env dev``.
- :class:`PlatformGuard` is what ``deploy`` and ``rollback`` call on App Platform: a backup
  before a deployment that migrates, a restore before its roll back (:mod:`.platform`).
- :mod:`.metadata`: the revision, the backup and the restore both share; :mod:`.checks`: the
  chart data queries.
"""

from __future__ import annotations

from collections.abc import Callable

from supersetctl.contract.environment import Environment

from .checks import ChartAnswer, ChartReport, chart_queries, query_context
from .metadata import MetadataBackup, UpgradeFailed, restore, revision, take_backup
from .procedure import Target, UpgradeResult, upgrade


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split(".")[:3])


def upgrade_local(
    env: Environment,
    to_version: str | None = None,
    *,
    health_timeout: float = 180.0,
    verify: bool = True,
    progress: Callable[[str], None] | None = None,
) -> UpgradeResult:
    """Upgrade the running local stack of ``env`` (dev) to ``to_version`` (default: the pinned
    version of ``image/requirements.txt``)."""
    from supersetctl.errors import UsageError
    from supersetctl.local.runtime import SUPERSET_VERSION, runtimes
    from supersetctl.local.stack import LocalStack, settings_from_config

    from .local import LocalTarget

    settings_from_config(env)  # the local stack runs dev only: a clear error for another
    wanted = to_version or SUPERSET_VERSION
    if wanted not in runtimes(env.paths.image):
        raise UsageError(
            f"no runtime lock for Superset {wanted}",
            hint=f"known: {', '.join(runtimes(env.paths.image))}",
        )
    say = progress or (lambda _m: None)
    target = LocalTarget(LocalStack(env.paths), env, health_timeout=health_timeout, progress=say)
    if _release(wanted) < _release(target.version()):
        raise UsageError(
            f"Superset {wanted} is older than the {target.version()} the stack runs: "
            "migrations only go forward",
            hint="to go back, restore a backup taken before the upgrade "
            "(supersetctl restore ARCHIVE --env dev --force) on a stack of that version",
        )
    return upgrade(target, wanted, progress=say, verify=verify)


__all__ = [
    "ChartAnswer",
    "ChartReport",
    "MetadataBackup",
    "Target",
    "UpgradeFailed",
    "UpgradeResult",
    "chart_queries",
    "query_context",
    "restore",
    "revision",
    "take_backup",
    "upgrade",
    "upgrade_local",
]

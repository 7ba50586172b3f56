"""Operations: health checks and drift alerts, metadata backups and verified restores.

- :func:`check_health` (``health``): ``/health``, API login, a query per database, TLS days
  left, response times, retries with backoff; :func:`health_target` says what to check.
- :func:`alert_on_change` (``health --alert``) and
  :func:`~supersetctl.ops.drift_alert.drift_alert_on_change` (``drift --alert``): a message
  only when the state changes, to the targets of :mod:`supersetctl.ops.notify` (Slack, a
  JSON webhook such as n8n's, or both); ``notify`` sends one message.
- :func:`back_up` (``backup``: :func:`create_backup`, then upload and retention),
  :func:`restore_backup` (``restore``), :func:`verify_backup` (``backup verify``).

Every variable (database URLs, S3 keys, the webhook) is read from the mapping it is given: the
:class:`~supersetctl.contract.environment.Environment`'s, never ``os.environ``.
"""

from __future__ import annotations

from supersetctl.ops.alerts import (
    AlertOutcome,
    alert_on_change,
    decide,
    load_state,
    webhook_from_env,
)
from supersetctl.ops.archive import ArchiveCorrupt, open_archive
from supersetctl.ops.backup import BackupResult, BackupRun, back_up, create_backup
from supersetctl.ops.health import (
    Check,
    HealthOptions,
    HealthReport,
    Target,
    check_health,
    health_target,
)
from supersetctl.ops.restore import (
    RestoreResult,
    TargetNotEmpty,
    VerifyResult,
    restore_backup,
    verify_backup,
)

__all__ = [
    "AlertOutcome",
    "ArchiveCorrupt",
    "BackupResult",
    "BackupRun",
    "Check",
    "HealthOptions",
    "HealthReport",
    "RestoreResult",
    "Target",
    "TargetNotEmpty",
    "VerifyResult",
    "alert_on_change",
    "back_up",
    "check_health",
    "create_backup",
    "decide",
    "health_target",
    "load_state",
    "open_archive",
    "restore_backup",
    "verify_backup",
    "webhook_from_env",
]

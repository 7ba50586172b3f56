"""Operations: health checks with Slack alerts, metadata backups and verified restores.

- :func:`check_health` (``health``): ``/health``, API login, a query per database, TLS days
  left, response times, retries with backoff.
- :func:`alert_on_change`: a Slack message only when the state changes.
- :func:`create_backup` (``backup``), :func:`restore_backup` (``restore``),
  :func:`verify_backup` (``backup verify``).
"""

from __future__ import annotations

from supersetctl.ops.alerts import alert_on_change, decide, load_state, webhook_from_env
from supersetctl.ops.archive import ArchiveCorrupt, open_archive
from supersetctl.ops.backup import BackupResult, create_backup
from supersetctl.ops.health import Check, HealthOptions, HealthReport, check_health
from supersetctl.ops.restore import (
    RestoreResult,
    TargetNotEmpty,
    VerifyResult,
    restore_backup,
    verify_backup,
)

__all__ = [
    "ArchiveCorrupt",
    "BackupResult",
    "Check",
    "HealthOptions",
    "HealthReport",
    "RestoreResult",
    "TargetNotEmpty",
    "VerifyResult",
    "alert_on_change",
    "check_health",
    "create_backup",
    "decide",
    "load_state",
    "open_archive",
    "restore_backup",
    "verify_backup",
    "webhook_from_env",
]

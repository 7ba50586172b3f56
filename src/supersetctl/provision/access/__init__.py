"""Superset's access model as code: roles, row-level security rules and dashboards' access
(roles, embedded configuration), as files under ``infra/superset/provisioning/roles/``,
``rls/`` and ``dashboard_access/``, planned, applied, drift-checked, exported and pruned with
the assets (``provision/run.py``).

Modules: ``models`` (the file models), ``files`` (reading, rules), ``live`` (what the
instance holds, who owns it), ``planner`` (pure), ``apply``, ``export``, ``run`` (the glue).
Superset's row-level security is a second layer: the database's own grants and views
(``supersetctl db apply``) stay the first.
"""

from __future__ import annotations

from .apply import AccessResult
from .files import RULES, AccessFiles
from .run import KINDS, AccessPrepared, export_env_access, prepare_access, send_access

__all__ = [
    "KINDS",
    "RULES",
    "AccessFiles",
    "AccessPrepared",
    "AccessResult",
    "export_env_access",
    "prepare_access",
    "send_access",
]

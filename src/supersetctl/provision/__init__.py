"""Provisioning as code: the files under ``infra/superset/provisioning/`` applied to Superset.

Entry points (each takes an :class:`~supersetctl.contract.environment.Environment`, loaded
once by the caller, and a :class:`~supersetctl.superset.SupersetClient`):

- ``apply_env(env, client, *, prune=False) -> ApplyResult``: make the instance match the
  files (what ``supersetctl apply`` and ``supersetctl up`` run).
- ``plan_env(env, client, *, prune=False) -> Plan``: what apply would do; ``prepare`` then
  ``send_plan`` split ``apply_env`` in two (the CLI asks in between).
- ``drift_env(env, client) -> Plan``: every difference, hand-made assets included.
- ``export_env(env, client, *, dashboards=None) -> ExportResult``: live into files.
- ``import_bundle(env, source, *, rename=False, replace=False) -> ExportResult``: a native
  export into files.
- ``client_for(env) -> SupersetClient``: a client from the credential variables the
  environment names (with the access-token cache of :mod:`supersetctl.superset.tokens`).

The modules, in the order a run goes through them: ``layout`` (files), ``identity``
(collision rules), ``variables`` and ``resolve`` (``${VAR}``, the managed marker), ``live``
(lists and exports), ``cache`` (what a run may skip), ``planner`` (the plan, pure),
``apply`` (imports and deletions), ``export`` and ``rebundle`` (live or a bundle into files).
"""

from __future__ import annotations

from .apply import DEFAULT_CHUNK, ConflictError, describe
from .export import ExportResult
from .identity import Collision
from .layout import AssetFile
from .live import LiveState
from .model import ApplyResult, Change, Desired, Plan
from .run import (
    ACCESS_TOKEN_ENV,
    Prepared,
    apply_env,
    client_for,
    drift_env,
    export_env,
    import_bundle,
    load_desired,
    plan_env,
    plan_report,
    prepare,
    send_plan,
    variables_for,
)

__all__ = [
    "ACCESS_TOKEN_ENV",
    "DEFAULT_CHUNK",
    "ApplyResult",
    "AssetFile",
    "Change",
    "Collision",
    "ConflictError",
    "Desired",
    "ExportResult",
    "LiveState",
    "Plan",
    "Prepared",
    "apply_env",
    "client_for",
    "describe",
    "drift_env",
    "export_env",
    "import_bundle",
    "load_desired",
    "plan_env",
    "plan_report",
    "prepare",
    "send_plan",
    "variables_for",
]

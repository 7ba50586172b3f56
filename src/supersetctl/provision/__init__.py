"""Provisioning as code: the files under ``infra/superset/provisioning/`` applied to Superset.

Entry points (each takes the repo paths, the environment name and a
:class:`~supersetctl.superset.SupersetClient`):

- ``apply_env(paths, env, client, *, prune=False) -> ApplyResult`` — make the instance match
  the files (what ``supersetctl apply`` and ``supersetctl up`` run).
- ``plan_env(paths, env, client, *, prune=False) -> Plan`` — what apply would do;
  ``prepare`` then ``send_plan`` split ``apply_env`` in two (the CLI asks in between).
- ``drift_env(paths, env, client) -> Plan`` — every difference, hand-made assets included.
- ``export_env(paths, env, client, *, dashboards=None) -> ExportResult`` — live into files.
- ``import_bundle(paths, source, *, env="dev") -> ExportResult`` — a native export into files.
- ``client_for_env(paths, env, *, url=None) -> SupersetClient`` — a client from
  ``config/<env>/`` and the credential variables it names (with the access-token cache of
  :mod:`supersetctl.superset.tokens`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from supersetctl.contract.loader import load_env_config
from supersetctl.contract.models import EnvConfig
from supersetctl.errors import ConfigError
from supersetctl.paths import RepoPaths
from supersetctl.superset import Credentials, SupersetClient, parse, read_path
from supersetctl.superset.tokens import TokenCache

from .cache import VerifiedCache
from .engine import (
    DEFAULT_CHUNK,
    ApplyResult,
    Change,
    Desired,
    Plan,
    apply_plan,
    describe,
    make_plan,
    resolve,
)
from .export import ExportResult, items_for_dashboards, items_from_contents, write_layout
from .layout import AssetFile, load_layout
from .live import LiveState, fingerprint, from_cache, list_live, read_live
from .variables import Variables

log = logging.getLogger(__name__)

ACCESS_TOKEN_ENV = "SUPERSET_ACCESS_TOKEN"
URL_BASE_VAR = "PROVISIONING_URL_BASE"

__all__ = [
    "ACCESS_TOKEN_ENV",
    "ApplyResult",
    "AssetFile",
    "Change",
    "ExportResult",
    "LiveState",
    "Plan",
    "apply_env",
    "client_for_env",
    "describe",
    "drift_env",
    "export_env",
    "import_bundle",
    "load_desired",
    "plan_env",
    "prepare",
    "send_plan",
]


VAR_OVERRIDE_PREFIX = "SUPERSETCTL_VAR_"


def variables_for(cfg: EnvConfig) -> Variables:
    """Non-secret values from config (``SUPERSETCTL_VAR_<NAME>`` in the environment overrides
    ``<NAME>``, e.g. a local stack on another port); secrets from the environment."""
    values = cfg.variables()
    for key, value in os.environ.items():
        if key.startswith(VAR_OVERRIDE_PREFIX) and len(key) > len(VAR_OVERRIDE_PREFIX):
            values[key[len(VAR_OVERRIDE_PREFIX) :]] = value
    return Variables(values, frozenset(cfg.secret_names()), dict(os.environ))


def client_for_env(paths: RepoPaths, env: str, *, url: str | None = None) -> SupersetClient:
    """A client for ``env``: the URL from config (or ``url``), and either the access token in
    ``SUPERSET_ACCESS_TOKEN`` or the admin username/password variables config names."""
    cfg = load_env_config(paths, env)
    token = os.environ.get(ACCESS_TOKEN_ENV)
    if token:
        creds = Credentials(access_token=token)
    else:
        user = os.environ.get(cfg.superset.admin_username_env)
        password = os.environ.get(cfg.superset.admin_password_env)
        if not user or not password:
            raise ConfigError(
                f"no Superset credentials for {env}",
                path=paths.rel(paths.env_config(env)),
                hint=(
                    f"export {cfg.superset.admin_username_env} and "
                    f"{cfg.superset.admin_password_env}, or {ACCESS_TOKEN_ENV}"
                ),
            )
        creds = Credentials(username=user, password=password)
    # a password login's token is kept for the next runs (superset/tokens.py)
    cache = TokenCache.default() if creds.username else None
    return SupersetClient(url or cfg.superset.url, creds, token_cache=cache)


def load_desired(paths: RepoPaths, env: str) -> list[Desired]:
    """Every provisioning file, resolved for ``env``; raises before any request is made."""
    cfg = load_env_config(paths, env)
    assets = (
        load_layout(paths.provisioning, paths.root, cache=paths.local / "provision" / "files.json")
        if paths.provisioning.is_dir()
        else []
    )
    base = cfg.vars.get(URL_BASE_VAR, "")
    return resolve(assets, variables_for(cfg), base)


def cache_for(paths: RepoPaths, env: str, client: SupersetClient) -> VerifiedCache:
    return VerifiedCache.load(paths.local / "provision" / f"{env}.json", client.url)


def prepare(
    paths: RepoPaths,
    env: str,
    client: SupersetClient,
    *,
    prune: bool = False,
    refresh: bool = False,
    force: bool = False,
    desired: list[Desired] | None = None,
) -> tuple[list[Desired], LiveState, Plan]:
    """Files, live state and the plan between them (read requests only).

    Unless ``refresh``, assets seen unchanged before (same file, same live ``changed_on``) are
    not exported again."""
    desired = desired if desired is not None else load_desired(paths, env)
    cache = None if refresh else cache_for(paths, env, client)
    if cache is None or prune or force:
        live = list_live(client)
        plan = make_plan(desired, live, prune=prune, client=client, cache=cache, force=force)
        if cache is not None:
            cache.set_fingerprint(None)
            cache.save()
        return desired, live, plan
    # taken before anything else is read: a change made meanwhile shows up next time
    seen = fingerprint(client)
    if seen == cache.fingerprint and all(d.uuid in cache.entries for d in desired):
        # nothing changed live since every asset was last verified: only files may differ
        live = from_cache(cache.entries)
        log.debug("live instance unchanged since the last full comparison")
    else:
        live = list_live(client)
    plan = make_plan(desired, live, client=client, cache=cache)
    # every entry was confirmed against what was read after `seen` was taken (or nothing
    # changed since): `seen` vouches for them next time
    everything_verified = all(d.uuid in cache.entries for d in desired)
    cache.set_fingerprint(seen if everything_verified else None)
    cache.save()
    return desired, live, plan


def plan_env(
    paths: RepoPaths,
    env: str,
    client: SupersetClient,
    *,
    prune: bool = False,
    refresh: bool = False,
    desired: list[Desired] | None = None,
) -> Plan:
    """What ``apply_env`` would do."""
    return prepare(paths, env, client, prune=prune, refresh=refresh, desired=desired)[2]


def apply_env(
    paths: RepoPaths,
    env: str,
    client: SupersetClient,
    *,
    prune: bool = False,
    refresh: bool = False,
    force: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
) -> ApplyResult:
    """Make the instance match the files: only changed assets are sent; nothing when none
    (``force``: send every asset, e.g. after rotating a database password).

    Where the environment is strict (``flags.strict_read_only``, prod), the database access
    model must pass ``db verify`` before anything is sent; a run with nothing to send does not
    connect to the database.
    """
    desired, live, plan = prepare(paths, env, client, prune=prune, refresh=refresh, force=force)
    return send_plan(paths, env, plan, desired, client, live, chunk_size=chunk_size)


def send_plan(
    paths: RepoPaths,
    env: str,
    plan: Plan,
    desired: list[Desired],
    client: SupersetClient,
    live: LiveState,
    *,
    chunk_size: int = DEFAULT_CHUNK,
) -> ApplyResult:
    """Send what ``plan`` (from :func:`prepare`) says, after the environment's gate: where it
    is strict (``flags.strict_read_only``), the database access model must pass ``db verify``
    first. The one way a plan reaches Superset, for ``apply_env`` and the CLI alike."""
    if plan.changed:
        from supersetctl.db.verify import gate_env  # psycopg only when something is sent

        gate_env(paths, env)
    return apply_plan(plan, desired, client, live, chunk_size=chunk_size)


def drift_env(paths: RepoPaths, env: str, client: SupersetClient) -> Plan:
    """Every difference between files and instance, assets made by hand included (always a
    full comparison: no cache)."""
    desired = load_desired(paths, env)
    live = read_live(client)
    return make_plan(desired, live, prune=True, unmanaged=True, client=client)


def export_env(
    paths: RepoPaths,
    env: str,
    client: SupersetClient,
    *,
    dashboards: list[str] | None = None,
) -> ExportResult:
    """Write the live assets (all, or the named dashboards with what they use) into files."""
    cfg = load_env_config(paths, env)
    live = read_live(client)
    contents = {a.uuid: a.data for a in live.assets.values() if a.data is not None}
    chart_uuids = live.chart_uuids()
    if dashboards:
        items = items_for_dashboards(contents, dashboards, chart_uuids)
    else:
        items = items_from_contents(contents)
    return write_layout(paths.root, paths.provisioning, items, chart_uuids, cfg, variables_for(cfg))


def import_bundle(paths: RepoPaths, source: Path, *, env: str = "dev") -> ExportResult:
    """Add a native Superset export (zip or folder, from the UI or the API) to the layout."""
    cfg = load_env_config(paths, env)
    files = read_path(source)
    contents = parse(files)
    if not contents:
        raise ConfigError("no Superset assets in this bundle", path=str(source))
    return write_layout(
        paths.root,
        paths.provisioning,
        items_from_contents(contents),
        {},
        cfg,
        variables_for(cfg),
    )

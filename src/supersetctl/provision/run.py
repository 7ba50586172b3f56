"""The provisioning runs: plan, apply, drift, export and import-bundle for one environment.

Each takes the :class:`~supersetctl.contract.environment.Environment` (loaded once by the
caller) and a :class:`~supersetctl.superset.SupersetClient`; long steps report to a
:class:`~supersetctl.progress.Progress`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supersetctl.contract.environment import Environment
from supersetctl.contract.models import db_var_prefix
from supersetctl.errors import ConfigError, SupersetAPIError
from supersetctl.fsutil import report_to
from supersetctl.progress import NO_PROGRESS, Progress
from supersetctl.superset import Credentials, SupersetClient, parse, read_path
from supersetctl.superset.tokens import TokenCache

from .access import KINDS as ACCESS_KINDS
from .access import AccessPrepared, export_env_access, prepare_access, send_access
from .access.run import load_files as load_access_files
from .apply import DEFAULT_CHUNK, apply_plan, refuse_conflicts
from .cache import VerifiedCache
from .export import (
    ExportResult,
    existing_layout,
    items_for_dashboards,
    items_from_contents,
    write_layout,
)
from .impact import attach as attach_impact
from .layout import KIND_ORDER, check_layout, load_layout
from .live import (
    LiveAsset,
    LiveState,
    attach,
    exported_assets,
    fetch_content,
    fill_managed,
    list_live,
)
from .model import ApplyResult, Desired, Plan
from .ownership import database_endpoint
from .planner import content_needed, database_of, desired_key, make_plan
from .rebundle import adopt_bundle
from .report import error_markdown, plan_markdown
from .resolve import resolve
from .variables import Variables

log = logging.getLogger(__name__)

ACCESS_TOKEN_ENV = "SUPERSET_ACCESS_TOKEN"
URL_BASE_VAR = "PROVISIONING_URL_BASE"


def variables_for(env: Environment) -> Variables:
    """``${VAR}`` values of ``env``: non-secret ones from config (``SUPERSETCTL_VAR_<NAME>``
    overrides ``<NAME>``), secrets from the environment's variables."""
    return Variables(
        env.values(), frozenset(env.config.secret_names()), env.environ, env.config_file
    )


def client_for(env: Environment) -> SupersetClient:
    """A client for ``env``: its URL, and either the access token in
    ``SUPERSET_ACCESS_TOKEN`` or the admin username/password variables its config names
    (a password login's token is kept for the next runs: superset/tokens.py)."""
    token = env.secret(ACCESS_TOKEN_ENV)
    if token:
        return SupersetClient(env.url, Credentials(access_token=token))
    names = env.config.superset
    user = env.environ.get(names.admin_username_env)
    password = env.secret(names.admin_password_env)
    if not user or not password:
        raise ConfigError(
            f"no Superset credentials for {env.name}",
            path=env.config_file,
            hint=f"export {names.admin_username_env} and {names.admin_password_env}, or "
            f"{ACCESS_TOKEN_ENV}",
        )
    cache = TokenCache.default(env.environ)
    return SupersetClient(env.url, Credentials(user, password), token_cache=cache)


def load_desired(env: Environment) -> list[Desired]:
    """Every provisioning file ``env`` does not exclude, checked for collisions and resolved
    for ``env``; raises before any request is made."""
    paths = env.paths
    if not paths.provisioning.is_dir():
        return []
    exclude = env.config.provisioning.exclude
    assets = load_layout(
        paths.provisioning,
        paths.root,
        cache=paths.local / "provision" / "files.json",
        exclude=exclude,
    )
    check_layout(assets)
    base = env.config.vars.get(URL_BASE_VAR, "")
    variables = variables_for(env)
    desired = resolve(assets, variables, base, env.owner)
    load_access_files(env, variables, assets)  # their rules too, before any request
    return desired


def _cache(env: Environment, client: SupersetClient) -> VerifiedCache:
    return VerifiedCache.load(env.paths.local / "provision" / f"{env.name}.json", client.url)


def owns_database(env: Environment) -> Callable[[LiveAsset], bool]:
    """Whether a live database is one of ``env``'s: Superset keeps no readable owner for
    databases, so a database is this repo's when its connection (host, port, name) is one
    ``config/<env>/`` declares."""
    values = env.values()
    mine = set()
    for key in env.config.databases:
        prefix = db_var_prefix(key)
        host = values.get(f"{prefix}_DB_HOST", "").lower()
        port = values.get(f"{prefix}_DB_PORT", "")
        mine.add((host, int(port) if port.isdigit() else None, values.get(f"{prefix}_DB_NAME")))

    def check(asset: LiveAsset) -> bool:
        uri = (asset.data or {}).get("sqlalchemy_uri")
        found = database_endpoint(uri) if isinstance(uri, str) else None
        return found is not None and (found in mine or (found[0], None, found[2]) in mine)

    return check


@dataclass
class Prepared:
    """Files, the live state and the plan between them."""

    desired: list[Desired]
    live: LiveState
    plan: Plan
    read: int = 0  # assets whose content this run read
    access: AccessPrepared | None = None  # roles, RLS rules, dashboards' access


def prepare(
    env: Environment,
    client: SupersetClient,
    *,
    prune: bool = False,
    unmanaged: bool = False,
    refresh: bool = False,
    force: bool = False,
    desired: list[Desired] | None = None,
    progress: Progress = NO_PROGRESS,
) -> Prepared:
    """Files, live state and the plan between them (read requests only).

    Every run lists every asset (id, key, ``changed_on``). Content is read for every file's
    asset the cache cannot vouch for (all of them with ``refresh``), and with ``prune`` or
    ``unmanaged`` for every asset without a file (to read its owner). The cache then holds
    exactly what this run proved equal (see :mod:`.cache`)."""
    desired = load_desired(env) if desired is None else desired
    cache = _cache(env, client)
    extras = prune or unmanaged
    quick = not (extras or refresh or force)  # --refresh trusts no hint either
    live = _read_live(client, cache, desired, quick=quick, progress=progress)
    keys = {d.uuid: desired_key(d, live) for d in desired}
    need = content_needed(desired, live, keys, None if refresh or force else cache, extras=extras)
    read = fetch_content(client, live, need, progress)
    if extras:
        wanted = {d.uuid for d in desired}
        fill_managed(
            client,
            (a for u, a in live.assets.items() if u not in wanted and a.marker is None),
            progress,
        )
    plan = make_plan(
        desired,
        live,
        owner=env.owner,
        prune=prune,
        unmanaged=unmanaged,
        force=force,
        owns_database=owns_database(env),
    )
    _record(cache, plan, live, keys)
    access = prepare_access(
        env,
        client,
        variables_for(env),
        [d.asset for d in desired],
        live,
        prune=prune,
        unmanaged=unmanaged,
    )
    if access is not None:
        plan.changes.extend(access.changes)
    attach_impact(plan, desired)
    return Prepared(desired, live, plan, read, access)


def _read_live(
    client: SupersetClient,
    cache: VerifiedCache,
    desired: list[Desired],
    *,
    quick: bool,
    progress: Progress,
) -> LiveState:
    """The instance, listed, with the content of this repo's datasets and databases (read on
    every run, see cache.py).

    While charts and dashboards are listed, the datasets are exported by the ids the last run
    saw (a hint, no proof). The export holds their databases too. When it comes back with every
    file's dataset and database, each under the key its file gives (table, database name),
    that content is the proof this run needs of them: existence, id, key and content, read
    now; the two lists of datasets and databases are then skipped (``quick``: never with
    ``refresh``, ``prune`` or ``drift``). Otherwise they are listed too, and the
    early content is used only for the datasets listed under the hinted ids."""
    hints = cache.hints.get("dataset", {})
    ids = sorted(set(hints.values()))
    with ThreadPoolExecutor(max_workers=1) as pool:
        early = pool.submit(client.export, "dataset", ids) if ids else None
        live = list_live(client, progress, kinds=("chart", "dashboard") if quick else KIND_ORDER)
        try:
            bundles = early.result() if early is not None else []
        except SupersetAPIError as exc:  # a hint is no proof: read them after the listing
            log.info("early dataset export failed (%s); reading after the listing", exc)
            bundles = []
    known = {**cache.hints.get("database", {}), **hints}
    whole = quick and bundles and _adopt_exported(live, bundles, known, desired)
    if quick and not whole:  # some dataset or database is new, moved or gone: list them
        listed = list_live(client, progress, kinds=("database", "dataset"))
        live.assets.update(listed.assets)
    if not whole:
        attach(live, bundles, lambda a, data: a.kind == "dataset" and hints.get(a.uuid) == a.id)
    cache.hint({kind: _ids_of(desired, live, kind) for kind in ("dataset", "database")})
    return live


def _ids_of(desired: list[Desired], live: LiveState, kind: str) -> dict[str, int]:
    return {
        d.uuid: live.assets[d.uuid].id for d in desired if d.kind == kind and d.uuid in live.assets
    }


def _adopt_exported(
    live: LiveState, bundles: list[bytes], hints: dict[str, int], desired: list[Desired]
) -> bool:
    """Put the exported datasets and databases into ``live`` when they are every file's, each
    under its file's key; else leave ``live`` as it is and say no."""
    found = {a.uuid: a for a in exported_assets(bundles, hints)}
    for d in desired:
        if d.kind in ("dataset", "database"):
            got = found.get(d.uuid)
            if got is None or got.kind != d.kind or got.ident != d.ident:
                return False
    live.assets.update(found)
    return True


def _record(cache: VerifiedCache, plan: Plan, live: LiveState, keys: dict[str, str]) -> None:
    """Keep what this run proved: an asset it read and found equal is remembered; one it
    found different, missing or in conflict is forgotten; one the cache vouched for stays."""
    for change in plan.changes:
        if change.uuid not in keys:
            continue
        current = live.assets.get(change.uuid)
        if change.action == "unchanged" and current is not None:
            if current.data is not None:
                cache.remember(
                    change.uuid, current.changed_on, keys[change.uuid], change.kind, current.id
                )
        else:
            cache.forget(change.uuid)
    cache.save()


def plan_env(
    env: Environment,
    client: SupersetClient,
    *,
    prune: bool = False,
    refresh: bool = False,
    progress: Progress = NO_PROGRESS,
) -> Plan:
    """What :func:`apply_env` would do."""
    return prepare(env, client, prune=prune, refresh=refresh, progress=progress).plan


def send_plan(
    env: Environment,
    prepared: Prepared,
    client: SupersetClient,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Progress = NO_PROGRESS,
) -> ApplyResult:
    """Send what ``prepared.plan`` says, after the environment's gate: where it is strict
    (``flags.strict_read_only``), the database access model must pass ``db verify`` first.
    The one way a plan reaches Superset, for :func:`apply_env` and the CLI alike."""
    plan = prepared.plan
    if plan.pending and not plan.conflicts:
        from supersetctl.db.verify import gate_env  # psycopg only when something is sent

        gate_env(env)
    refuse_conflicts(plan)  # an asset's or the access model's: nothing is sent
    assets = Plan([c for c in plan.changes if c.kind not in ACCESS_KINDS])
    result = apply_plan(
        assets, prepared.desired, client, prepared.live, chunk_size=chunk_size, progress=progress
    )
    result.plan = plan
    if prepared.access is not None:
        done = send_access(env, prepared.access, client)
        result.access = done.applied
        result.deleted.extend(done.deleted)
    return result


def apply_env(
    env: Environment,
    client: SupersetClient,
    *,
    prune: bool = False,
    refresh: bool = False,
    force: bool = False,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Progress = NO_PROGRESS,
) -> ApplyResult:
    """Make the instance match the files: only changed assets are sent; nothing when none
    (``force``: send every asset, e.g. after rotating a database password). Refuses a plan
    with conflicts (:class:`~supersetctl.provision.apply.ConflictError`) before sending."""
    prepared = prepare(env, client, prune=prune, refresh=refresh, force=force, progress=progress)
    return send_plan(env, prepared, client, chunk_size=chunk_size, progress=progress)


def drift_env(
    env: Environment, client: SupersetClient, *, progress: Progress = NO_PROGRESS
) -> Plan:
    """Every difference between files and instance, assets made by hand included (always a
    full comparison of content: the cache is not trusted, only updated)."""
    return prepare(env, client, prune=True, unmanaged=True, refresh=True, progress=progress).plan


def export_env(
    env: Environment,
    client: SupersetClient,
    *,
    dashboards: list[str] | None = None,
    progress: Progress = NO_PROGRESS,
) -> ExportResult:
    """Write the live assets (all, or the named dashboards with what they use) into files:
    the minimum (an asset equal to its file leaves it as it is). Assets another repo owns are
    left out (and counted in a warning): they belong in that repo's files."""
    live = list_live(client, progress)
    fetch_content(client, live, list(live.assets), progress)
    elsewhere = owned_elsewhere(env, live)
    contents = {
        a.uuid: a.data
        for a in live.assets.values()
        if a.data is not None and a.uuid not in elsewhere
    }
    chart_uuids = live.chart_uuids()
    if dashboards:
        items = items_for_dashboards(contents, dashboards, chart_uuids)
    else:
        items = items_from_contents(contents)
    paths = env.paths
    result = write_layout(
        paths.root, paths.provisioning, items, chart_uuids, env.config, variables_for(env)
    )
    if not dashboards:  # roles, RLS rules, dashboards' access: with a whole export only
        written, unchanged, warnings = export_env_access(env, client, variables_for(env), live)
        result.written.extend(written)
        result.unchanged.extend(unchanged)
        result.warnings.extend(warnings)
    if elsewhere:
        owners = sorted({m.owner for a in live.assets.values() if (m := a.marker)} - {env.owner})
        result.warnings.append(
            f"{len(elsewhere)} asset(s) another repo owns were left out"
            + (f" ({', '.join(owners)})" if owners else "")
        )
    return result


def owned_elsewhere(env: Environment, live: LiveState) -> set[str]:
    """The live assets whose marker names another owner, and the databases only such
    datasets use (databases carry no marker; as for prune, a database another owner's
    datasets use is not this repo's)."""
    out = {
        a.uuid for a in live.assets.values() if (m := a.marker) is not None and m.owner != env.owner
    }
    for db in live.of_kind("database"):
        users = [d.uuid for d in live.of_kind("dataset") if database_of(d) == db.uuid]
        if users and all(u in out for u in users):
            out.add(db.uuid)
    return out


def import_bundle(
    env: Environment, source: Path, *, rename: bool = False, replace: bool = False
) -> ExportResult:
    """Add a native Superset export (zip or folder, from the UI or the API) to the layout.

    An asset of the bundle whose slug, dataset identity or database name a file of another
    uuid holds is refused, unless ``rename`` (it comes in as a new asset with a new slug or
    name) or ``replace`` (its content goes into that file, under that file's uuid)."""
    if rename and replace:
        raise ConfigError("--rename and --replace exclude each other", hint="choose one")
    contents: dict[str, dict[str, Any]] = parse(read_path(source))
    items = items_from_contents(contents)
    if not items:
        raise ConfigError("no Superset assets in this bundle", path=str(source))
    paths = env.paths
    existing = existing_layout(paths.root, paths.provisioning)
    items = adopt_bundle(items, existing, source=str(source), rename=rename, replace=replace)
    return write_layout(
        paths.root,
        paths.provisioning,
        items,
        {},
        env.config,
        variables_for(env),
        existing=existing,
    )


__all__ = [
    "ACCESS_TOKEN_ENV",
    "DEFAULT_CHUNK",
    "Prepared",
    "apply_env",
    "client_for",
    "drift_env",
    "export_env",
    "import_bundle",
    "load_desired",
    "owns_database",
    "plan_env",
    "prepare",
    "send_plan",
    "variables_for",
]


def plan_report(
    env: Environment,
    markdown: Path | None = None,
    *,
    client: SupersetClient | None = None,
    **options: Any,
) -> Prepared:
    """:func:`prepare` (with a client of its own unless given one), and with ``markdown`` its
    plan as Markdown in that file (a pull request comment, a job summary). A plan that cannot
    be made (no credentials, Superset unreachable, a broken layout) writes its error there
    before raising, so the comment says why."""

    def make() -> Prepared:
        if client is not None:
            return prepare(env, client, **options)
        with client_for(env) as own:
            return prepare(env, own, **options)

    return report_to(
        markdown,
        make,
        lambda p: plan_markdown(env.name, p.plan, env.url),
        lambda message: error_markdown(env.name, message),
    )

"""The whole local stack: ``up``, ``down``, ``status``, ``logs``, ``reset``.

Everything lives under ``<repo>/.local/`` (gitignored)::

    .local/
      stack.json      what the last `up` started (ports, options): `down`/`status` read it
      seed.json       the day the seed data ends (the first `up`'s yesterday), so it stays put
      dev.env         0600: the variables the local stack's commands need (its secrets, the
                      metadata DB URL); every command with --env dev reads it
      venv/           the pinned Superset runtime (image/requirements.txt)
      postgres/       the PostgreSQL cluster: Superset's metadata DB and the Odoo database
      superset/       Superset's state: secret key, admin password (0600), logs, pid
      redis/          only with --with-redis

``up`` is idempotent: every step checks what exists and skips what is done, so a second ``up``
on a running stack only checks health, and ``up`` after ``down`` restarts the processes on the
data that is there. Steps after Superset is healthy (the database access model, provisioning)
come from other packages; see :data:`HOOKS`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from supersetctl import redact
from supersetctl.contract.environment import Environment, load_environment
from supersetctl.contract.models import EnvConfig, db_var_prefix
from supersetctl.errors import LocalStackError, UsageError
from supersetctl.fsutil import atomic_write
from supersetctl.local.hooks import HOOKS, HOOKS_BEFORE_SUPERSET, HookContext
from supersetctl.local.postgres import PostgresCluster, port_in_use
from supersetctl.local.process import exclusive
from supersetctl.local.python_support import problem
from supersetctl.local.redis import RedisServer
from supersetctl.local.runtime import Runtime, local_runtime, tail
from supersetctl.local.superset import (
    METADATA_PASSWORD_FILE,
    SupersetServer,
    SupersetSettings,
    metadata_url,
    provision_superset,
    read_or_create_secret,
)
from supersetctl.paths import RepoPaths

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
T = TypeVar("T")
COMPONENTS = ("postgres", "superset", "redis")
LOG_FILES = {
    "postgres": ("postgres", "log", "postgres.log"),
    "superset": ("superset", "superset.log"),
    "bootstrap": ("superset", "bootstrap.log"),
    "install": ("superset", "install.log"),
    "redis": ("redis", "redis.log"),
}
DEFAULT_REDIS_PORT = 6389


def _quiet(_: str) -> None:
    return None


class Timings:
    """The steps of an ``up``, each timed: ``timed(name, fn)`` runs ``fn`` and keeps
    ``(name, seconds)`` in ``steps``, the order ``UpResult`` reports them."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []

    def __call__(self, name: str, fn: Callable[[], T]) -> T:
        t0 = time.monotonic()
        out = fn()
        self.steps.append((name, time.monotonic() - t0))
        return out


@dataclass(frozen=True)
class StackSettings:
    """What ``up`` runs; defaults come from ``config/dev/environment.yaml``."""

    env: str = "dev"
    host: str = "127.0.0.1"
    superset_port: int = 8088
    pg_port: int = 54329
    odoo_database: str = "odoo_dev"
    seed: bool = True
    scale: int = 1
    workers: int = 1  # one process boots twice as fast on 2 cores; threads serve one user
    with_redis: bool = False
    redis_port: int = DEFAULT_REDIS_PORT


def settings_from_config(
    env: Environment,
    *,
    superset_port: int | None = None,
    pg_port: int | None = None,
    scale: int | None = None,
    workers: int | None = None,
    with_redis: bool = False,
    redis_port: int | None = None,
) -> StackSettings:
    """The settings for ``env`` (only dev runs locally), with command-line overrides."""
    if env.name != "dev":
        raise UsageError(
            f"the local stack runs the dev environment only (got '{env.name}')",
            hint="staging and prod run on DigitalOcean; use --env dev",
        )
    cfg = env.config
    url = urlsplit(cfg.superset.url)
    host = url.hostname or "127.0.0.1"
    if host not in ("127.0.0.1", "localhost"):
        raise UsageError(
            f"config/{env.name}/environment.yaml: superset.url {cfg.superset.url} "
            "is not on this machine",
            hint="the local stack binds 127.0.0.1",
        )
    db = primary_db(cfg)
    settings = StackSettings(
        env=env.name,
        host="127.0.0.1",
        superset_port=url.port or 8088,
        pg_port=db.port,
        odoo_database=db.database,
        seed=cfg.flags.seed_data,
    )
    changes: dict[str, Any] = {"with_redis": with_redis}
    for key, value in (
        ("superset_port", superset_port),
        ("pg_port", pg_port),
        ("scale", scale),
        ("workers", workers),
        ("redis_port", redis_port),
    ):
        if value is not None:
            changes[key] = value
    return replace(settings, **changes)


def primary_db(cfg: EnvConfig) -> Any:
    for db in cfg.databases.values():
        if db.primary:
            return db
    return next(iter(cfg.databases.values()))


@dataclass(frozen=True)
class Component:
    name: str
    state: str  # "up", "down"
    port: int | None
    pid: int | None
    health: str  # "ok", "error", "unreachable", "down", "-"
    detail: str = ""
    tls: bool | None = None  # whether it speaks TLS only (None: not said, the dev stack)


@dataclass
class UpResult:
    url: str
    admin_username: str
    admin_password_file: Path
    env_file: Path
    components: list[Component] = field(default_factory=list)
    steps: list[tuple[str, float]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["admin_password_file"] = str(self.admin_password_file)
        data["env_file"] = str(self.env_file)
        data["steps"] = [{"step": s, "seconds": round(t, 2)} for s, t in self.steps]
        data["seconds"] = round(self.seconds, 2)
        return data


# --- the stack ----------------------------------------------------------------------------------


class LocalStack:
    def __init__(
        self,
        paths: RepoPaths,
        settings: StackSettings | None = None,
        *,
        runtime: Runtime | None = None,
    ) -> None:
        self.paths = paths
        self.root = paths.local
        self._settings = settings
        self._runtime = runtime  # a runtime of its own (the bump's gate), not .local/runtime.json

    # where things are
    @property
    def record_file(self) -> Path:
        return self.root / "stack.json"

    @property
    def env_file(self) -> Path:
        return self.root / f"{self.settings.env}.env"

    @property
    def runtime(self) -> Runtime:
        """The Superset version the stack runs and its venv (:func:`local_runtime`)."""
        return self._runtime or local_runtime(self.paths)

    @property
    def venv(self) -> Path:
        """``.local/venv``, or ``$SUPERSETCTL_RUNTIME_VENV`` (share one runtime between clones)."""
        return self.runtime.venv

    @property
    def settings(self) -> StackSettings:
        if self._settings is None:
            self._settings = self.recorded() or settings_from_config(
                load_environment(self.paths, "dev")
            )
        return self._settings

    def recorded(self) -> StackSettings | None:
        try:
            data = json.loads(self.record_file.read_text(encoding="utf-8"))
            return StackSettings(**data)
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def cluster(self) -> PostgresCluster:
        return PostgresCluster(self.root / "postgres", port=self.settings.pg_port)

    def redis(self) -> RedisServer:
        return RedisServer(self.root / "redis", port=self.settings.redis_port)

    def server(self) -> SupersetServer:
        """A handle for status and stop (no metadata URL needed for those)."""
        s = self.settings
        return SupersetServer(
            SupersetSettings(
                venv=self.venv,
                config_path=self.paths.superset_config,
                state=self.root / "superset",
                metadata_url="",
                host=s.host,
                port=s.superset_port,
                env_name=s.env,
                workers=s.workers,
            )
        )

    def _lock(self) -> contextlib.AbstractContextManager[None]:
        return exclusive(self.root, "this stack")

    # the local secrets
    def local_environ(self, cfg: EnvConfig, cluster: PostgresCluster) -> dict[str, str]:
        """Every variable the local stack's commands need: the secrets config/<env> names
        (generated once, kept 0600), the metadata database (``backup``, ``restore``) and a
        server for scratch databases (``backup verify``)."""
        from supersetctl.ops.backup import METADATA_ENV  # the names ops reads
        from supersetctl.ops.restore import SCRATCH_ENV

        secrets_dir = self.root / "secrets"
        info = cluster.info()
        s = self.settings
        env: dict[str, str] = {
            cfg.superset.admin_username_env: "admin",
            cfg.superset.admin_password_env: read_or_create_secret(
                self.root / "superset" / "admin.password", nbytes=18
            ),
            cfg.access.admin_url_env: info.dsn(s.odoo_database),
            METADATA_ENV: metadata_url(cluster, self.root / "superset" / METADATA_PASSWORD_FILE),
            SCRATCH_ENV: info.dsn("postgres"),
        }
        for key, db in cfg.databases.items():
            env[db.password_env] = read_or_create_secret(
                secrets_dir / db.password_env.lower(), nbytes=18
            )
            if db.host in ("127.0.0.1", "localhost"):
                # `up --pg-port` may differ from the config: provisioning must see the real port
                env[f"SUPERSETCTL_VAR_{db_var_prefix(key)}_DB_PORT"] = str(info.port)
        for role in cfg.access.scoped_roles:
            env[role.password_env] = read_or_create_secret(
                secrets_dir / role.password_env.lower(), nbytes=18
            )
        for name, value in env.items():
            if name != cfg.superset.admin_username_env and not name.startswith("SUPERSETCTL_VAR_"):
                redact.register(value)
        for url in (env[cfg.access.admin_url_env], env[METADATA_ENV], env[SCRATCH_ENV]):
            redact.register_uri(url)
        return env

    def _write_env_file(self, env: dict[str, str]) -> None:
        lines = ["# Local dev secrets written by `supersetctl up` (0600, gitignored).\n"]
        lines += [f"{k}={shell_quote(v)}\n" for k, v in sorted(env.items())]
        atomic_write(self.env_file, "".join(lines), mode=0o600)

    # up
    def up(self, *, progress: Progress = _quiet, env: Environment | None = None) -> UpResult:
        """Start (or resume) the stack; ``env`` (the settings' environment, loaded when not
        given) is completed with the local variables for the steps after Superset is up."""
        started = time.monotonic()
        unsupported = problem(executable=sys.executable)  # before anything is built
        if unsupported:
            raise LocalStackError(unsupported, hint="run supersetctl with a supported Python")
        s = self.settings
        base = env or load_environment(self.paths, s.env)
        cfg = base.config
        timed = Timings()
        skipped: list[str] = []

        with self._lock():
            self._check_running_matches()
            self._check_ports()
            cluster = self.cluster()
            progress(f"PostgreSQL on {s.host}:{s.pg_port} (data in {self.paths.rel(cluster.base)})")
            timed("postgres", cluster.start)
            timed("odoo database", lambda: cluster.ensure_database(s.odoo_database))
            environ = self.local_environ(cfg, cluster)
            self._write_env_file(environ)
            redis_url: str | None = None
            if s.with_redis:
                redis = self.redis()
                progress(f"Redis on {s.host}:{s.redis_port}")
                timed("redis", redis.start)
                redis_url = redis.url
            server = timed(
                "superset",
                lambda: provision_superset(
                    venv=self.venv,
                    requirements=self.runtime.requirements,
                    config_path=self.paths.superset_config,
                    state=self.root / "superset",
                    cluster=cluster,
                    host=s.host,
                    port=s.superset_port,
                    env_name=s.env,
                    workers=s.workers,
                    admin_username=environ[cfg.superset.admin_username_env],
                    redis_url=redis_url,
                    progress=progress,
                ),
            )
            # record before the hooks: a failing hook leaves a stack `down` can stop
            atomic_write(self.record_file, json.dumps(asdict(s), indent=2, sort_keys=True) + "\n")
            local = replace(base.with_environ(environ), url_override=server.s.url)
            ctx = HookContext(self.paths, s, cluster, server, local, progress)
            for name, hook in (*HOOKS_BEFORE_SUPERSET, *HOOKS):
                why = timed(name, lambda hook=hook: hook(ctx))  # type: ignore[misc]
                if why:
                    skipped.append(f"{name}: {why}")
                    log.info("skipped %s: %s", name, why)
        return UpResult(
            url=server.s.url,
            admin_username=server.s.admin_username,
            admin_password_file=server.admin_password_file,
            env_file=self.env_file,
            components=self.status(),
            steps=timed.steps,
            skipped=skipped,
            seconds=time.monotonic() - started,
        )

    def _check_running_matches(self) -> None:
        """A running stack keeps its ports: changing them needs a `down` first."""
        before = self.recorded()
        s = self.settings
        if before is None or before == s:
            return
        running = LocalStack(self.paths, before)
        if not any(c.state == "up" for c in running.status()):
            return
        changed = [
            f"{name} {getattr(before, name)} -> {getattr(s, name)}"
            for name in ("superset_port", "pg_port", "workers", "with_redis", "redis_port")
            if getattr(before, name) != getattr(s, name)
        ]
        if changed:
            raise LocalStackError(
                f"the local stack already runs with other settings ({', '.join(changed)})",
                hint="run `supersetctl down` first, then `up` with the new settings",
            )

    def _check_ports(self) -> None:
        """Refuse early, before anything starts, when another program holds one of our ports."""
        s = self.settings
        wanted = [("PostgreSQL", s.pg_port, self.cluster().status().running)]
        wanted.append(("Superset", s.superset_port, self.server().pid() is not None))
        if s.with_redis:
            wanted.append(("Redis", s.redis_port, self.redis().pid() is not None))
        ports = [p for _, p, _ in wanted]
        if len(set(ports)) != len(ports):
            raise UsageError(f"the stack's ports must differ (got {ports})")
        for name, port, ours in wanted:
            if not ours and port_in_use(port, s.host):
                raise LocalStackError(
                    f"port {port} for {name} is already in use by another program",
                    hint="stop that program, or choose other ports: "
                    "`supersetctl up --port N --pg-port M`",
                )

    # down
    def down(self) -> list[str]:
        """Stop every component; data stays. Returns what was stopped."""
        stopped: list[str] = []
        with self._lock():
            if self.server().stop():
                stopped.append("superset")
            if self.redis().stop():
                stopped.append("redis")
            cluster = self.cluster()
            if cluster.status().initialized and cluster.stop():
                stopped.append("postgres")
        return stopped

    # status
    def status(self) -> list[Component]:
        out: list[Component] = []
        cluster = self.cluster()
        st = cluster.status()
        out.append(
            Component(
                "postgres",
                "up" if st.running else "down",
                st.port or self.settings.pg_port,
                st.pid,
                ("ok" if st.running else "down") if st.initialized else "-",
                "" if st.initialized else "not created",
            )
        )
        sst = self.server().status()
        out.append(
            Component(
                "superset",
                "up" if sst.running else "down",
                sst.port,
                sst.pid,
                sst.health,
                self.server().s.url,
            )
        )
        redis = self.redis()
        pid = redis.pid()
        if self.settings.with_redis or pid is not None:
            out.append(
                Component(
                    "redis",
                    "up" if pid else "down",
                    redis.port,
                    pid,
                    "ok" if pid else "down",
                    redis.url,
                )
            )
        return out

    # logs
    def log_file(self, component: str) -> Path:
        if component not in LOG_FILES:
            raise UsageError(
                f"unknown component '{component}'", hint=f"use one of: {', '.join(LOG_FILES)}"
            )
        return self.root.joinpath(*LOG_FILES[component])

    def logs(self, component: str | None = None, *, lines: int = 50) -> dict[str, str]:
        names = [component] if component else [c for c in LOG_FILES if c in COMPONENTS]
        return {name: tail(self.log_file(name), lines) for name in names}

    # reset
    def reset(self) -> bool:
        """Stop everything and delete ``.local/``; returns whether there was anything."""
        if not self.root.exists():
            return False
        from supersetctl.local.rehearsal import REHEARSED, Rehearsal  # it imports this module

        for env in REHEARSED:  # a rehearsal lives under .local/ too: stop it before deleting
            if (self.root / env).is_dir():
                Rehearsal(self.paths, env=env).down()
        self.down()
        shutil.rmtree(self.root)
        return True


def shell_quote(value: str) -> str:
    if value and all(c.isalnum() or c in "-_.:/@%+=" for c in value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"

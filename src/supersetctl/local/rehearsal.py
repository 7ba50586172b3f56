"""The production rehearsal: ``supersetctl up --env staging`` (``make rehearse``).

The same local processes as the dev stack, configured the way App Platform runs them from
``infra/superset/do-app-spec.yaml`` (:mod:`supersetctl.local.prodspec`): gunicorn with the
spec's flags, the Celery worker and beat, the PRE_DEPLOY job before the web service starts,
each with only the variables the spec and the env template name, ``SUPERSET_ENV=prod``.
PostgreSQL and Redis accept TLS only, with a certificate of a CA the rehearsal makes
(:mod:`supersetctl.local.tls`); the runtime gets that CA the way production gets
DigitalOcean's (``SUPERSET_CA_CERT``, bound to ``${metadata.CA_CERT}``) and verifies every
connection with it. Then the steps production runs after a deploy: the admin user (a job),
the access model with staging's masking, the strict read-only gate (``db verify``), and
provisioning. The database standing in for Odoo's staging database gets the seed data.

Everything lives under ``.local/staging/`` (its own ports, so the dev stack can run beside)::

    .local/staging/
      stack.json        what `up` started (ports)
      staging.env       0600: the variables the rehearsal's commands use (its secrets)
      tls/              the CA and the server certificate (see supersetctl.local.tls)
      postgres/         the cluster: metadata DB and the Odoo stand-in, TLS only
      redis/            redis-server, TLS only, with a password
      superset/         secret key, admin password, logs (superset = web, worker, beat,
                        bootstrap = the jobs), pid files, the CA file the runtime writes

The runtime venv is the dev stack's (``.local/venv`` or ``$SUPERSETCTL_RUNTIME_VENV``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from supersetctl import redact
from supersetctl.contract.environment import Environment
from supersetctl.contract.models import SSLMode
from supersetctl.errors import LocalStackError, UsageError
from supersetctl.fsutil import atomic_write
from supersetctl.local import prodspec
from supersetctl.local.postgres import PostgresCluster, port_in_use
from supersetctl.local.process import exclusive
from supersetctl.local.redis import RedisServer
from supersetctl.local.runtime import ensure_venv, run_logged, tail
from supersetctl.local.services import Service
from supersetctl.local.stack import Component, UpResult, primary_db, shell_quote
from supersetctl.local.standin import with_standin
from supersetctl.local.superset import (
    METADATA_DB,
    METADATA_PASSWORD_FILE,
    METADATA_ROLE,
    SupersetServer,
    SupersetSettings,
    ensure_metadata_database,
    read_or_create_secret,
)
from supersetctl.local.tls import TlsFiles
from supersetctl.paths import RepoPaths

Progress = Callable[[str], None]
REHEARSED = ("staging",)
CA_ENV = "SUPERSET_CA_CERT"
CA_FILE_ENV = "SUPERSET_CA_CERT_FILE"
LOG_FILES = {
    "postgres": ("postgres", "log", "postgres.log"),
    "redis": ("redis", "redis.log"),
    "web": ("superset", "superset.log"),
    "worker": ("superset", "worker.log"),
    "beat": ("superset", "beat.log"),
    "jobs": ("superset", "bootstrap.log"),
}


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class RehearsalSettings:
    """Ports of the rehearsal: not the dev stack's, so both can run at once."""

    env: str = "staging"
    host: str = "127.0.0.1"
    superset_port: int = 8098
    pg_port: int = 54339
    redis_port: int = 6399
    odoo_database: str = "odoo_staging"
    scale: int = 1


def rehearsal_settings(
    env: Environment,
    *,
    superset_port: int | None = None,
    pg_port: int | None = None,
    redis_port: int | None = None,
    scale: int | None = None,
) -> RehearsalSettings:
    """The settings for rehearsing ``env`` (staging), with command-line overrides."""
    if env.name not in REHEARSED:
        raise UsageError(
            f"only staging is rehearsed on this machine (got '{env.name}')",
            hint="`supersetctl up` runs dev; `supersetctl up --env staging` rehearses production",
        )
    base = RehearsalSettings(env=env.name, odoo_database=primary_db(env.config).database)
    given: dict[str, Any] = {"superset_port": superset_port, "pg_port": pg_port}
    given.update(redis_port=redis_port, scale=scale)
    return replace(base, **{k: v for k, v in given.items() if v is not None})


class Rehearsal:
    """The rehearsal stack of one environment under ``.local/<env>/``."""

    def __init__(
        self, paths: RepoPaths, settings: RehearsalSettings | None = None, env: str = "staging"
    ) -> None:
        self.paths = paths
        self.root = paths.local / (settings.env if settings else env)
        self._settings = settings
        self._server: SupersetServer | None = None

    # where things are
    @property
    def settings(self) -> RehearsalSettings:
        if self._settings is None:
            self._settings = self.recorded() or RehearsalSettings(env=self.root.name)
        return self._settings

    def recorded(self) -> RehearsalSettings | None:
        try:
            return RehearsalSettings(**json.loads((self.root / "stack.json").read_text()))
        except (FileNotFoundError, ValueError, TypeError):
            return None

    @property
    def env_file(self) -> Path:
        return self.root / f"{self.settings.env}.env"

    @property
    def venv(self) -> Path:
        override = os.environ.get("SUPERSETCTL_RUNTIME_VENV")
        return Path(override) if override else self.paths.local / "venv"

    @property
    def tls(self) -> TlsFiles:
        return TlsFiles(self.root / "tls")

    @property
    def state(self) -> Path:
        return self.root / "superset"

    @property
    def ca_file(self) -> Path:
        """Where the runtime writes the CA it is given (``SUPERSET_CA_CERT_FILE``)."""
        return self.state / "ca" / "ca.pem"

    def cluster(self) -> PostgresCluster:
        return PostgresCluster(self.root / "postgres", port=self.settings.pg_port, tls=self.tls)

    def redis(self, *, password: str | None = None) -> RedisServer:
        s = self.settings
        return RedisServer(self.root / "redis", port=s.redis_port, tls=self.tls, password=password)

    def redis_password(self) -> str:
        return read_or_create_secret(self.root / "redis" / "password", nbytes=24)

    @property
    def url(self) -> str:
        s = self.settings
        return f"https://{s.host}:{s.superset_port}"

    def http(self, *, timeout: float = 120.0) -> httpx.Client:
        """A client that trusts the rehearsal's CA (and nothing else): gunicorn serves HTTPS
        with its certificate, as App Platform's edge does with a public one."""
        import ssl

        ctx = ssl.create_default_context(cafile=str(self.tls.ca_file))
        return httpx.Client(timeout=timeout, verify=ctx)

    def server(self) -> SupersetServer:
        if self._server is None or (self._server.http is None and self.tls.ca_file.is_file()):
            self._server = self._make_server()
        return self._server

    def _make_server(self) -> SupersetServer:
        s = self.settings
        http = self.http(timeout=5) if self.tls.ca_file.is_file() else None
        return SupersetServer(
            SupersetSettings(
                venv=self.venv,
                config_path=self.paths.superset_config,
                state=self.state,
                metadata_url="",
                host=s.host,
                port=s.superset_port,
                env_name="prod",
                scheme="https",
            ),
            http=http,
        )

    def worker(self) -> Service:
        return Service("worker", self.state, " ready.")

    def beat(self) -> Service:
        return Service("beat", self.state, "beat: Starting...")

    def log_file(self, component: str) -> Path:
        if component not in LOG_FILES:
            raise UsageError(
                f"unknown component '{component}'", hint=f"use one of: {', '.join(LOG_FILES)}"
            )
        return self.root.joinpath(*LOG_FILES[component])

    def logs(self, component: str | None = None, *, lines: int = 50) -> dict[str, str]:
        names = [component] if component else ["web", "worker", "beat"]
        return {name: tail(self.log_file(name), lines) for name in names}

    def _lock(self) -> contextlib.AbstractContextManager[None]:
        return exclusive(self.root, "this rehearsal")

    # what the runtime gets
    def components(self) -> list[prodspec.RunComponent]:
        spec = prodspec.load_spec(self.paths.app_spec, self.paths.rel(self.paths.app_spec))
        s = self.settings
        return prodspec.run_components(
            spec,
            bind=f"{s.host}:{s.superset_port}",
            state=self.state,
            web_tls=(self.tls.cert_file, self.tls.key_file),
        )

    def bindings(self, cluster: PostgresCluster) -> dict[str, str]:
        """App Platform's bindable variables as they are here (the metadata URL in the form
        DigitalOcean gives it: ``sslmode=require``; the runtime makes it verify-full)."""
        info = cluster.info()
        password = read_or_create_secret(self.state / METADATA_PASSWORD_FILE, nbytes=24)
        ca = self.tls.ca_pem()
        meta = (
            f"postgresql://{METADATA_ROLE}:{quote(password, safe='')}@{info.host}:{info.port}/"
            f"{METADATA_DB}?sslmode=require"
        )
        redact.register_uri(meta)
        redis = self.redis(password=self.redis_password())
        redact.register_uri(redis.url)
        return {
            "metadata.DATABASE_URL": meta,
            "metadata.CA_CERT": ca,
            "metadata.HOSTNAME": info.host,
            "metadata.PORT": str(info.port),
            "metadata.USERNAME": METADATA_ROLE,
            "metadata.PASSWORD": password,
            "metadata.DATABASE": METADATA_DB,
            "cache.DATABASE_URL": redis.url,
            "cache.CA_CERT": ca,
            "APP_URL": self.url,
        }

    def runtime_env(self, comp: prodspec.RunComponent, bindings: dict[str, str]) -> dict[str, str]:
        """The environment of one component: what the spec and the env template name."""
        home = self.state / "home"
        home.mkdir(parents=True, exist_ok=True)
        template = self.paths.env_example.read_text(encoding="utf-8")
        process = dict(os.environ)
        process["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        return prodspec.component_env(
            comp,
            template_names=prodspec.template_names(template),
            bindings=bindings,
            secrets={"SUPERSET_SECRET_KEY": self.server().secret_key()},
            local={
                "SUPERSET_CONFIG_PATH": str(self.paths.superset_config),
                "SUPERSET_HOME": str(home),
                "PYTHONUNBUFFERED": "1",
                CA_FILE_ENV: str(self.ca_file),
            },
            process=process,
        )

    def local_environ(self, env: Environment, cluster: PostgresCluster) -> dict[str, str]:
        """The variables the rehearsal's own steps use (access model, gate, provisioning):
        staging's secret names, valued here; the CA file for the Odoo connection's
        ``sslrootcert`` as Superset reads it."""
        cfg = env.config
        secrets_dir = self.root / "secrets"
        out = {
            cfg.superset.admin_username_env: "admin",
            cfg.superset.admin_password_env: self.server().admin_password(),
            cfg.access.admin_url_env: cluster.info().dsn(self.settings.odoo_database),
            f"SUPERSETCTL_VAR_{CA_FILE_ENV}": str(self.ca_file),
        }
        for db in with_standin(cfg).databases.values():
            out[db.password_env] = read_or_create_secret(secrets_dir / db.password_env.lower())
        for role in cfg.access.scoped_roles:
            out[role.password_env] = read_or_create_secret(secrets_dir / role.password_env.lower())
        redact.register_uri(out[cfg.access.admin_url_env])
        return out

    def local_environment(self, env: Environment, environ: dict[str, str]) -> Environment:
        """``env`` as it runs here: its databases on the local cluster (same names, roles and
        TLS settings), a stand-in for the Supabase source unless it declares one
        (:mod:`.standin`), Superset at the local URL."""
        s = self.settings
        cfg = with_standin(env.config)  # the optional second source, standing in here
        dbs = {}
        for key, db in cfg.databases.items():
            update: dict[str, Any] = {"host": s.host, "port": s.pg_port}
            if not db.sslmode.encrypted:
                update["sslmode"] = SSLMode.require
            dbs[key] = db.model_copy(update=update)
        local_cfg = cfg.model_copy(update={"databases": dbs})
        return Environment(env.name, env.paths, local_cfg, environ, self.url)

    # up
    def up(self, env: Environment, *, progress: Progress = _quiet) -> UpResult:
        from supersetctl.local import rehearsal_steps

        return rehearsal_steps.up(self, env, progress)

    def check_running_matches(self) -> None:
        """A running rehearsal keeps its ports: changing them needs a `down` first."""
        before = self.recorded()
        if before is None or before == self.settings:
            return
        running = Rehearsal(self.paths, before)
        changed = [
            f"{name} {getattr(before, name)} -> {getattr(self.settings, name)}"
            for name in ("superset_port", "pg_port", "redis_port")
            if getattr(before, name) != getattr(self.settings, name)
        ]
        if changed and any(c.state == "up" for c in running.status()):
            raise LocalStackError(
                f"the rehearsal already runs with other settings ({', '.join(changed)})",
                hint=f"run `supersetctl down --env {before.env}` first, then `up` again",
            )

    def check_ports(self) -> None:
        s = self.settings
        wanted = [
            ("PostgreSQL", s.pg_port, self.cluster().status().running),
            ("Redis", s.redis_port, self.redis().pid() is not None),
            ("Superset", s.superset_port, self.server().pid() is not None),
        ]
        ports = [p for _, p, _ in wanted]
        if len(set(ports)) != len(ports):
            raise UsageError(f"the rehearsal's ports must differ (got {ports})")
        for name, port, ours in wanted:
            if not ours and port_in_use(port, s.host):
                raise LocalStackError(
                    f"port {port} for {name} is already in use by another program",
                    hint="stop that program, or choose other ports: `supersetctl up --env "
                    "staging --port N --pg-port M --redis-port R`",
                )

    def record(self) -> None:
        atomic_write(
            self.root / "stack.json",
            json.dumps(asdict(self.settings), indent=2, sort_keys=True) + "\n",
        )

    def write_env_file(self, environ: dict[str, str]) -> None:
        lines = [f"# The {self.settings.env} rehearsal's secrets (0600, gitignored).\n"]
        lines += [f"{k}={shell_quote(v)}\n" for k, v in sorted(environ.items())]
        atomic_write(self.env_file, "".join(lines), mode=0o600)

    def job_stamp(self, comp: prodspec.RunComponent) -> str:
        """What a job ran for: the runtime and its command (a new one runs it again)."""
        marker = self.venv / ".supersetctl-requirements.sha256"
        runtime = marker.read_text().strip() if marker.is_file() else ""
        return hashlib.sha256(f"{runtime}|{comp.command}".encode()).hexdigest()

    def ensure_metadata(self, cluster: PostgresCluster) -> None:
        ensure_metadata_database(cluster, self.state / METADATA_PASSWORD_FILE)

    def install(self, progress: Progress) -> None:
        ensure_venv(
            self.venv,
            self.paths.image / "requirements.txt",
            log_file=self.state / "install.log",
            progress=progress,
        )

    def run_job(self, name: str, argv: tuple[str, ...], env: dict[str, str]) -> None:
        run_logged(
            argv, env=env, log_file=self.server().bootstrap_log, what=f"job {name}", timeout=900
        )

    # down, status, reset
    def down(self) -> list[str]:
        stopped: list[str] = []
        if not self.root.is_dir():
            return stopped  # no rehearsal here (and none is made by asking)
        with self._lock():
            for name, stop in (
                ("beat", self.beat().stop),
                ("worker", self.worker().stop),
                ("web", self.server().stop),
                ("redis", self.redis().stop),
            ):
                if stop():
                    stopped.append(name)
            cluster = self.cluster()
            if cluster.status().initialized and cluster.stop():
                stopped.append("postgres")
        return stopped

    def status(self) -> list[Component]:
        s = self.settings
        tls = "TLS only (verify-full against .local CA)"
        cluster = self.cluster()
        st = cluster.status()
        pg_health = ("ok" if st.running else "down") if st.initialized else "-"
        out = [
            Component("postgres", "up" if st.running else "down", st.port or s.pg_port, st.pid,
                      pg_health, tls if st.initialized else "not created", tls=True),
        ]  # fmt: skip
        redis = self.redis()
        pid = redis.pid()
        out.append(
            Component("redis", "up" if pid else "down", s.redis_port, pid,
                      "ok" if pid else "down", f"{tls}, password", tls=True)
        )  # fmt: skip
        sst = self.server().status()
        out.append(
            Component("web", "up" if sst.running else "down", sst.port, sst.pid, sst.health,
                      f"gunicorn {self.server().s.url} (HTTPS: the edge)", tls=True)
        )  # fmt: skip
        for service, what in ((self.worker(), "celery worker"), (self.beat(), "celery beat")):
            pid = service.pid()
            health = "down" if pid is None else ("ok" if service.ready() else "starting")
            out.append(
                Component(service.name, "up" if pid else "down", None, pid, health,
                          f"{what} (broker rediss://)", tls=True)
            )  # fmt: skip
        return out

    def reset(self) -> bool:
        """Stop the rehearsal and delete ``.local/<env>/`` (the runtime venv stays)."""
        if not self.root.exists():
            return False
        self.down()
        shutil.rmtree(self.root)
        return True

    def log_tail(self, component: str, lines: int = 20) -> str:
        return tail(self.log_file(component), lines)

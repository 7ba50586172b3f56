"""The pinned Superset runtime: its venv, its metadata database, bootstrap and gunicorn.

The venv is installed from ``image/requirements.txt`` (hash-pinned, the same file the image
installs), and Superset reads ``image/superset_config.py`` (the same file the image ships), so
the local stack runs what production runs. Secrets this module generates (the Flask secret key,
the admin password, the metadata role's password) are written ``0600`` under the state folder
and registered for redaction; they are never logged.

Layout of ``state``::

    state/
      secret_key            0600  SUPERSET_SECRET_KEY
      guest_token_secret    0600  SUPERSET_GUEST_TOKEN_SECRET (embedded dashboards)
      admin.password        0600  the admin user's password
      bootstrap.json        which bootstrap steps are done (and for which requirements)
      gunicorn.pid          while it runs
      superset.log          gunicorn and Superset output (stdout logging)
      bootstrap.log         output of `superset db upgrade`, `fab create-admin`, `init`
      home/                 SUPERSET_HOME
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from supersetctl import pg, redact
from supersetctl.errors import LocalStackError
from supersetctl.fsutil import atomic_write
from supersetctl.local.postgres import PostgresCluster, port_in_use
from supersetctl.local.process import read_pid, terminate
from supersetctl.local.runtime import ensure_venv, run_logged, tail
from supersetctl.superset.health import HealthProbe, probe_health

log = logging.getLogger(__name__)

METADATA_DB = "superset"
METADATA_ROLE = "superset_meta"
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


# --- secrets in files ----------------------------------------------------------------------------


def read_or_create_secret(path: Path, *, nbytes: int = 32) -> str:
    """The secret in ``path`` (0600), generated on first use; registered for redaction."""
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        value = ""
    if not value:
        value = secrets.token_urlsafe(nbytes)
        atomic_write(path, value + "\n", mode=0o600)
    redact.register(value)
    return value


# --- the metadata database -----------------------------------------------------------------------


METADATA_PASSWORD_FILE = "metadata.password"  # in Superset's state folder


def metadata_url(cluster: PostgresCluster, password_file: Path) -> str:
    """The SQLAlchemy URL of the metadata database (its role's password generated once)."""
    password = read_or_create_secret(password_file, nbytes=24)
    info = cluster.info()
    return (
        f"postgresql+psycopg2://{METADATA_ROLE}:{password}@{info.host}:{info.port}/"
        f"{METADATA_DB}?sslmode=disable"
    )


def ensure_metadata_database(cluster: PostgresCluster, password_file: Path) -> str:
    """Create the metadata role and database when absent; returns the SQLAlchemy URL."""
    from psycopg import sql

    password = read_or_create_secret(password_file, nbytes=24)
    info = cluster.info()
    what = "could not create the metadata role"
    conninfo = info.conninfo("postgres")
    with pg.session(conninfo, what, autocommit=True, error=LocalStackError) as conn:
        role = sql.Identifier(METADATA_ROLE)
        exists = conn.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", (METADATA_ROLE,)
        ).fetchone()
        verb = sql.SQL("ALTER") if exists else sql.SQL("CREATE")
        conn.execute(
            sql.SQL("{} ROLE {} LOGIN PASSWORD {}").format(verb, role, sql.Literal(password))
        )
    cluster.ensure_database(METADATA_DB, owner=METADATA_ROLE)
    return metadata_url(cluster, password_file)


# --- the server ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupersetSettings:
    venv: Path
    config_path: Path
    state: Path
    metadata_url: str
    host: str = "127.0.0.1"
    port: int = 8088
    env_name: str = "dev"
    workers: int = 1
    threads: int = 8
    admin_username: str = "admin"
    redis_url: str | None = None
    scheme: str = "http"  # https: gunicorn ends TLS (the production rehearsal)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


@dataclass(frozen=True)
class SupersetStatus:
    running: bool
    pid: int | None
    port: int
    health: str  # "ok", "error" (503), "unreachable", "down"


class SupersetServer:
    """One gunicorn serving Superset; ``http`` (tests) sends the ``/health`` requests."""

    def __init__(self, settings: SupersetSettings, *, http: httpx.Client | None = None) -> None:
        self.s = settings
        self.http = http
        redact.register_uri(settings.metadata_url)

    # files
    @property
    def pid_file(self) -> Path:
        return self.s.state / "gunicorn.pid"

    @property
    def log_file(self) -> Path:
        return self.s.state / "superset.log"

    @property
    def bootstrap_log(self) -> Path:
        return self.s.state / "bootstrap.log"

    @property
    def admin_password_file(self) -> Path:
        return self.s.state / "admin.password"

    @property
    def stamp_file(self) -> Path:
        return self.s.state / "bootstrap.json"

    def secret_key(self) -> str:
        return read_or_create_secret(self.s.state / "secret_key", nbytes=42)

    def guest_token_secret(self) -> str:
        """Signs embedded dashboards' guest tokens (never the Flask key: docs/embedding.md)."""
        return read_or_create_secret(self.s.state / "guest_token_secret", nbytes=42)

    def admin_password(self) -> str:
        return read_or_create_secret(self.admin_password_file, nbytes=18)

    def environ(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SUPERSET_", "FLASK_", "REDIS_URL", "PYTHONPATH"))
        }
        home = self.s.state / "home"
        home.mkdir(parents=True, exist_ok=True)
        env.update(
            {
                "SUPERSET_CONFIG_PATH": str(self.s.config_path),
                "SUPERSET_ENV": self.s.env_name,
                "SUPERSET_SECRET_KEY": self.secret_key(),
                "SUPERSET_GUEST_TOKEN_SECRET": self.guest_token_secret(),
                "SUPERSET_METADATA_DB_URL": self.s.metadata_url,
                "SUPERSET_HOME": str(home),
                "FLASK_APP": "superset.app:create_app()",
                "PYTHONUNBUFFERED": "1",
                "PATH": f"{self.s.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            }
        )
        if self.s.redis_url:
            env["REDIS_URL"] = self.s.redis_url
        return env

    def _bin(self, name: str) -> str:
        path = self.s.venv / "bin" / name
        if not path.is_file():
            raise LocalStackError(
                f"{path} is missing: the Superset runtime is not installed",
                hint="`supersetctl up` installs it",
            )
        return str(path)

    # bootstrap
    def _stamps(self) -> dict[str, Any]:
        try:
            data = json.loads(self.stamp_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _mark(self, step: str, key: str) -> None:
        stamps = self._stamps()
        stamps[step] = key
        atomic_write(self.stamp_file, json.dumps(stamps, indent=2, sort_keys=True) + "\n")

    def bootstrap(self, *, progress: Progress = _quiet, force: bool = False) -> list[str]:
        """Migrate the metadata DB, create the admin user, run ``superset init``.

        Each step is recorded in ``bootstrap.json`` with the runtime and metadata DB it ran for,
        and skipped next time. Returns the steps that ran.
        """
        self.s.state.mkdir(parents=True, exist_ok=True)
        marker = (self.s.venv / ".supersetctl-requirements.sha256").read_text().strip()
        target = hashlib.sha256(
            f"{marker}|{redact.redact(self.s.metadata_url)}".encode()
        ).hexdigest()
        stamps = {} if force else self._stamps()
        env = self.environ()
        superset = self._bin("superset")
        ran: list[str] = []
        if stamps.get("db_upgrade") != target:
            progress("migrating the metadata database (superset db upgrade)")
            run_logged(
                [superset, "db", "upgrade"],
                env=env,
                log_file=self.bootstrap_log,
                what="superset db upgrade",
            )
            self._mark("db_upgrade", target)
            ran.append("db_upgrade")
        if stamps.get("admin") != target:
            progress(f"creating the admin user '{self.s.admin_username}'")
            self._create_admin(env, superset)
            self._mark("admin", target)
            ran.append("admin")
        if stamps.get("init") != target:
            progress("creating roles and permissions (superset init)")
            run_logged(
                [superset, "init"], env=env, log_file=self.bootstrap_log, what="superset init"
            )
            self._mark("init", target)
            ran.append("init")
        return ran

    def create_admin(self, env: Mapping[str, str]) -> None:
        """Create the admin user (or set the password we hold on an existing one) with the
        runtime's ``superset fab`` in environment ``env``; output in ``bootstrap.log``."""
        self._create_admin(env, self._bin("superset"))

    def _create_admin(self, env: Mapping[str, str], superset: str) -> None:
        password = self.admin_password()
        offset = self.bootstrap_log.stat().st_size if self.bootstrap_log.exists() else 0
        # The password goes through stdin (the prompt), never the command line.
        run_logged(
            [
                superset,
                "fab",
                "create-admin",
                "--username",
                self.s.admin_username,
                "--firstname",
                "Local",
                "--lastname",
                "Admin",
                "--email",
                f"{self.s.admin_username}@localhost.invalid",
            ],
            env=env,
            stdin=f"{password}\n{password}\n",
            log_file=self.bootstrap_log,
            what="superset fab create-admin",
        )
        with self.bootstrap_log.open(encoding="utf-8", errors="replace") as fh:
            fh.seek(offset)
            output = fh.read()
        if "created." in output:
            return
        if "already exists" not in output:
            raise LocalStackError(
                f"superset fab create-admin did not create the admin user:\n"
                f"{tail(self.bootstrap_log, 10)}",
                hint=f"the full output is in {self.bootstrap_log}",
            )
        # create-admin leaves an existing user alone: set the password we hold.
        run_logged(
            [superset, "fab", "reset-password", "--username", self.s.admin_username],
            env=env,
            stdin=f"{password}\n{password}\n",
            log_file=self.bootstrap_log,
            what="superset fab reset-password",
        )

    # process
    def pid(self) -> int | None:
        return read_pid(self.pid_file)

    def health(self, timeout: float = 3.0) -> HealthProbe:
        """``/health`` by the one probe (:mod:`supersetctl.superset.health`)."""
        if self.http is not None:
            return probe_health(self.s.url, self.http)
        return probe_health(self.s.url, timeout=timeout)

    def status(self) -> SupersetStatus:
        pid = self.pid()
        if pid is None:
            return SupersetStatus(False, None, self.s.port, "down")
        probe = self.health()
        if probe.healthy:
            state = "ok"
        elif probe.verdict == "unreachable":
            state = "unreachable"
        else:
            state = "error"
        return SupersetStatus(True, pid, self.s.port, state)

    def start(
        self,
        *,
        timeout: float = 240,
        progress: Progress = _quiet,
        argv: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> bool:
        """Start gunicorn unless it runs; wait until /health says OK. Returns whether it started.

        ``argv`` and ``env`` replace the dev stack's command and environment (the production
        rehearsal runs the app spec's command in the spec's environment)."""
        if self.pid() is not None:
            self.wait_healthy(timeout=timeout)
            return False
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()  # a stale one from a crash
        if port_in_use(self.s.port, self.s.host):
            raise LocalStackError(
                f"port {self.s.port} on {self.s.host} is already in use by another program",
                hint="stop it, or pick another port (`supersetctl up --port N`)",
            )
        progress(
            f"starting Superset ({' '.join(argv[:1])}, the app spec's command) on {self.s.url}"
            if argv is not None
            else f"starting Superset (gunicorn, {self.s.workers} worker(s) x "
            f"{self.s.threads} threads) on {self.s.url}"
        )
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        argv = (
            list(argv)
            if argv is not None
            else [
                self._bin("gunicorn"),
                "--workers",
                str(self.s.workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(self.s.threads),
                "--timeout",
                "120",
                "--bind",
                f"{self.s.host}:{self.s.port}",
                "--pid",
                str(self.pid_file),
                "--access-logfile",
                "-",
                "--error-logfile",
                "-",
                "--capture-output",
                "superset.app:create_app()",
            ]
        )
        with self.log_file.open("a", encoding="utf-8") as fh:
            fh.write(f"\n==> starting gunicorn on {self.s.url}\n")
            fh.flush()
            proc = subprocess.Popen(
                argv,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(env) if env is not None else self.environ(),
                cwd=self.s.state,
                start_new_session=True,
            )
        atomic_write(self.pid_file, f"{proc.pid}\n")
        progress("waiting for /health to answer OK")
        self.wait_healthy(timeout=timeout, proc=proc)
        return True

    def wait_healthy(
        self, *, timeout: float = 240, proc: subprocess.Popen[Any] | None = None
    ) -> None:
        deadline = time.monotonic() + timeout
        last: HealthProbe | None = None
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.pid_file.unlink()
                raise LocalStackError(
                    f"Superset exited (status {proc.returncode}) before it was healthy:\n"
                    f"{tail(self.log_file, 20)}",
                    hint=f"the full log is {self.log_file}",
                )
            last = self.health(timeout=2)
            if last.healthy:
                return
            time.sleep(0.5)
        raise LocalStackError(
            f"Superset did not report healthy within {timeout:.0f} s "
            f"(last answer: {last.detail if last else 'none'})",
            hint=f"see {self.log_file}",
        )

    def stop(self, *, timeout: float = 30) -> bool:
        """Stop gunicorn (TERM, then KILL after ``timeout``); returns whether it ran."""
        return terminate(self.pid_file, timeout=timeout, kill_group=True)


# --- everything at once (what `up` and the test fixture both run) -------------------------------


def provision_superset(
    *,
    venv: Path,
    requirements: Path,
    config_path: Path,
    state: Path,
    cluster: PostgresCluster,
    host: str = "127.0.0.1",
    port: int,
    env_name: str = "dev",
    workers: int = 1,
    admin_username: str = "admin",
    redis_url: str | None = None,
    progress: Progress = _quiet,
) -> SupersetServer:
    """Install the runtime, create the metadata DB, bootstrap, start and wait for health.

    ``cluster`` must be running. Every step is skipped when already done.
    """
    state.mkdir(parents=True, exist_ok=True)
    ensure_venv(venv, requirements, log_file=state / "install.log", progress=progress)
    progress("preparing the metadata database")
    url = ensure_metadata_database(cluster, state / METADATA_PASSWORD_FILE)
    server = SupersetServer(
        SupersetSettings(
            venv=venv,
            config_path=config_path,
            state=state,
            metadata_url=url,
            host=host,
            port=port,
            env_name=env_name,
            workers=workers,
            admin_username=admin_username,
            redis_url=redis_url,
        )
    )
    server.bootstrap(progress=progress)
    server.start(progress=progress)
    return server

"""A PostgreSQL cluster in a folder, run from the system's server binaries.

The cluster listens on ``127.0.0.1:<port>`` only (no Unix socket, so the folder may be anywhere
and the socket path length never matters). Authentication is ``scram-sha-256`` on loopback with a
generated superuser password, stored ``0600`` next to the data folder: the same password-based
login the deployed databases use, and it lets other roles (the read-only BI roles) log in with
their own passwords.

Layout of ``base``::

    base/
      data/                 PGDATA, owned by the user the server runs as
      log/postgres.log      the server log
      superuser.password    0600, owned by the invoking user
      data.partial/         only while ``initdb`` runs; a leftover one is removed and redone

``initdb`` refuses to run as root. When invoked as root, every server command runs as an
unprivileged user (``postgres`` by default, through ``runuser -u USER --``) and the folders it
writes are handed to that user; every parent folder must be traversable by it.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from supersetctl import pg, redact
from supersetctl.errors import LocalStackError
from supersetctl.fsutil import atomic_write
from supersetctl.local.process import pid_alive
from supersetctl.pg import PostgresBinaries, find_binaries

if TYPE_CHECKING:
    from supersetctl.local.tls import TlsFiles

log = logging.getLogger(__name__)

SUPERUSER = "postgres"
DEFAULT_RUN_USER = "postgres"


@dataclass(frozen=True)
class PostgresInfo:
    """How to reach a running cluster as its superuser."""

    host: str
    port: int
    superuser: str
    password: str = field(repr=False)
    ca_file: str | None = None  # a TLS-only cluster: clients verify it against this CA

    @property
    def ssl_params(self) -> dict[str, str]:
        """``sslmode`` (and ``sslrootcert``): ``verify-full`` against the CA, else disabled."""
        if self.ca_file:
            return {"sslmode": "verify-full", "sslrootcert": self.ca_file}
        return {"sslmode": "disable"}

    def conninfo(self, dbname: str = "postgres") -> str:
        """A libpq key=value string (what ``psycopg.connect`` takes)."""
        pw = self.password.replace("\\", "\\\\").replace("'", "\\'")
        ssl = " ".join(f"{k}='{v}'" for k, v in self.ssl_params.items())
        return (
            f"host={self.host} port={self.port} dbname={dbname} "
            f"user={self.superuser} password='{pw}' {ssl}"
        )

    def dsn(self, dbname: str = "postgres", *, driver: str | None = None) -> str:
        """A URL: ``postgresql://`` (libpq) or ``postgresql+<driver>://`` (SQLAlchemy)."""
        scheme = "postgresql" if driver is None else f"postgresql+{driver}"
        return (
            f"{scheme}://{quote(self.superuser, safe='')}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/{quote(dbname, safe='')}?{urlencode(self.ssl_params)}"
        )


@dataclass(frozen=True)
class ClusterStatus:
    initialized: bool
    running: bool
    pid: int | None
    port: int | None


# --- ports --------------------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could not bind ``host:port`` (a listener holds it; TIME_WAIT is fine)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            return exc.errno in (errno.EADDRINUSE, errno.EACCES)
        return False


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --- running as an unprivileged user ------------------------------------------------------------


def default_run_user() -> str | None:
    """``None`` (run as ourselves), or as root ``postgres`` (or ``$SUPERSETCTL_PG_USER``)."""
    if os.geteuid() != 0:
        return None
    return os.environ.get("SUPERSETCTL_PG_USER", DEFAULT_RUN_USER)


class PostgresCluster:
    """One PostgreSQL cluster under ``base``; every method is safe to call again."""

    def __init__(
        self,
        base: Path,
        *,
        port: int,
        host: str = "127.0.0.1",
        run_as: str | None = "auto",
        binaries: PostgresBinaries | None = None,
        tls: TlsFiles | None = None,
    ) -> None:
        self.base = Path(base).absolute()
        self.tls = tls
        self.port = port
        self.host = host
        self.run_as = default_run_user() if run_as == "auto" else run_as
        self._binaries = binaries

    # paths
    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def log_dir(self) -> Path:
        return self.base / "log"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.base / "superuser.password"

    @property
    def binaries(self) -> PostgresBinaries:
        if self._binaries is None:
            self._binaries = find_binaries()
        return self._binaries

    # helpers
    def _uid_gid(self) -> tuple[int, int] | None:
        if self.run_as is None:
            return None
        try:
            pw = pwd.getpwnam(self.run_as)
        except KeyError:
            raise LocalStackError(
                f"PostgreSQL refuses to run as root and the user '{self.run_as}' does not exist",
                hint="create it (`useradd --system postgres`) or set SUPERSETCTL_PG_USER",
            ) from None
        return pw.pw_uid, pw.pw_gid

    def _cmd(self, argv: Sequence[str]) -> list[str]:
        if self.run_as is None:
            return list(argv)
        runuser = shutil.which("runuser")
        if runuser:
            return [runuser, "-u", self.run_as, "--", *argv]
        sudo = shutil.which("sudo")
        if sudo:
            return [sudo, "-u", self.run_as, "--", *argv]
        raise LocalStackError(
            "running as root needs `runuser` or `sudo` to start PostgreSQL as an unprivileged user",
            hint="install util-linux, or run supersetctl as a normal user",
        )

    def _run(
        self, argv: Sequence[str], *, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        cmd = self._cmd(argv)
        log.debug("running %s", " ".join(cmd))
        try:
            return subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=self.base,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise LocalStackError(
                f"{Path(argv[0]).name} did not finish in {timeout:.0f} s"
            ) from exc

    def _give(self, path: Path) -> None:
        ids = self._uid_gid()
        if ids is not None:
            os.chown(path, *ids)

    def _check_reachable(self) -> None:
        if self.run_as is None:
            return
        probe = self._run(["test", "-x", str(self.base)], timeout=10)
        if probe.returncode != 0:
            raise LocalStackError(
                f"the user '{self.run_as}' cannot reach {self.base}",
                hint="every parent folder must be traversable by that user (chmod o+x), "
                "or use a folder outside a private home directory",
            )

    def read_password(self) -> str:
        try:
            value = self.password_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise LocalStackError(
                f"{self.password_file} is missing: the cluster in {self.base} cannot be reached",
                hint="`supersetctl reset` removes the local stack so `up` can rebuild it",
            ) from None
        redact.register(value)
        return value

    def info(self) -> PostgresInfo:
        ca = str(self.tls.ca_file) if self.tls else None
        return PostgresInfo(self.host, self.port, SUPERUSER, self.read_password(), ca)

    # lifecycle
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file() and self.password_file.is_file()

    def init(self) -> bool:
        """Create the cluster when absent; returns whether it did. Redoes a half-finished one."""
        if self.initialized():
            return False
        if self.data_dir.exists() and not self.password_file.is_file():
            raise LocalStackError(
                f"{self.data_dir} exists but its superuser password file is missing",
                hint="`supersetctl reset` (or delete the folder) to start over",
            )
        binaries = self.binaries
        self.base.mkdir(parents=True, exist_ok=True)
        self.base.chmod(0o755 if self.run_as else 0o700)
        self._check_reachable()
        partial = self.base / "data.partial"
        if partial.exists():
            log.info("removing a half-finished cluster in %s", partial)
            shutil.rmtree(partial)
        partial.mkdir(mode=0o700)
        self._give(partial)
        self.log_dir.mkdir(exist_ok=True)
        self._give(self.log_dir)
        password = secrets.token_urlsafe(24)
        redact.register(password)
        pwfile = self.base / ".initdb.pw"
        atomic_write(pwfile, password + "\n", mode=0o600)
        try:
            self._give(pwfile)
            result = self._run(
                [
                    binaries.path("initdb"),
                    "-D",
                    str(partial),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-instructions",
                ]
            )
        finally:
            with contextlib.suppress(FileNotFoundError):
                pwfile.unlink()
        if result.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            raise LocalStackError(
                f"initdb failed: {redact.redact(result.stderr.strip()[-800:])}",
            )
        conf = partial / "postgresql.conf"
        with conf.open("a", encoding="utf-8") as fh:
            fh.write(
                "\n# written by supersetctl: loopback TCP only, no Unix socket\n"
                f"listen_addresses = '{self.host}'\n"
                "unix_socket_directories = ''\n"
                "fsync = on\n"
                "max_connections = 100\n"
                "shared_buffers = 128MB\n"
                "log_line_prefix = '%m [%p] %q%u@%d '\n"
            )
        atomic_write(self.password_file, password + "\n", mode=0o600)
        partial.rename(self.data_dir)
        log.info("initialised PostgreSQL %s cluster in %s", binaries.version, self.data_dir)
        return True

    def _pid_file(self) -> tuple[int | None, int | None]:
        try:
            lines = (self.data_dir / "postmaster.pid").read_text(encoding="utf-8").splitlines()
        except (FileNotFoundError, PermissionError):
            return None, None
        pid = int(lines[0]) if lines and lines[0].strip().isdigit() else None
        port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None
        return pid, port

    def status(self) -> ClusterStatus:
        if not (self.data_dir / "PG_VERSION").is_file():
            return ClusterStatus(False, False, None, None)
        pid, port = self._pid_file()
        running = pid is not None and pid_alive(pid)
        return ClusterStatus(True, running, pid if running else None, port if running else None)

    def start(self, *, timeout: float = 60) -> PostgresInfo:
        """Initialise when needed and start; returns the connection info. Already running: no-op."""
        self.init()
        st = self.status()
        if st.running:
            if st.port != self.port:
                raise LocalStackError(
                    f"PostgreSQL in {self.base} already runs on port {st.port}, not {self.port}",
                    hint="stop it first (`supersetctl down`)",
                )
            return self.info()
        if self.tls is not None:
            self._configure_tls(self.tls)
        if port_in_use(self.port, self.host):
            raise LocalStackError(
                f"port {self.port} on {self.host} is already in use by another program",
                hint="stop that program, or choose another port (--pg-port, or "
                "databases.odoo.port in config/dev/environment.yaml)",
            )
        result = self._run(
            [
                self.binaries.path("pg_ctl"),
                "start",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(int(timeout)),
                "-o",
                f"-p {self.port}",
            ],
            timeout=timeout + 10,
        )
        if result.returncode != 0:
            tail = self.log_tail(20)
            raise LocalStackError(
                f"PostgreSQL did not start on port {self.port}: "
                f"{redact.redact((result.stderr or result.stdout).strip()[-400:])}\n{tail}",
                hint=f"the full log is {self.log_file}",
            )
        info = self.info()
        self._wait_accepting(timeout)
        log.info("PostgreSQL listens on %s:%s", self.host, self.port)
        return info

    def _configure_tls(self, tls: TlsFiles) -> None:
        """TLS only, like a managed cluster: the CA-signed certificate, and a pg_hba that
        accepts ``hostssl`` connections alone (a plain one is refused before any password)."""
        for src, name in ((tls.cert_file, "server.crt"), (tls.key_file, "server.key")):
            target = self.data_dir / name
            atomic_write(target, src.read_text(encoding="ascii"), mode=0o600)
            self._give(target)
        files = {
            "supersetctl-tls.conf": "# written by supersetctl: TLS only\n"
            "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
            "ssl_min_protocol_version = 'TLSv1.2'\n",
            "pg_hba.conf": "# written by supersetctl: TLS connections only, passwords\n"
            f"hostssl all all {self.host}/32 scram-sha-256\n"
            "hostnossl all all 0.0.0.0/0 reject\n",
        }
        for name, text in files.items():
            atomic_write(self.data_dir / name, text, mode=0o600)
            self._give(self.data_dir / name)
        conf = self.data_dir / "postgresql.conf"
        include = "include_if_exists = 'supersetctl-tls.conf'"
        if include not in conf.read_text(encoding="utf-8"):
            with conf.open("a", encoding="utf-8") as fh:
                fh.write(f"\n{include}\n")

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if port_open(self.port, self.host):
                return
            time.sleep(0.1)
        raise LocalStackError(f"PostgreSQL started but does not accept connections on {self.port}")

    def stop(self, *, timeout: float = 60, mode: str = "fast") -> bool:
        """Stop the server; returns whether it was running."""
        if not self.status().running:
            return False
        result = self._run(
            [
                self.binaries.path("pg_ctl"),
                "stop",
                "-D",
                str(self.data_dir),
                "-m",
                mode,
                "-w",
                "-t",
                str(int(timeout)),
            ],
            timeout=timeout + 10,
        )
        if result.returncode != 0 and self.status().running:
            raise LocalStackError(
                f"PostgreSQL in {self.base} did not stop: {result.stderr.strip()[-400:]}"
            )
        return True

    def destroy(self) -> None:
        """Stop and delete everything under ``base``."""
        with contextlib.suppress(LocalStackError):
            self.stop(mode="immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def log_tail(self, lines: int = 50) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except (FileNotFoundError, PermissionError):
            return ""
        return redact.redact("\n".join(text.splitlines()[-lines:]))

    def ensure_database(self, name: str, *, owner: str | None = None) -> bool:
        """Create database ``name`` when absent; returns whether it did."""
        from psycopg import sql

        conninfo = self.info().conninfo("postgres")
        what = f"could not create database {name}"
        with pg.session(conninfo, what, autocommit=True, error=LocalStackError) as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if row.fetchone():
                return False
            stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if owner:
                stmt = sql.SQL("{} OWNER {}").format(stmt, sql.Identifier(owner))
            conn.execute(stmt)
            return True

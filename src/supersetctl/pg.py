"""PostgreSQL for the whole library: its binaries, connection strings and connections.

- Binaries: :func:`find_binaries` finds the server (``initdb``, ``pg_ctl``, ``postgres``) the
  local stack runs, honouring ``SUPERSETCTL_PG_BINDIR``; :func:`client_binary` finds a client
  (``pg_dump``, ``pg_restore``, ``psql``), the newest installed; :func:`run` runs one with the
  connection in its environment (passwords never reach a command line, where ``ps`` shows them).
- Connection strings: :func:`parse_url` (a URL, SQLAlchemy's ``postgresql+driver://`` too, or
  ``key=value``), :func:`dsn`, :func:`describe` (``user@host:port/db``, no password).
- Connections: :func:`connect` opens one, :func:`translated` turns the psycopg errors of a block
  into a typed error, :func:`session` is both; every message is redacted. :func:`try_connect`
  is a login probe that reports instead of raising.

psycopg is imported where it is used: importing this module (the local stack's ``status``
does) stays cheap.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supersetctl.errors import ConfigError, DatabaseError, LocalStackError, SupersetctlError
from supersetctl.redact import redact, register, register_uri

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

# --- binaries -----------------------------------------------------------------------------------

BINDIR_ENV = "SUPERSETCTL_PG_BINDIR"
MIN_VERSION = 14
PREFERRED_VERSION = 15
SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
INSTALL_HINT = (
    "install the PostgreSQL server: Debian/Ubuntu `apt-get install postgresql-15`, "
    f"macOS `brew install postgresql@15`; or set {BINDIR_ENV} to the folder holding "
    "initdb and pg_ctl"
)
CLIENT_HINT = "install the PostgreSQL client (postgresql-client)"


@dataclass(frozen=True)
class PostgresBinaries:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, and their major version."""

    bindir: Path
    version: int

    def path(self, name: str) -> str:
        return str(self.bindir / name)


def _version_of(bindir: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(bindir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    return int(m.group(1)) if m else None


def _candidate_dirs() -> list[Path]:
    dirs: list[Path] = []
    env_dir = os.environ.get(BINDIR_ENV)
    if env_dir:
        dirs.append(Path(env_dir))
    which = shutil.which("pg_ctl")
    if which:
        dirs.append(Path(which).resolve().parent)
    globs = (
        "/usr/lib/postgresql/*/bin",
        "/usr/pgsql-*/bin",
        "/opt/homebrew/opt/postgresql@*/bin",
        "/usr/local/opt/postgresql@*/bin",
        "/opt/homebrew/opt/postgresql/bin",
        "/usr/local/opt/postgresql/bin",
    )
    for pattern in globs:
        root = Path("/")
        dirs.extend(sorted(root.glob(pattern.lstrip("/")), reverse=True))
    dirs.extend(Path(p) for p in ("/opt/homebrew/bin", "/usr/local/bin"))
    seen: set[Path] = set()
    unique: list[Path] = []
    for d in dirs:
        if d not in seen:
            seen.add(d)
            unique.append(d)
    return unique


def find_binaries(candidates: Sequence[Path] | None = None) -> PostgresBinaries:
    """The PostgreSQL server binaries to use, preferring version 15, else the newest >= 14.

    Looks at ``SUPERSETCTL_PG_BINDIR``, ``PATH``, ``/usr/lib/postgresql/*/bin`` (Debian, Ubuntu),
    ``/usr/pgsql-*/bin`` (RPM) and the Homebrew folders. None found: a
    :class:`~supersetctl.errors.LocalStackError` saying what to install.
    """
    found: list[PostgresBinaries] = []
    for d in candidates if candidates is not None else _candidate_dirs():
        if not all(
            (d / name).is_file() and os.access(d / name, os.X_OK) for name in SERVER_BINARIES
        ):
            continue
        version = _version_of(d)
        if version is not None and version >= MIN_VERSION:
            found.append(PostgresBinaries(d.resolve(), version))
    if not found:
        raise LocalStackError(
            f"no PostgreSQL server binaries (initdb, pg_ctl, postgres; version {MIN_VERSION}+) "
            "found on PATH or in the usual locations",
            hint=INSTALL_HINT,
        )
    for b in found:
        if b.version == PREFERRED_VERSION:
            return b
    return max(found, key=lambda b: b.version)


def client_binary(name: str) -> str:
    """A PostgreSQL client binary: the newest under /usr/lib/postgresql, else from PATH (a
    ``pg_dump`` must be at least as new as the server it dumps)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if not found:
        raise ConfigError(f"{name} not found", hint=CLIENT_HINT)
    return found


# --- connection strings -------------------------------------------------------------------------

ConnInfo = dict[str, str]

_ENV_OF = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def parse_url(url: str) -> ConnInfo:
    """libpq parameters from a URL (also SQLAlchemy's ``postgresql+psycopg2://``) or a
    ``key=value`` string; the password is registered as a secret."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    text = re.sub(r"^postgres(ql)?\+[a-z0-9_]+://", "postgresql://", url.strip())
    register_uri(text)
    try:
        params = conninfo_to_dict(text)
    except psycopg.ProgrammingError as exc:
        raise ConfigError(redact(f"not a PostgreSQL URL: {exc}")) from None
    out = {k: str(v) for k, v in params.items() if v is not None}
    register(out.get("password"))
    return out


def dsn(info: Mapping[str, str]) -> str:
    """A libpq ``key=value`` string from parameters."""
    from psycopg.conninfo import make_conninfo

    return make_conninfo(**info)


def describe(info: Mapping[str, str]) -> str:
    """``user@host:port/db`` for messages (no password)."""
    return (
        f"{info.get('user', '')}@{info.get('host', 'localhost')}:"
        f"{info.get('port', '5432')}/{info.get('dbname', '')}"
    )


def pg_env(info: Mapping[str, str]) -> dict[str, str]:
    """The process environment without ``PG*`` variables, plus those of ``info``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, value in info.items():
        var = _ENV_OF.get(key)
        if var:
            env[var] = value
    return env


def run(cmd: Sequence[str], info: Mapping[str, str], *, what: str) -> str:
    """Run a PostgreSQL client binary with the connection in its environment; its stdout."""
    log.debug("running %s", " ".join(cmd))
    proc = subprocess.run(list(cmd), env=pg_env(info), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise DatabaseError(redact(f"{what} failed (exit {proc.returncode}): {tail}"))
    return proc.stdout


# --- connections --------------------------------------------------------------------------------

CONNECT_TIMEOUT = 15  # seconds


def _target(conninfo: str | Mapping[str, str]) -> str:
    return conninfo if isinstance(conninfo, str) else dsn(conninfo)


def connect(
    conninfo: str | Mapping[str, str],
    *,
    autocommit: bool = False,
    timeout: int = CONNECT_TIMEOUT,
    failure: str | None = None,
    error: type[SupersetctlError] = DatabaseError,
) -> psycopg.Connection[Any]:
    """A connection to ``conninfo`` (a libpq string or URL, or :func:`parse_url` parameters).

    A refusal raises ``error`` (a :class:`DatabaseError` unless told), its message
    ``"<failure>: <reason>"`` redacted; ``failure`` defaults to ``cannot connect to
    user@host:port/db`` for parameters, ``cannot connect`` for a string.
    """
    import psycopg

    try:
        return psycopg.connect(_target(conninfo), autocommit=autocommit, connect_timeout=timeout)
    except psycopg.Error as exc:
        if failure is None:
            where = "" if isinstance(conninfo, str) else f" to {describe(conninfo)}"
            failure = f"cannot connect{where}"
        raise error(redact(f"{failure}: {exc}")) from None


@contextmanager
def translated(failure: str, *, error: type[SupersetctlError] = DatabaseError) -> Iterator[None]:
    """Inside the block, a psycopg error becomes ``error("<failure>: <reason>")``, redacted.

    Other errors (a typed one raised on purpose inside) pass unchanged.
    """
    import psycopg

    try:
        yield
    except psycopg.Error as exc:
        raise error(redact(f"{failure}: {exc}")) from None


@contextmanager
def session(
    conninfo: str | Mapping[str, str],
    failure: str,
    *,
    autocommit: bool = False,
    timeout: int = CONNECT_TIMEOUT,
    error: type[SupersetctlError] = DatabaseError,
) -> Iterator[psycopg.Connection[Any]]:
    """:func:`connect` and :func:`translated` with one message: a failure to connect, in the
    block or at its commit is ``error("<failure>: <reason>")``. The connection commits when the
    block ends, rolls back when it raises, and is closed."""
    with (
        translated(failure, error=error),
        connect(
            conninfo, autocommit=autocommit, timeout=timeout, failure=failure, error=error
        ) as conn,
    ):
        yield conn


def try_connect(
    conninfo: str | Mapping[str, str], *, autocommit: bool = False
) -> tuple[psycopg.Connection[Any] | None, str]:
    """A login probe: ``(connection, "")``, or ``(None, why)`` when the server refuses (the
    first line of its reason, redacted)."""
    import psycopg

    try:
        conn = psycopg.connect(
            _target(conninfo), autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT
        )
    except psycopg.OperationalError as exc:
        return None, redact((str(exc).splitlines() or [""])[0])
    return conn, ""

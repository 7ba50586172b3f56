"""A scratch Superset beside the local stack, to show the "before" of a change.

It is the dev stack's own, copied: its metadata database is dumped into a new database of the
same cluster (``pg_dump | psql``, online: the dev Superset keeps running), and a second
gunicorn of the same runtime venv serves it on a free port with the stack's secret key (the
copied database holds values encrypted with it) and the same admin login. The caller then
applies the base's provisioning files to it. Everything goes when the block ends, on failure
and on Ctrl-C too: the server is stopped, the database dropped, the state folder deleted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supersetctl import pg
from supersetctl.contract.environment import Environment
from supersetctl.errors import LocalStackError, UsageError
from supersetctl.fsutil import atomic_write
from supersetctl.local.postgres import free_port
from supersetctl.local.process import pid_alive, terminate
from supersetctl.local.stack import LocalStack
from supersetctl.local.superset import (
    METADATA_DB,
    METADATA_PASSWORD_FILE,
    METADATA_ROLE,
    SupersetServer,
    SupersetSettings,
    metadata_url,
)
from supersetctl.progress import NO_PROGRESS, Progress
from supersetctl.redact import redact

log = logging.getLogger(__name__)

SCRATCH_PREFIX = "superset_preview_"  # then the pid of the supersetctl that made it
STATE_PREFIX = "supersetctl-preview-"


@dataclass(frozen=True)
class Scratch:
    url: str
    database: str
    seconds: float = 0.0


def _copy_database(conninfo: dict[str, str], source: str, target: str) -> None:
    """``pg_dump source | psql target`` as the cluster's superuser."""
    env = pg.pg_env(conninfo)
    dump = subprocess.Popen(
        [pg.client_binary("pg_dump"), "--no-password", "--dbname", source],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        load = subprocess.run(
            [
                pg.client_binary("psql"),
                "--no-password",
                "--quiet",
                "--no-psqlrc",
                "-v",
                "ON_ERROR_STOP=1",
                "--dbname",
                target,
            ],
            stdin=dump.stdout,
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
    finally:
        if dump.stdout is not None:
            dump.stdout.close()
        dump_err = dump.stderr.read().decode(errors="replace") if dump.stderr else ""
        dump.wait()
    if dump.returncode != 0 or load.returncode != 0:
        why = (dump_err.strip() or load.stderr.strip()).splitlines()[-3:]
        raise LocalStackError(
            redact(f"could not copy the metadata database into {target}: " + " ".join(why))
        )


def _drop(conninfo: dict[str, str], name: str) -> None:
    from psycopg import sql

    what = f"could not drop the scratch database {name}"
    with pg.session(conninfo, what, autocommit=True, error=LocalStackError) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _owner(name: str) -> int | None:
    """The pid of the supersetctl that made a scratch database or state folder."""
    head = name.split("_")[2:3] if name.startswith(SCRATCH_PREFIX) else name.split("-")[2:3]
    return int(head[0]) if head and head[0].isdigit() else None


def sweep(conninfo: dict[str, str]) -> list[str]:
    """Remove what a run killed before it could clean up left: scratch servers and state
    folders, and scratch databases, of supersetctl processes that are gone."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(STATE_PREFIX + "*"):
        pid = _owner(folder.name)
        if pid is not None and not pid_alive(pid):
            terminate(folder / "gunicorn.pid", timeout=10, kill_group=True)
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(str(folder))
    with pg.session(conninfo, "cannot list databases", error=LocalStackError) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (SCRATCH_PREFIX + "%",)
        ).fetchall()
    for (name,) in rows:
        pid = _owner(str(name))
        if pid is not None and not pid_alive(pid):
            _drop(conninfo, str(name))
            removed.append(str(name))
    return removed


def leftovers(env: Environment) -> list[str]:
    """Scratch databases an interrupted run left in the local stack's cluster."""
    cluster = LocalStack(env.paths).cluster()
    info = cluster.info()
    with pg.session(
        info.conninfo("postgres"), "cannot list databases", error=LocalStackError
    ) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY 1",
            (SCRATCH_PREFIX + "%",),
        ).fetchall()
    return [str(r[0]) for r in rows]


def running_venv(pid: int, default: Path) -> Path:
    """The venv of the running gunicorn ``pid`` (``<venv>/bin/gunicorn`` is in its command
    line), so the scratch server runs exactly what the stack runs; ``default`` without
    /proc."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return default
    for arg in argv[:3]:
        path = Path(arg.decode(errors="replace"))
        if path.name == "gunicorn" and path.parent.name == "bin" and path.is_file():
            return path.parent.parent
    return default


@contextlib.contextmanager
def scratch_superset(env: Environment, *, progress: Progress = NO_PROGRESS) -> Iterator[Scratch]:
    """A copy of the running dev stack's Superset on a free port, gone when the block ends."""
    import time

    started = time.monotonic()
    stack = LocalStack(env.paths)
    live = stack.server()
    pid = live.pid()
    if env.name != "dev" or pid is None:
        raise UsageError(
            f"the 'before' of --changed-since is made from the local stack, and it is not "
            f"running for {env.name}",
            hint="run `make up` (dev), or show the base from another instance with "
            "--before-url URL",
        )
    cluster = stack.cluster()
    info = cluster.info()
    su = {
        "host": info.host,
        "port": str(info.port),
        "user": info.superuser,
        "password": info.password,
        **info.ssl_params,
        "dbname": "postgres",
    }
    venv = running_venv(pid, live.s.venv)
    if not (venv / "bin" / "gunicorn").is_file():
        raise LocalStackError(
            f"{venv}/bin/gunicorn is missing: cannot start a second Superset",
            hint="the runtime the stack runs: `supersetctl up` installs it",
        )
    for gone in sweep(su):
        log.info("removed %s, left by an interrupted preview", gone)
    name = f"{SCRATCH_PREFIX}{os.getpid()}_{secrets.token_hex(3)}"
    state = Path(tempfile.mkdtemp(prefix=f"{STATE_PREFIX}{os.getpid()}-"))
    server: SupersetServer | None = None
    created = False
    previous = _stop_on_sigterm()
    try:
        progress.phase(f"copying the metadata database into {name}")
        created = cluster.ensure_database(name, owner=METADATA_ROLE)
        _copy_database(su, METADATA_DB, name)
        base_url = metadata_url(cluster, stack.root / "superset" / METADATA_PASSWORD_FILE)
        url = base_url.replace(f"/{METADATA_DB}?", f"/{name}?", 1)
        key = (stack.root / "superset" / "secret_key").read_text(encoding="utf-8").strip()
        atomic_write(state / "secret_key", key + "\n", mode=0o600)
        server = SupersetServer(
            SupersetSettings(
                venv=venv,
                config_path=env.paths.superset_config,
                state=state,
                metadata_url=url,
                host=live.s.host,
                port=free_port(live.s.host),
                env_name=live.s.env_name,
                workers=1,
                admin_username=live.s.admin_username,
            )
        )
        progress.phase(f"starting a scratch Superset on {server.s.url}")
        server.start()
        yield Scratch(server.s.url, name, time.monotonic() - started)
    finally:
        if server is not None:
            server.stop()
        if created:
            try:
                _drop(su, name)
            except LocalStackError as exc:  # the run's own error matters more
                log.warning("%s", exc)
        shutil.rmtree(state, ignore_errors=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stop_on_sigterm() -> Any:
    """Make SIGTERM (a cancelled CI job, ``kill``) unwind like Ctrl-C, so the scratch server
    and database go; returns the handler to put back (None off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, stop)

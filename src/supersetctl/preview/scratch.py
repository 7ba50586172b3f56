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
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from supersetctl import pg
from supersetctl.contract.environment import Environment
from supersetctl.errors import LocalStackError, UsageError
from supersetctl.fsutil import atomic_write
from supersetctl.local.postgres import free_port
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

SCRATCH_PREFIX = "superset_preview_"


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


@contextlib.contextmanager
def scratch_superset(env: Environment, *, progress: Progress = NO_PROGRESS) -> Iterator[Scratch]:
    """A copy of the running dev stack's Superset on a free port, gone when the block ends."""
    import time

    started = time.monotonic()
    stack = LocalStack(env.paths)
    live = stack.server()
    if env.name != "dev" or live.pid() is None:
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
    name = SCRATCH_PREFIX + secrets.token_hex(4)
    state = Path(tempfile.mkdtemp(prefix="supersetctl-preview-"))
    server: SupersetServer | None = None
    created = False
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
                venv=live.s.venv,
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

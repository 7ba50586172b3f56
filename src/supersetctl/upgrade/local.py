"""The local stack as an upgrade :class:`~supersetctl.upgrade.procedure.Target`.

Each Superset version runs from its own runtime venv (:mod:`supersetctl.local.runtime`); the
stack's PostgreSQL keeps running throughout. Switching stops gunicorn and installs the other
version's venv when it is missing; the migrations are the runtime's bootstrap (``superset db
upgrade``, the admin user, ``superset init``); starting waits for ``/health``. The version the
stack runs is recorded (``.local/runtime.json``) once the new one has started, and put back on
a roll back, so ``up``, ``down`` and ``status`` follow it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from supersetctl.contract.environment import Environment
from supersetctl.errors import LocalStackError
from supersetctl.local.runtime import (
    Runtime,
    ensure_venv,
    local_runtime,
    runtime_for,
    select_local_runtime,
)
from supersetctl.local.stack import LocalStack
from supersetctl.local.superset import (
    METADATA_DB,
    METADATA_PASSWORD_FILE,
    SupersetServer,
    metadata_url,
)

from .checks import ChartReport, chart_queries
from .metadata import MetadataBackup, UpgradeFailed, restore, revision, take_backup

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


class LocalTarget:
    """The running local stack of ``env`` (dev); ``health_timeout`` bounds each start."""

    def __init__(
        self,
        stack: LocalStack,
        env: Environment,
        *,
        health_timeout: float = 180.0,
        progress: Progress = _quiet,
    ) -> None:
        self.stack = stack
        self.progress = progress
        self.health_timeout = health_timeout
        cluster = stack.cluster()
        if not cluster.status().running or stack.server().pid() is None:
            raise LocalStackError(
                "the local stack is not running", hint="`supersetctl up` starts it first"
            )
        self.cluster = cluster
        environ = stack.local_environ(env.config, cluster)
        self.runtime: Runtime = local_runtime(stack.paths)
        self.env = replace(env.with_environ(environ), url_override=stack.server().s.url)
        self._metadata_url = metadata_url(cluster, stack.root / "superset" / METADATA_PASSWORD_FILE)

    # what runs
    def version(self) -> str:
        return self.runtime.version

    def server(self) -> SupersetServer:
        handle = self.stack.server()
        return SupersetServer(
            replace(handle.s, venv=self.runtime.venv, metadata_url=self._metadata_url)
        )

    def _superuser(self) -> dict[str, str]:
        info = self.cluster.info()
        return {
            "host": info.host,
            "port": str(info.port),
            "user": info.superuser,
            "password": info.password,
            "dbname": METADATA_DB,
            "sslmode": "disable",
        }

    def revision(self) -> str | None:
        return revision(self._superuser())

    # the steps
    def backup(self) -> MetadataBackup:
        return take_backup(self.env)

    def switch(self, version: str) -> None:
        runtime = runtime_for(self.stack.paths, version)
        self.server().stop()
        state = self.stack.root / "superset"
        ensure_venv(
            runtime.venv,
            runtime.requirements,
            log_file=state / "install.log",
            progress=self.progress,
        )
        self.runtime = runtime

    def migrate(self) -> None:
        self.server().bootstrap(progress=self.progress, force=True)

    def start(self) -> None:
        self.server().start(timeout=self.health_timeout, progress=self.progress)
        select_local_runtime(self.stack.paths, self.runtime.version, upgrading=True)

    def plan_changes(self) -> int:
        from supersetctl.provision.run import client_for, plan_env

        with client_for(self.env) as client:
            plan = plan_env(self.env, client)
        return len(plan.pending)

    def charts(self) -> ChartReport:
        from supersetctl.provision.run import client_for

        with client_for(self.env) as client:
            return chart_queries(client)

    def restore(self, backup: MetadataBackup) -> str | None:
        self.server().stop()
        return restore(backup, self._superuser())


__all__ = ["LocalTarget", "UpgradeFailed"]

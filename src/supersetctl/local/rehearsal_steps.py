"""The steps of ``up --env staging``, in the order production runs them.

1. the CA and the server certificate; PostgreSQL and Redis, TLS only;
2. the metadata database and the Odoo stand-in (seed data: staging's real data is not here);
3. the runtime; the PRE_DEPLOY job (the spec's ``run_command``) before the web service;
4. ``create-admin``, a job (production runs it once, with the admin secrets);
5. web (gunicorn), the Celery worker and beat, each from the spec;
6. the access model (staging's masking), the strict read-only gate (``db verify``),
   provisioning, then the check of every chart and dataset (what the pipeline runs after a
   deploy).

Each step skips what is done: on a running rehearsal ``up`` only checks; after ``down`` it
starts the processes on the data that is there. A job runs again when the runtime or its
command changed (a new image would run it on deploy).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from supersetctl.contract.environment import Environment
from supersetctl.errors import LocalStackError
from supersetctl.fsutil import atomic_write
from supersetctl.local import prodspec, standin
from supersetctl.local.python_support import problem
from supersetctl.local.services import Service
from supersetctl.local.stack import Timings, UpResult

if TYPE_CHECKING:
    from supersetctl.local.rehearsal import Rehearsal
    from supersetctl.superset.client import SupersetClient

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


def up(r: Rehearsal, env: Environment, progress: Progress) -> UpResult:
    started = time.monotonic()
    unsupported = problem(executable=sys.executable)
    if unsupported:
        raise LocalStackError(unsupported, hint="run supersetctl with a supported Python")
    s = r.settings
    timed = Timings()
    skipped: list[str] = []

    with r._lock():
        r.check_running_matches()
        r.check_ports()
        r.record()  # before anything starts: `down` finds what a failed `up` left running
        _, made = timed("ca", lambda: _ca(r))
        if made and (r.cluster().status().running or r.redis().pid() is not None):
            raise LocalStackError(
                "the rehearsal's CA was renewed while its servers run",
                hint="`supersetctl down --env staging`, then `up --env staging` again",
            )
        cluster = r.cluster()
        progress(f"PostgreSQL on {s.host}:{s.pg_port}, TLS only (data in {r.root.name}/postgres)")
        timed("postgres", cluster.start)
        timed("odoo database", lambda: cluster.ensure_database(s.odoo_database))
        timed("metadata database", lambda: r.ensure_metadata(cluster))
        environ = r.local_environ(env, cluster)
        r.write_env_file(environ)
        local = r.local_environment(env, {**env.environ, **environ})
        if not standin.declares_source(env.config):
            password = environ[standin.PASSWORD_ENV]
            timed("supabase stand-in", lambda: standin.ensure_standin(cluster, password))
        why = timed("seed", lambda: _seed(r, cluster, progress))
        if why:
            skipped.append(f"seed: {why}")
        progress(f"Redis on {s.host}:{s.redis_port}, TLS only, with a password")
        redis = r.redis(password=r.redis_password())
        timed("redis", redis.start)
        timed("runtime", lambda: r.install(progress))
        components = r.components()
        (r.state / "tmp").mkdir(parents=True, exist_ok=True)  # the spec's /tmp, moved here
        bindings = r.bindings(cluster)
        server = r.server()
        web_running = server.pid() is not None
        jobs = prodspec.pick(components, "job")
        for job in jobs:
            why = timed(f"job {job.name}", partial(_job, r, job, bindings, web_running, progress))
            if why:
                skipped.append(f"job {job.name}: {why}")
        admin_env = r.runtime_env(jobs[0] if jobs else components[0], bindings)
        why = timed("job create-admin", lambda: _admin(r, admin_env, progress))
        if why:
            skipped.append(f"job create-admin: {why}")
        services = [c for c in components if c.role in ("worker", "beat")]
        for comp in services:  # they boot while the web service does
            _start_service(r, comp, bindings, progress)
        for comp in prodspec.pick(components, "web"):
            env_web = r.runtime_env(comp, bindings)
            timed("web", partial(r.server().start, progress=progress, argv=comp.argv, env=env_web))
        for comp in services:
            timed(comp.role, _service(r, comp).wait_ready)
        for name, step in (("access", _access), ("read-only gate", _gate),
                           ("provision", _provision), ("check", _check)):  # fmt: skip
            why = timed(name, partial(step, r, local, progress))
            if why:
                skipped.append(f"{name}: {why}")
    return UpResult(
        url=server.s.url,
        admin_username=server.s.admin_username,
        admin_password_file=server.admin_password_file,
        env_file=r.env_file,
        components=r.status(),
        steps=timed.steps,
        skipped=skipped,
        seconds=time.monotonic() - started,
    )


def _ca(r: Rehearsal) -> tuple[Any, bool]:
    from supersetctl.local.tls import ensure_ca

    return ensure_ca(r.tls.folder)


def _seed(r: Rehearsal, cluster: Any, progress: Progress) -> str | None:
    from supersetctl.db import seed
    from supersetctl.local.hooks import seed_end_date

    conninfo = cluster.info().conninfo(r.settings.odoo_database)
    if seed.seeded_end_date(conninfo) is not None:
        return "seed data already there"
    progress(f"filling {r.settings.odoo_database} (the Odoo stand-in) with seed data")
    seed.seed_database(
        conninfo, scale=r.settings.scale, end_date=seed_end_date(r.paths, seeded=None)
    )
    return None


def _stamps(r: Rehearsal) -> dict[str, str]:
    try:
        data = json.loads((r.state / "jobs.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _mark(r: Rehearsal, name: str, value: str) -> None:
    stamps = _stamps(r)
    stamps[name] = value
    atomic_write(r.state / "jobs.json", json.dumps(stamps, indent=2, sort_keys=True) + "\n")


def _job(
    r: Rehearsal,
    job: prodspec.RunComponent,
    bindings: dict[str, str],
    web_running: bool,
    progress: Progress,
) -> str | None:
    stamp = r.job_stamp(job)
    if _stamps(r).get(job.name) == stamp:
        return "ran for this runtime already"
    if web_running:
        return "the web service runs: a job runs before it starts (down, then up)"
    progress(f"job {job.name} (PRE_DEPLOY): {job.command}")
    r.run_job(job.name, job.argv, r.runtime_env(job, bindings))
    _mark(r, job.name, stamp)
    return None


def _admin(r: Rehearsal, env: dict[str, str], progress: Progress) -> str | None:
    if _stamps(r).get("create-admin") == "done":
        return "the admin user exists"
    progress("job create-admin: the admin user provisioning logs in as")
    r.server().create_admin(env)
    _mark(r, "create-admin", "done")
    return None


def _service(r: Rehearsal, comp: prodspec.RunComponent) -> Service:
    return r.worker() if comp.role == "worker" else r.beat()


def _start_service(
    r: Rehearsal, comp: prodspec.RunComponent, bindings: dict[str, str], progress: Progress
) -> None:
    if _service(r, comp).start(comp.argv, env=r.runtime_env(comp, bindings), cwd=r.state):
        progress(f"starting {comp.name}: {comp.command}")


def _access(_: Rehearsal, env: Environment, progress: Progress) -> str | None:
    from supersetctl.db.access import apply_env

    progress("applying the analytics views and read-only roles" +
             (" (masking on)" if env.config.flags.masking else ""))  # fmt: skip
    apply_env(env)
    return None


def _gate(_: Rehearsal, env: Environment, progress: Progress) -> str | None:
    from supersetctl.db.verify import gate_env

    if not env.strict:
        return "strict_read_only is off"
    progress("the read-only gate: db verify must pass before provisioning")
    gate_env(env)
    return None


def _admin_client(r: Rehearsal, env: Environment) -> SupersetClient:
    """A client of the web component, logged in as the admin the create-admin job made."""
    from supersetctl.superset.client import Credentials, SupersetClient

    names = env.config.superset
    user = env.environ[names.admin_username_env]
    creds = Credentials(user, env.require(names.admin_password_env, why="the admin login"))
    return SupersetClient(env.url, creds, http=r.http())


def _provision(r: Rehearsal, env: Environment, progress: Progress) -> str | None:
    from supersetctl import provision

    if not any(p.is_file() for p in env.paths.provisioning.rglob("*.yaml")):
        return "nothing to provision under infra/superset/provisioning/"
    progress("provisioning databases, datasets and dashboards")
    with _admin_client(r, env) as client:
        provision.apply_env(env, client)
    return None


def _check(r: Rehearsal, env: Environment, progress: Progress) -> str | None:
    """Every provisioned chart's query through the web component, every dataset probed as
    the read-only role over TLS: what the promotion pipeline runs after a deploy."""
    from supersetctl import check
    from supersetctl.local.hooks import raise_on_broken

    if not any(p.is_file() for p in env.paths.provisioning.rglob("*.yaml")):
        return "nothing provisioned to check"
    progress("checking every chart's query and every dataset against the data")
    with _admin_client(r, env) as client:
        raise_on_broken(check.check_env(env, client), env.name, env.url)
    return None

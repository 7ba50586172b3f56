"""`supersetctl up --env staging`: production rehearsed on this machine, with real servers.

One cold rehearsal per module on a scratch copy of the repo (free ports, the shared test
runtime): TLS-only PostgreSQL and Redis from the rehearsal's CA, the app spec's web, Celery
worker and beat, the PRE_DEPLOY job, the read-only gate and provisioning. Then what it must
prove: plain and wrongly-trusting connections are refused, the runtime verifies with the CA it
is given (and refuses a wrong one), the worker runs tasks (an async SQL Lab query; beat's
reports.scheduler), `status` lists every component, `down` and `up` again.
About 2.5 minutes on 2 cores (a cold `up` ~50 s, beat's first tick up to 60 s).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from supersetctl.cli import main
from supersetctl.contract.environment import read_env_file
from supersetctl.local import prodspec
from supersetctl.local.postgres import free_port
from supersetctl.local.redis import find_redis_server
from supersetctl.local.rehearsal import Rehearsal
from supersetctl.paths import RepoPaths
from tests.support.helpers import copy_repo
from tests.support.postgres import _scratch, postgres_binaries
from tests.support.tls import make_certs

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@dataclass(frozen=True)
class Staging:
    repo: Path
    ports: dict[str, int]
    venv: Path
    scratch: Path

    @property
    def paths(self) -> RepoPaths:
        return RepoPaths(self.repo)

    @property
    def root(self) -> Path:
        return self.repo / ".local" / "staging"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.ports['web']}"

    @property
    def ca(self) -> Path:
        return self.root / "tls" / "ca.pem"

    def up_args(self) -> list[str]:
        p = self.ports
        return ["up", "--env", "staging", "--port", str(p["web"]), "--pg-port", str(p["pg"]),
                "--redis-port", str(p["redis"])]  # fmt: skip

    def cli(self, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
        capsys.readouterr()
        os.environ["SUPERSETCTL_RUNTIME_VENV"] = str(self.venv)
        try:
            code = main(["--repo", str(self.repo), *args])
        finally:
            os.environ.pop("SUPERSETCTL_RUNTIME_VENV", None)
        out, err = capsys.readouterr()
        return code, out, err

    def client(self) -> httpx.Client:
        ctx = ssl.create_default_context(cafile=str(self.ca))
        return httpx.Client(base_url=self.url, verify=ctx, timeout=60)

    def headers(self, client: httpx.Client) -> dict[str, str]:
        pw = (self.root / "superset" / "admin.password").read_text().strip()
        r = client.post(
            "/api/v1/security/login",
            json={"username": "admin", "password": pw, "provider": "db", "refresh": True},
        )
        assert r.status_code == 200, r.text
        h = {"Authorization": f"Bearer {r.json()['access_token']}", "Referer": self.url}
        h["X-CSRFToken"] = client.get("/api/v1/security/csrf_token/", headers=h).json()["result"]
        return h


@pytest.fixture(scope="module")
def staging(superset_runtime: Path) -> Iterator[Staging]:
    postgres_binaries()
    try:
        find_redis_server()
    except Exception:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no redis-server on this machine (apt-get install redis-server)")
    scratch = _scratch("supersetctl-rehearsal-")
    repo = copy_repo(scratch / "repo", ("infra", "config", "image"))
    ports = {"web": free_port(), "pg": free_port(), "redis": free_port()}
    s = Staging(repo, ports, superset_runtime, scratch)
    try:
        yield s
    finally:
        Rehearsal(s.paths, env="staging").down()
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="module")
def cold(staging: Staging) -> dict[str, Any]:
    os.environ["SUPERSETCTL_RUNTIME_VENV"] = str(staging.venv)
    t0 = time.monotonic()
    try:
        code = main(["--repo", str(staging.repo), "--format", "json", *staging.up_args()])
    finally:
        os.environ.pop("SUPERSETCTL_RUNTIME_VENV", None)
    assert code == 0
    took = time.monotonic() - t0
    print(f"cold rehearsal: {took:.1f} s")
    return {"seconds": took}


def _steps(staging: Staging, capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, err = staging.cli("--format", "json", *staging.up_args(), capsys=capsys)
    assert code == 0, err
    assert not [s for s in json.loads(out)["skipped"] if s.startswith("check")]
    return [s["step"] for s in json.loads(out)["steps"]]


def test_a_cold_rehearsal_is_healthy_over_https(staging: Staging, cold: dict[str, Any]) -> None:
    with staging.client() as client:
        r = client.get("/health")
        assert r.status_code == 200 and r.json() == {"status": "OK"}
        staging.headers(client)


def test_status_lists_every_component_with_tls(
    staging: Staging, cold: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = staging.cli("--format", "json", "status", "--env", "staging", capsys=capsys)
    assert code == 0
    comps = {c["name"]: c for c in json.loads(out)["components"]}
    assert list(comps) == ["postgres", "redis", "web", "worker", "beat"]
    assert all(c["state"] == "up" and c["health"] == "ok" for c in comps.values())
    assert comps["postgres"]["tls"] and comps["redis"]["tls"]
    code, out, _ = staging.cli("status", "--env", "staging", capsys=capsys)
    assert code == 0 and out.splitlines()[0].split()[:6] == [
        "COMPONENT", "STATE", "PORT", "PID", "HEALTH", "TLS"]  # fmt: skip


def test_postgres_refuses_plain_and_wrongly_trusting_connections(
    staging: Staging, cold: dict[str, Any], tmp_path: Path
) -> None:
    info = Rehearsal(staging.paths, env="staging").cluster().info()
    base = f"host=127.0.0.1 port={info.port} dbname=postgres user=postgres password={info.password}"
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        psycopg.connect(base + " sslmode=disable", connect_timeout=5)
    wrong = make_certs(tmp_path, days_left=30)
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        psycopg.connect(base + f" sslmode=verify-full sslrootcert={wrong.ca_file}")
    with psycopg.connect(base + f" sslmode=verify-full sslrootcert={staging.ca}") as conn:
        row = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
        assert row == (True,)
        # every connection of the runtime (web, worker, beat, the Odoo stand-in's) is TLS
        plain = conn.execute(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
            "WHERE a.client_addr IS NOT NULL AND NOT s.ssl"
        ).fetchone()
        assert plain == (0,)


def _redis_ping(port: int, password: str, ctx: ssl.SSLContext | None) -> bytes:
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1") if ctx else raw
    with sock:
        sock.sendall(f"AUTH default {password}\r\nPING\r\n".encode())
        try:
            return sock.recv(64)
        except (ConnectionError, TimeoutError):
            return b""


def test_redis_speaks_tls_only_with_a_password(
    staging: Staging, cold: dict[str, Any], tmp_path: Path
) -> None:
    port = staging.ports["redis"]
    password = (staging.root / "redis" / "password").read_text().strip()
    assert _redis_ping(port, password, ssl.create_default_context(cafile=str(staging.ca))) == (
        b"+OK\r\n+PONG\r\n"
    )
    assert b"PONG" not in _redis_ping(port, password, None)
    wrong = make_certs(tmp_path, days_left=30)
    with pytest.raises(ssl.SSLCertVerificationError):
        _redis_ping(port, password, ssl.create_default_context(cafile=str(wrong.ca_file)))
    with pytest.raises(httpx.ConnectError):
        httpx.get(staging.url + "/health", verify=ssl.create_default_context(), timeout=5)


_CONNECT = """
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("superset_config", os.environ["SUPERSET_CONFIG_PATH"])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
import sqlalchemy, redis
print(m.SQLALCHEMY_DATABASE_URI.split("?")[1])
engine = sqlalchemy.create_engine(m.SQLALCHEMY_DATABASE_URI, **m.SQLALCHEMY_ENGINE_OPTIONS)
try:
    engine.connect().close(); print("metadata: ok")
except Exception as exc:
    print("metadata:", "certificate verify failed" in str(exc) and "refused" or exc)
try:
    redis.Redis.from_url(m.REDIS_URL).ping(); print("redis: ok")
except Exception as exc:
    print("redis:", "certificate verify failed" in str(exc) and "refused" or exc)
"""


def _runtime_connect(staging: Staging, **override: str) -> list[str]:
    r = Rehearsal(staging.paths, env="staging")
    job = prodspec.pick(r.components(), "job")[0]
    env = {**r.runtime_env(job, r.bindings(r.cluster())), **override}
    out = subprocess.run(
        [str(staging.venv / "bin" / "python"), "-c", _CONNECT],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.splitlines()


def test_the_runtime_verifies_with_the_ca_it_is_given(
    staging: Staging, cold: dict[str, Any], tmp_path: Path
) -> None:
    # the spec binds the metadata URL with sslmode=require: the CA makes it verify-full
    ok = _runtime_connect(staging, SUPERSET_CA_CERT_FILE=str(tmp_path / "right" / "ca.pem"))
    assert "sslmode=verify-full" in ok[0] and "sslrootcert=" in ok[0]
    assert ok[1:] == ["metadata: ok", "redis: ok"]
    assert (tmp_path / "right" / "ca.pem").read_text().strip() == staging.ca.read_text().strip()
    wrong = make_certs(tmp_path, days_left=30)
    bad = _runtime_connect(
        staging,
        SUPERSET_CA_CERT=wrong.ca_file.read_text(),
        SUPERSET_CA_CERT_FILE=str(tmp_path / "wrong" / "ca.pem"),
    )
    assert bad[1:] == ["metadata: refused", "redis: refused"]


def test_provisioning_ran_behind_the_gate_with_a_verified_odoo_connection(
    staging: Staging, cold: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    steps = _steps(staging, capsys)  # a warm `up`: checks again, the gate and the plan too
    assert steps.index("read-only gate") < steps.index("provision") < steps.index("check")
    with staging.client() as client:
        h = staging.headers(client)
        dashboards = client.get("/api/v1/dashboard/", headers=h).json()["count"]
        assert dashboards > 0
        dbs = client.get("/api/v1/database/", headers=h).json()["result"]
        (odoo,) = [d for d in dbs if d["database_name"] == "Odoo analytics"]
        conn = client.get(f"/api/v1/database/{odoo['id']}/connection", headers=h).json()
    assert "sslmode=verify-full" in conn["result"]["sqlalchemy_uri"]
    extra = json.loads(conn["result"]["extra"])
    ca_file = staging.root / "superset" / "ca" / "ca.pem"
    assert extra["engine_params"]["connect_args"] == {"sslrootcert": str(ca_file)}
    assert ca_file.read_text().strip() == staging.ca.read_text().strip()


def test_the_supabase_stand_in_is_proven_read_only_and_provisioned(
    staging: Staging, cold: dict[str, Any]
) -> None:
    """The optional second source runs in the rehearsal: a local database stands in for the
    Supabase project; the gate proved its role read-only before provisioning, and Superset
    reaches it verified against the stack's CA (a query through Superset answers)."""
    from supersetctl.contract.environment import load_environment
    from supersetctl.db.source_checks import verify_source
    from supersetctl.local import standin

    r = Rehearsal(staging.paths, env="staging")
    base = load_environment(staging.paths, "staging", environ={})
    environ = read_env_file(r.env_file)
    local = r.local_environment(base, environ)
    assert local.config.databases["supabase"].sslmode.value == "verify-full"
    report = verify_source(local, "supabase")
    assert report.ok, report.to_dict()
    with staging.client() as client:
        h = staging.headers(client)
        dbs = client.get("/api/v1/database/", headers=h).json()["result"]
        (sb,) = [d for d in dbs if d["database_name"] == "Supabase control plane"]
        body = {"database_id": sb["id"], "sql": "SELECT count(*) AS n FROM public.tenants",
                "runAsync": False, "schema": "public"}  # fmt: skip
        r2 = client.post("/api/v1/sqllab/execute/", json=body, headers=h)
    assert r2.status_code == 200, r2.text
    assert r2.json()["data"] == [{"n": 2}]
    assert local.config.databases["supabase"].user == standin.ROLE


def test_the_worker_runs_an_async_query_and_beats_schedule(
    staging: Staging, cold: dict[str, Any]
) -> None:
    with staging.client() as client:
        h = staging.headers(client)
        dbs = client.get("/api/v1/database/", headers=h).json()["result"]
        (odoo,) = [d["id"] for d in dbs if d["database_name"] == "Odoo analytics"]
        r = client.post(
            "/api/v1/sqllab/execute/",
            headers=h,
            json={
                "database_id": odoo,
                "sql": "SELECT count(*) AS n FROM analytics.companies",
                "runAsync": True,
                "schema": "analytics",
            },
        )
        assert r.status_code == 202, r.text  # accepted: the worker runs it
        query_id = r.json()["query"]["queryId"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            q = client.get(f"/api/v1/query/{query_id}", headers=h).json()["result"]
            if q["status"] in ("success", "failed"):
                break
            time.sleep(0.5)
        assert q["status"] == "success", q.get("error_message")
        # the rows went through the results backend (rediss://) to the web service
        res = client.get("/api/v1/sqllab/results/", params={"q": f"(key:'{q['results_key']}')"},
                         headers=h)  # fmt: skip
        assert res.status_code == 200 and res.json()["data"][0]["n"] > 0
    worker_log = staging.root / "superset" / "worker.log"
    assert "sql_lab.get_sql_results" in worker_log.read_text()
    deadline = time.monotonic() + 75  # beat sends reports.scheduler at each minute
    while "Task reports.scheduler[" not in worker_log.read_text():
        assert time.monotonic() < deadline, "beat's reports.scheduler never reached the worker"
        time.sleep(1)


def test_down_then_up_restarts_on_the_same_data(
    staging: Staging, cold: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = staging.cli("down", "--env", "staging", capsys=capsys)
    assert code == 0 and out.startswith("stopped: beat, worker, web, redis, postgres")
    code, _, _ = staging.cli("status", "--env", "staging", capsys=capsys)
    assert code == 1
    t0 = time.monotonic()
    steps = _steps(staging, capsys)
    print(f"rehearsal after down: {time.monotonic() - t0:.1f} s")
    assert "job migrate" in steps  # a recorded job is skipped, not redone
    code, _, _ = staging.cli("status", "--env", "staging", capsys=capsys)
    assert code == 0


def test_reset_deletes_the_rehearsal_only(
    staging: Staging, cold: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    (staging.repo / ".local" / "dev.env").write_text("# the dev stack's\n")
    code, out, _ = staging.cli("reset", "--env", "staging", "--yes", capsys=capsys)
    assert code == 0 and "deleted .local/staging" in out
    assert not staging.root.exists() and (staging.repo / ".local" / "dev.env").exists()
    code, _, _ = staging.cli("status", "--env", "staging", capsys=capsys)
    assert code == 1

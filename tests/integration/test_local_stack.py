"""`supersetctl up/down/status/logs/reset` on a scratch copy of the repo, with real servers.

One stack per module (free ports, a temp folder the PostgreSQL user can reach); the runtime venv
is the shared test runtime (``SUPERSETCTL_RUNTIME_VENV``), everything else is built by ``up``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from supersetctl.cli import main
from supersetctl.local.postgres import free_port
from supersetctl.local.stack import LocalStack
from supersetctl.paths import RepoPaths
from tests.support.helpers import copy_repo
from tests.support.postgres import _scratch, postgres_binaries

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Stack:
    repo: Path
    superset_port: int
    pg_port: int
    venv: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.superset_port}"

    @property
    def local(self) -> Path:
        return self.repo / ".local"

    def cli(self, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
        capsys.readouterr()
        old = os.environ.get("SUPERSETCTL_RUNTIME_VENV")
        os.environ["SUPERSETCTL_RUNTIME_VENV"] = str(self.venv)
        try:
            code = main(["--repo", str(self.repo), *args])
        finally:
            if old is None:
                os.environ.pop("SUPERSETCTL_RUNTIME_VENV", None)
            else:
                os.environ["SUPERSETCTL_RUNTIME_VENV"] = old
        out, err = capsys.readouterr()
        return code, out, err

    def up_args(self) -> list[str]:
        return ["up", "--port", str(self.superset_port), "--pg-port", str(self.pg_port)]

    def admin(self) -> tuple[str, str]:
        return "admin", (self.local / "superset" / "admin.password").read_text().strip()

    def token(self, client: httpx.Client) -> str:
        user, pw = self.admin()
        r = client.post(
            "/api/v1/security/login",
            json={"username": user, "password": pw, "provider": "db", "refresh": True},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])


@pytest.fixture(scope="module")
def stack(superset_runtime: Path) -> Iterator[Stack]:
    postgres_binaries()
    scratch = _scratch("supersetctl-stack-")
    repo = copy_repo(scratch / "repo", ("infra", "config", "image"))
    s = Stack(repo, free_port(), free_port(), superset_runtime)
    try:
        yield s
    finally:
        LocalStack(RepoPaths(repo)).down()
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="module")
def first_up(stack: Stack) -> dict[str, object]:
    os.environ["SUPERSETCTL_RUNTIME_VENV"] = str(stack.venv)
    try:
        code = main(["--repo", str(stack.repo), "--format", "json", *stack.up_args()])
    finally:
        os.environ.pop("SUPERSETCTL_RUNTIME_VENV", None)
    assert code == 0
    data = json.loads((stack.local / "stack.json").read_text())
    return data


def test_up_builds_a_healthy_stack(stack: Stack, first_up: dict[str, object]) -> None:
    assert first_up["superset_port"] == stack.superset_port
    r = httpx.get(stack.url + "/health", timeout=10)
    assert r.status_code == 200 and r.json() == {"status": "OK"}
    pw_file = stack.local / "superset" / "admin.password"
    assert stat.S_IMODE(pw_file.stat().st_mode) == 0o600
    env_file = stack.local / "dev.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert "ODOO_RO_PASSWORD=" in env_file.read_text()
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        stack.token(client)


def test_up_holds_metadata_and_odoo_databases(stack: Stack, first_up: dict[str, object]) -> None:
    cluster = LocalStack(RepoPaths(stack.repo)).cluster()
    with psycopg.connect(cluster.info().conninfo("postgres")) as conn:
        names = {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}
    assert {"superset", "odoo_dev"} <= names


def test_second_up_is_idempotent(
    stack: Stack, first_up: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    before = LocalStack(RepoPaths(stack.repo)).status()
    code, out, err = stack.cli("--format", "json", *stack.up_args(), capsys=capsys)
    assert code == 0, err
    result = json.loads(out)
    after = LocalStack(RepoPaths(stack.repo)).status()
    assert [(c.name, c.pid) for c in before] == [(c.name, c.pid) for c in after]
    assert "migrating" not in err and "installing" not in err and "starting Superset" not in err
    assert result["url"] == stack.url


def test_status_text_and_json(
    stack: Stack, first_up: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = stack.cli("status", capsys=capsys)
    assert code == 0
    assert out.splitlines()[0].split()[:5] == ["COMPONENT", "STATE", "PORT", "PID", "HEALTH"]
    code, out, _ = stack.cli("--format", "json", "status", capsys=capsys)
    comps = {c["name"]: c for c in json.loads(out)["components"]}
    assert comps["postgres"]["state"] == "up" and comps["postgres"]["port"] == stack.pg_port
    assert comps["superset"]["health"] == "ok" and comps["superset"]["pid"]


# what `up` writes to .local/dev.env, and nothing else: none of these may come from the shell
_LOCAL_VARIABLES = (
    "SUPERSET_ADMIN_USERNAME",
    "SUPERSET_ADMIN_PASSWORD",
    "SUPERSET_METADATA_DB_URL",
    "SUPERSETCTL_SCRATCH_DB_URL",
    "ODOO_RO_PASSWORD",
    "ODOO_ADMIN_DATABASE_URL",
)


def test_ops_commands_need_nothing_exported_after_up(
    stack: Stack,
    first_up: dict[str, object],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in _LOCAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    env_file = (stack.local / "dev.env").read_text()
    assert "SUPERSET_METADATA_DB_URL=" in env_file and "SUPERSETCTL_SCRATCH_DB_URL=" in env_file
    # (--url: the stack runs on a free port, not on config/dev's 8088)
    args = ("--env", "dev", "--url", stack.url)
    code, out, err = stack.cli("--format", "json", "health", *args, "--backoff", "0", capsys=capsys)
    assert code == 0, out + err
    checks = {c["name"]: c["status"] for c in json.loads(out)["checks"]}
    assert checks["health"] == "ok" and checks["login"] == "ok"  # the admin login of dev.env
    code, out, err = stack.cli("--format", "json", "backup", *args, capsys=capsys)
    assert code == 0, err
    made = json.loads(out)
    assert made["archive"].startswith(str(stack.local / "backups" / "dev" / "superset-dev-"))
    assert "assets.zip" in made["parts"] and "metadata.dump" in made["parts"]
    code, out, err = stack.cli(
        "--format", "json", "backup", "verify", "--env", "dev", made["archive"], capsys=capsys
    )
    assert code == 0, out + err
    assert json.loads(out)["ok"] is True
    _, pw = stack.admin()
    assert pw not in out + err


def test_logs_mask_secrets(
    stack: Stack, first_up: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = stack.cli("logs", "superset", "-n", "200", capsys=capsys)
    assert code == 0
    assert "gunicorn" in out.lower()
    _, pw = stack.admin()
    assert pw not in out
    code, _, err = stack.cli("logs", "nonsense", capsys=capsys)
    assert code == 2 and "unknown component" in err


def test_changing_ports_of_a_running_stack_needs_down(
    stack: Stack, first_up: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    other = free_port()
    code, _, err = stack.cli(
        "up", "--port", str(other), "--pg-port", str(stack.pg_port), capsys=capsys
    )
    assert code == 1
    assert f"superset_port {stack.superset_port} -> {other}" in err
    assert "supersetctl down" in err


def test_port_taken_by_another_program_is_a_clear_error(
    stack: Stack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fresh = Stack(stack.repo.parent / "fresh", free_port(), free_port(), stack.venv)
    for name in ("infra", "config", "image"):
        shutil.copytree(stack.repo / name, fresh.repo / name)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        code, _, err = fresh.cli(
            "up", "--port", str(busy), "--pg-port", str(fresh.pg_port), capsys=capsys
        )
    assert code == 1
    assert f"port {busy} for Superset is already in use" in err
    # refused before anything started: nothing to clean up
    assert not (fresh.local / "postgres").exists()
    assert all(c.state == "down" for c in LocalStack(RepoPaths(fresh.repo)).status())


def test_down_then_up_restores_the_same_state(
    stack: Stack, first_up: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        token = stack.token(client)
        csrf = client.get(
            "/api/v1/security/csrf_token/", headers={"Authorization": f"Bearer {token}"}
        ).json()["result"]
        r = client.post(
            "/api/v1/dashboard/",
            json={"dashboard_title": "kept across down and up"},
            headers={"Authorization": f"Bearer {token}", "X-CSRFToken": csrf, "Referer": stack.url},
        )
        assert r.status_code == 201, r.text
        dashboard_id = r.json()["id"]

    code, out, _ = stack.cli("down", capsys=capsys)
    assert code == 0 and "superset" in out and "postgres" in out
    with pytest.raises(httpx.HTTPError):
        httpx.get(stack.url + "/health", timeout=3)
    code, out, _ = stack.cli("status", capsys=capsys)
    assert code == 1 and "down" in out

    code, _, err = stack.cli(*stack.up_args(), capsys=capsys)
    assert code == 0, err
    assert "migrating" not in err  # bootstrap is not redone
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        token = stack.token(client)  # the same generated password still works
        got = client.get(
            f"/api/v1/dashboard/{dashboard_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert got.status_code == 200
        assert got.json()["result"]["dashboard_title"] == "kept across down and up"


def test_reset_asks_then_deletes(
    stack: Stack, first_up: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = stack.cli("reset", capsys=capsys)  # stdin is not a terminal under pytest
    assert code == 2 and "--yes" in err
    assert stack.local.exists()
    code, out, _ = stack.cli("reset", "--yes", capsys=capsys)
    assert code == 0 and "deleted" in out
    assert not stack.local.exists()
    code, out, _ = stack.cli("status", capsys=capsys)
    assert "not created" in out

"""The running Superset (pinned runtime + image/superset_config.py): health, outage, login."""

from __future__ import annotations

import time

import httpx
import psycopg
import pytest

from tests.support.superset import SupersetInfo

pytestmark = pytest.mark.integration


def _poll_health(url: str, want: int, deadline_s: float = 60) -> httpx.Response:
    deadline = time.monotonic() + deadline_s
    while True:
        r = httpx.get(f"{url}/health", timeout=10)
        if r.status_code == want or time.monotonic() > deadline:
            return r
        time.sleep(0.5)


@pytest.mark.parametrize("path", ["/health", "/healthcheck"])
def test_health_is_json_ok(superset: SupersetInfo, path: str) -> None:
    r = httpx.get(superset.url + path, timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"status": "OK"}  # nothing else: no version, no host


def test_health_is_503_without_metadata_db_and_recovers(superset: SupersetInfo) -> None:
    superset.stop_metadata()
    try:
        down = _poll_health(superset.url, 503)
        assert down.status_code == 503
        body = down.json()
        assert body["status"] == "ERROR"
        assert body == {"status": "ERROR", "failed": ["metadata_db"]}
        assert "127.0.0.1" not in down.text and "password" not in down.text.lower()
    finally:
        superset.start_metadata()
    up = _poll_health(superset.url, 200)
    assert up.status_code == 200
    assert up.json() == {"status": "OK"}


def test_rest_login_with_the_generated_admin_password(superset: SupersetInfo) -> None:
    with httpx.Client(base_url=superset.url, timeout=30) as client:
        r = client.post(
            "/api/v1/security/login",
            json={
                "username": superset.admin_username,
                "password": superset.admin_password,
                "provider": "db",
                "refresh": True,
            },
        )
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        me = client.get("/api/v1/me/", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["result"]["username"] == superset.admin_username
        bad = client.post(
            "/api/v1/security/login",
            json={"username": superset.admin_username, "password": "wrong", "provider": "db"},
        )
        assert bad.status_code == 401


def test_admin_password_file_is_private(superset: SupersetInfo) -> None:
    mode = superset.server.admin_password_file.stat().st_mode & 0o777
    assert mode == 0o600
    assert (superset.server.s.state / "secret_key").stat().st_mode & 0o777 == 0o600


def test_metadata_lives_in_postgres(superset: SupersetInfo) -> None:
    with psycopg.connect(superset.metadata_conninfo) as conn:
        row = conn.execute(
            "SELECT count(*) FROM ab_user WHERE username = %s", (superset.admin_username,)
        ).fetchone()
    assert row == (1,)


def test_security_headers_are_on(superset: SupersetInfo) -> None:
    r = httpx.get(superset.url + "/login/", timeout=30)
    assert r.status_code == 200
    assert "content-security-policy" in r.headers  # Talisman
    assert 'name="csrf_token"' in r.text or "csrf_token" in r.text  # CSRF

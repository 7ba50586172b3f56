"""image/superset_config.py's embedding settings: each case loads it in a fresh interpreter
(it imports only the standard library at import time)."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CONFIG = Path(__file__).resolve().parents[3] / "image" / "superset_config.py"
URL = "postgresql://u:pw@db.example.invalid:25060/superset?sslmode=require"
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("superset_config", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
csp = m.TALISMAN_CONFIG["content_security_policy"]
print(json.dumps({
    "embedding": m.EMBEDDING, "flag": m.FEATURE_FLAGS["EMBEDDED_SUPERSET"],
    "secret_is_own": getattr(m, "GUEST_TOKEN_JWT_SECRET", None) not in (None, m.SECRET_KEY),
    "role": getattr(m, "GUEST_ROLE_NAME", None),
    "ttl": getattr(m, "GUEST_TOKEN_JWT_EXP_SECONDS", None),
    "audience": getattr(m, "GUEST_TOKEN_JWT_AUDIENCE", None),
    "ancestors": csp.get("frame-ancestors"),
    "frame_options": m.TALISMAN_CONFIG.get("frame_options", "unset"),
    "csrf": m.WTF_CSRF_ENABLED, "hook": callable(m.GUEST_TOKEN_VALIDATOR_HOOK),
}))
"""


def _key() -> str:
    return secrets.token_urlsafe(42)


def _load(**env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "SUPERSET_SECRET_KEY": _key(), "SUPERSET_METADATA_DB_URL": URL}
    return subprocess.run(
        [sys.executable, "-c", PROBE, str(CONFIG)],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _ok(**env: str) -> dict[str, Any]:
    r = _load(**env)
    assert r.returncode == 0, r.stderr
    return dict(json.loads(r.stdout))


def _refused(**env: str) -> str:
    r = _load(**env)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith("superset_config: refusing to start: ")
    return r.stderr


def test_off_without_a_guest_secret() -> None:
    got = _ok()
    assert got["embedding"] is False and got["flag"] is False
    assert got["ancestors"] is None and got["frame_options"] == "unset"


def test_on_with_its_own_secret_origins_short_ttl_and_csrf_kept() -> None:
    got = _ok(
        SUPERSET_GUEST_TOKEN_SECRET=_key(),
        SUPERSET_EMBED_ALLOWED_ORIGINS="https://erp.example.com, https://odoo.example.com:8443",
        SUPERSET_EMBED_GUEST_SECONDS="3600",
    )
    assert got["embedding"] is True and got["flag"] is True and got["secret_is_own"] is True
    assert got["role"] == "embed_guest" and got["ttl"] == 900  # capped
    assert got["audience"] == "superset-prod"  # not the minting request's host
    assert got["ancestors"] == [
        "'self'",
        "https://erp.example.com",
        "https://odoo.example.com:8443",
    ]
    assert got["frame_options"] is None and got["csrf"] is True and got["hook"] is True


def test_dev_defaults_to_loopback_origins() -> None:
    got = _ok(SUPERSET_ENV="dev", SUPERSET_GUEST_TOKEN_SECRET=_key())
    assert got["ancestors"] == ["'self'", "http://127.0.0.1:*", "http://localhost:*"]


def test_a_guest_secret_equal_to_the_flask_key_is_refused() -> None:
    key = _key()
    r = _load(SUPERSET_SECRET_KEY=key, SUPERSET_GUEST_TOKEN_SECRET=key)
    assert r.returncode == 1 and "equals SUPERSET_SECRET_KEY" in r.stderr
    assert key not in r.stderr


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SUPERSET_GUEST_TOKEN_SECRET": secrets.token_hex(4)}, "shorter than 32"),
        ({"SUPERSET_GUEST_TOKEN_SECRET": "test-guest-secret-change-me"}, "published default"),
        ({"SUPERSET_GUEST_TOKEN_SECRET": "x" * 40}, "SUPERSET_EMBED_ALLOWED_ORIGINS is empty"),
        ({"SUPERSET_FEATURE_FLAGS": "EMBEDDED_SUPERSET=true"}, "not set"),
        (
            {"SUPERSET_GUEST_TOKEN_SECRET": "x" * 40, "SUPERSET_EMBED_ALLOWED_ORIGINS": "*"},
            "is not an origin",
        ),
        (
            {
                "SUPERSET_GUEST_TOKEN_SECRET": "x" * 40,
                "SUPERSET_EMBED_ALLOWED_ORIGINS": "https://erp.example.com/app",
            },
            "is not an origin",
        ),
    ],
)
def test_unsafe_embedding_settings_are_refused(env: dict[str, str], says: str) -> None:
    assert says in _refused(**env)


HOOK = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("superset_config", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
dash = {"type": "dashboard", "id": "e-1"}
cases = {
    "ok": {"resources": [dash], "rls": [{"dataset": 3, "clause": "company_id = 1"}]},
    "no_rls": {"resources": [dash], "rls": []},
    "no_dataset": {"resources": [dash], "rls": [{"clause": "company_id = 1"}]},
    "clause": {"resources": [dash], "rls": [{"dataset": 3, "clause": "1 = 1 OR company_id = 1"}]},
    "two": {"resources": [dash, dash], "rls": [{"dataset": 3, "clause": "company_id = 1"}]},
    "other": {"resources": [{"type": "dashboard", "id": "e-2"}],
              "rls": [{"dataset": 3, "clause": "company_id = 1"}]},
}
print(json.dumps({k: m.guest_token_refusal(v, frozenset({"e-1"})) for k, v in cases.items()}))
"""


def test_the_validator_hook_refuses_what_the_broker_never_sends() -> None:
    env = {"PATH": "/usr/bin:/bin", "SUPERSET_SECRET_KEY": _key(), "SUPERSET_METADATA_DB_URL": URL}
    r = subprocess.run(
        [sys.executable, "-c", HOOK, str(CONFIG)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    got = json.loads(r.stdout)
    assert got["ok"] is None
    assert got["no_rls"] == "no RLS rule"
    assert "without a dataset" in got["no_dataset"]
    assert "column = <int>" in got["clause"]
    assert got["two"] == "exactly one dashboard resource"
    assert "not in SUPERSET_EMBED_DASHBOARDS" in got["other"]

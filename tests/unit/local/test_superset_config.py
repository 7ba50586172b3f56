"""image/superset_config.py, loaded the way Superset loads it, without Superset installed.

The config imports only the standard library at import time, so each case runs it in a fresh
subprocess with a controlled environment and checks the refusal message or the values.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[3] / "image" / "superset_config.py"
GOOD_URL = "postgresql://u:pw@db.example.invalid:25060/superset?sslmode=require"
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("superset_config", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
print(json.dumps({
    "uri": m.SQLALCHEMY_DATABASE_URI, "env": m.SUPERSET_ENV, "csrf": m.WTF_CSRF_ENABLED,
    "talisman": m.TALISMAN_ENABLED, "flags": m.FEATURE_FLAGS,
    "celery": m.CELERY_CONFIG is not None, "cache": getattr(m, "CACHE_CONFIG", None),
    "cookie_secure": m.SESSION_COOKIE_SECURE, "mutator": callable(m.FLASK_APP_MUTATOR),
    "health_ok": m.health_payload({"metadata_db": True}),
    "health_bad": m.health_payload({"metadata_db": False}),
    "connect_args": m.SQLALCHEMY_ENGINE_OPTIONS.get("connect_args"),
    "page_size": m.FAB_API_MAX_PAGE_SIZE,
    "ca_file": m.CA_CERT_FILE, "redis_url": getattr(m, "REDIS_URL", None),
    "beat": sorted(getattr(m.CELERY_CONFIG, "beat_schedule", {})),
}))
"""


def _key() -> str:
    return secrets.token_urlsafe(42)


def _load(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, str(CONFIG)],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _refused(env: dict[str, str]) -> str:
    r = _load(env)
    assert r.returncode == 1, r.stdout
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("superset_config: refusing to start: ")
    return r.stderr


def test_missing_secret_key_is_refused() -> None:
    err = _refused({"SUPERSET_METADATA_DB_URL": GOOD_URL})
    assert "SUPERSET_SECRET_KEY is not set" in err


def test_short_secret_key_is_refused_without_echoing_it() -> None:
    short = secrets.token_hex(8)
    err = _refused({"SUPERSET_SECRET_KEY": short, "SUPERSET_METADATA_DB_URL": GOOD_URL})
    assert "shorter than 32 bytes" in err
    assert short not in err


@pytest.mark.parametrize(
    "default",
    [
        "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET",
        "thisISaSECRET_1234",
        "TEST_NON_DEV_SECRET",
        "YOUR_OWN_RANDOM_GENERATED_SECRET_KEY",
        "\\2\\1thisismyscretkey\\1\\2\\e\\y\\y\\h",
    ],
)
def test_default_secret_keys_are_refused(default: str) -> None:
    err = _refused({"SUPERSET_SECRET_KEY": default, "SUPERSET_METADATA_DB_URL": GOOD_URL})
    assert "published default keys" in err


def test_missing_metadata_url_is_refused() -> None:
    err = _refused({"SUPERSET_SECRET_KEY": _key()})
    assert "SUPERSET_METADATA_DB_URL is not set" in err


@pytest.mark.parametrize("env", ["prod", "staging"])
@pytest.mark.parametrize("query", ["", "?sslmode=disable", "?sslmode=prefer"])
def test_non_tls_metadata_url_is_refused_outside_dev(env: str, query: str) -> None:
    url = "postgresql://u:pw@db.example.invalid/superset" + query
    err = _refused(
        {"SUPERSET_SECRET_KEY": _key(), "SUPERSET_METADATA_DB_URL": url, "SUPERSET_ENV": env}
    )
    assert "must use TLS outside dev" in err
    assert "pw@" not in err


def test_sqlite_is_refused_outside_dev() -> None:
    err = _refused({"SUPERSET_SECRET_KEY": _key(), "SUPERSET_METADATA_DB_URL": "sqlite:///x.db"})
    assert "must be a PostgreSQL URL" in err


def test_unknown_env_is_refused() -> None:
    err = _refused({"SUPERSET_ENV": "qa", "SUPERSET_SECRET_KEY": _key()})
    assert "SUPERSET_ENV must be one of dev, staging, prod" in err


def test_prod_defaults() -> None:
    r = _load({"SUPERSET_SECRET_KEY": _key(), "SUPERSET_METADATA_DB_URL": GOOD_URL})
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["env"] == "prod"
    assert got["uri"].startswith("postgresql+psycopg2://")
    assert "sslmode=require" in got["uri"]
    assert got["csrf"] is True and got["talisman"] is True
    assert got["cookie_secure"] is True
    assert got["celery"] is False and got["cache"] is None
    assert got["mutator"] is True
    assert got["health_ok"] == [{"status": "OK"}, 200]
    assert got["health_bad"] == [{"status": "ERROR", "failed": ["metadata_db"]}, 503]
    # PostgreSQL's JIT spent ~0.6 s compiling each of Superset's list queries (measured)
    assert got["connect_args"] == {"connect_timeout": 5, "options": "-c jit=off"}
    assert got["page_size"] == 5000  # a list of every asset in few requests


def test_dev_allows_plain_loopback_and_redis_turns_on_cache_and_celery(tmp_path: Path) -> None:
    # stand-ins for the two modules the results backend imports (the runtime has the real ones)
    (tmp_path / "cachelib").mkdir()
    (tmp_path / "cachelib" / "__init__.py").write_text("")
    (tmp_path / "cachelib" / "redis.py").write_text(
        "class RedisCache:\n    def __init__(self, **kw):\n        self.kw = kw\n"
    )
    (tmp_path / "redis.py").write_text(
        "class Redis:\n    @classmethod\n    def from_url(cls, url):\n        return url\n"
    )
    r = _load(
        {
            "PYTHONPATH": str(tmp_path),
            "SUPERSET_ENV": "dev",
            "SUPERSET_SECRET_KEY": _key(),
            "SUPERSET_METADATA_DB_URL": "postgresql://u:pw@127.0.0.1:5432/superset",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "SUPERSET_FEATURE_FLAGS": "EMBEDDED_SUPERSET=true, THUMBNAILS",
            # embedding needs its own signing secret (docs/embedding.md)
            "SUPERSET_GUEST_TOKEN_SECRET": _key(),
        }
    )
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["cookie_secure"] is False
    assert got["celery"] is True
    assert got["cache"]["CACHE_TYPE"] == "RedisCache"
    assert got["flags"]["EMBEDDED_SUPERSET"] is True
    assert got["flags"]["THUMBNAILS"] is True
    assert got["flags"]["DASHBOARD_RBAC"] is True


def _ca_pem(tmp_path: Path) -> str:
    from supersetctl.local.tls import ensure_ca

    files, _ = ensure_ca(tmp_path / "ca")
    return files.ca_pem()


def _with_stub_redis(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "stubs" / "cachelib").mkdir(parents=True)
    (tmp_path / "stubs" / "cachelib" / "__init__.py").write_text("")
    (tmp_path / "stubs" / "cachelib" / "redis.py").write_text(
        "class RedisCache:\n    def __init__(self, **kw):\n        self.kw = kw\n"
    )
    (tmp_path / "stubs" / "redis.py").write_text(
        "class Redis:\n    @classmethod\n    def from_url(cls, url):\n        return url\n"
    )
    return {"PYTHONPATH": str(tmp_path / "stubs")}


def test_a_given_ca_is_written_and_verifies_the_metadata_db_and_redis(tmp_path: Path) -> None:
    pem = _ca_pem(tmp_path)
    target = tmp_path / "run" / "ca.pem"
    r = _load(
        {
            **_with_stub_redis(tmp_path),
            "SUPERSET_SECRET_KEY": _key(),
            "SUPERSET_METADATA_DB_URL": GOOD_URL,  # what App Platform binds: require
            "REDIS_URL": "rediss://default:pw@cache.example.invalid:25061",
            "SUPERSET_CA_CERT": pem,
            "SUPERSET_CA_CERT_FILE": str(target),
        }
    )
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["ca_file"] == str(target)
    assert target.read_text().strip() == pem.strip()
    assert [p.name for p in target.parent.iterdir()] == ["ca.pem"]  # no temp file left
    assert "sslmode=verify-full" in got["uri"]
    assert f"sslrootcert={target}".replace("/", "%2F") in got["uri"]
    assert "ssl_cert_reqs=required" in got["redis_url"]
    assert "ssl_ca_certs=" in got["redis_url"] and "ssl_check_hostname=true" in got["redis_url"]
    # beat sends Superset's own schedule (a CELERY_CONFIG replaces it whole)
    assert got["beat"] == ["reports.prune_log", "reports.scheduler"]


def test_escaped_newlines_and_several_certificates_are_accepted(tmp_path: Path) -> None:
    pem = _ca_pem(tmp_path).strip()
    other = _ca_pem(tmp_path / "other").strip()
    bundle = (pem + "\n" + other).replace("\n", "\\n")  # one line, as some platforms keep it
    target = tmp_path / "ca.pem"
    r = _load(
        {
            "SUPERSET_SECRET_KEY": _key(),
            "SUPERSET_METADATA_DB_URL": GOOD_URL,
            "SUPERSET_CA_CERT": bundle,
            "SUPERSET_CA_CERT_FILE": str(target),
        }
    )
    assert r.returncode == 0, r.stderr
    assert target.read_text().count("BEGIN CERTIFICATE") == 2


def test_without_a_ca_nothing_is_written_and_require_stays(tmp_path: Path) -> None:
    target = tmp_path / "ca.pem"
    r = _load(
        {
            "SUPERSET_SECRET_KEY": _key(),
            "SUPERSET_METADATA_DB_URL": GOOD_URL,
            "SUPERSET_CA_CERT_FILE": str(target),
        }
    )
    got = json.loads(r.stdout)
    assert got["ca_file"] is None and not target.exists()
    assert "sslmode=require" in got["uri"] and "sslrootcert" not in got["uri"]


def test_a_ca_that_is_no_certificate_is_refused(tmp_path: Path) -> None:
    err = _refused(
        {
            "SUPERSET_SECRET_KEY": _key(),
            "SUPERSET_METADATA_DB_URL": GOOD_URL,
            "SUPERSET_CA_CERT": "not a certificate",
            "SUPERSET_CA_CERT_FILE": str(tmp_path / "ca.pem"),
        }
    )
    assert "SUPERSET_CA_CERT does not hold a PEM certificate" in err


def test_an_unwritable_ca_path_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    err = _refused(
        {
            "SUPERSET_SECRET_KEY": _key(),
            "SUPERSET_METADATA_DB_URL": GOOD_URL,
            "SUPERSET_CA_CERT": _ca_pem(tmp_path),
            "SUPERSET_CA_CERT_FILE": str(tmp_path / "file" / "ca.pem"),
        }
    )
    assert "cannot write the CA certificate" in err and "SUPERSET_CA_CERT_FILE" in err

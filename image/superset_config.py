"""The one Superset configuration, for every environment (dev, staging, prod).

Superset loads it through ``SUPERSET_CONFIG_PATH`` (the image sets it; ``supersetctl up`` does
too). Everything comes from environment variables; every variable is listed, with placeholders,
in ``infra/superset/env/.env.superset.example``. This file is self-contained: it imports only the
standard library at import time (Superset and Flask only inside functions), so it can be checked
without Superset installed, and the image never needs supersetctl.

It refuses to start (exit status 1, one clear line on stderr, no traceback) when:

- ``SUPERSET_SECRET_KEY`` is missing, shorter than 32 bytes, or one of Superset's well-known
  default keys (CVE-2023-27524);
- ``SUPERSET_METADATA_DB_URL`` is missing, or, outside dev, does not require TLS
  (``sslmode=require``, ``verify-ca`` or ``verify-full``);
- ``SUPERSET_ENV`` is not one of dev, staging, prod;
- ``SUPERSET_CA_CERT`` is set but holds no PEM certificate, or its file cannot be written.

CA trust: ``SUPERSET_CA_CERT`` (PEM, one certificate or several: App Platform binds
``${metadata.CA_CERT}``; a SECRET or plain variable does too) is written atomically to
``SUPERSET_CA_CERT_FILE`` (default ``/tmp/superset/ca.pem``) when the process starts, in every
process (web, worker, beat, jobs). With it the metadata database is verified
(``sslmode=require`` becomes ``verify-full``, ``sslrootcert`` the file) and so is Redis/Valkey
(``rediss://`` gets ``ssl_ca_certs`` and hostname checking). The provisioned Superset database
names the same file as ``sslrootcert`` (``extra.engine_params.connect_args``).

``/health`` and ``/healthcheck`` answer ``{"status": "OK"}`` (200) when the metadata database
answers ``SELECT 1``, else ``{"status": "ERROR", "failed": ["metadata_db"]}`` (503). Nothing
else: no version, no host, no exception text.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import sys
import tempfile
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ENVIRONMENTS = ("dev", "staging", "prod")
MIN_SECRET_KEY_BYTES = 32

# Superset's published and documented default keys: a deployment using one is forgeable.
KNOWN_DEFAULT_SECRET_KEYS = frozenset(
    {
        "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET",
        "thisISaSECRET_1234",
        "TEST_NON_DEV_SECRET",
        "YOUR_OWN_RANDOM_GENERATED_SECRET_KEY",
        "\\2\\1thisismyscretkey\\1\\2\\e\\y\\y\\h",
        "\x02\x01thisismyscretkey\x01\x02\\e\\y\\y\\h",
        "changeme",
        "<generate-with-openssl-rand-base64-42>",
    }
)
_TLS_SSLMODES = ("require", "verify-ca", "verify-full")


def _refuse(message: str) -> None:
    """Stop the process with one clear line (SystemExit bypasses Superset's except Exception)."""
    raise SystemExit(f"superset_config: refusing to start: {message}")


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _flag(name: str, default: bool) -> bool:
    raw = _env(name)
    if not raw:
        return default
    return raw.lower() in ("1", "true", "yes", "on")


# --- environment --------------------------------------------------------------------------------

SUPERSET_ENV = _env("SUPERSET_ENV", "prod").lower()
if SUPERSET_ENV not in ENVIRONMENTS:
    _refuse(f"SUPERSET_ENV must be one of {', '.join(ENVIRONMENTS)} (got {SUPERSET_ENV!r})")
IS_DEV = SUPERSET_ENV == "dev"


# --- SECRET_KEY ---------------------------------------------------------------------------------


def check_secret_key(value: str) -> str:
    """The key when acceptable; otherwise refuse with the reason (never the value)."""
    if not value:
        _refuse(
            "SUPERSET_SECRET_KEY is not set; generate one with `openssl rand -base64 42` "
            "and inject it as a secret environment variable"
        )
    if value in KNOWN_DEFAULT_SECRET_KEYS:
        _refuse(
            "SUPERSET_SECRET_KEY is one of Superset's published default keys (CVE-2023-27524); "
            "generate a new one with `openssl rand -base64 42`"
        )
    if len(value.encode("utf-8")) < MIN_SECRET_KEY_BYTES:
        _refuse(
            f"SUPERSET_SECRET_KEY is shorter than {MIN_SECRET_KEY_BYTES} bytes; "
            "generate one with `openssl rand -base64 42`"
        )
    return value


SECRET_KEY = check_secret_key(os.environ.get("SUPERSET_SECRET_KEY", ""))


# --- CA certificates ----------------------------------------------------------------------------

DEFAULT_CA_CERT_FILE = "/tmp/superset/ca.pem"  # noqa: S108 (the container's own /tmp)


def write_ca_file(pem: str, path: str) -> str | None:
    """Write the CA bundle ``pem`` to ``path`` atomically (a temp file in the same folder,
    then a rename: a process reading it never sees half a file); None when no CA is given."""
    pem = pem.strip()
    if not pem:
        return None
    if "\\n" in pem and "\n" not in pem:  # a platform that kept the newlines escaped
        pem = pem.replace("\\n", "\n")
    try:
        ssl.create_default_context(cadata=pem)
    except (ssl.SSLError, ValueError):
        _refuse(
            "SUPERSET_CA_CERT does not hold a PEM certificate (-----BEGIN CERTIFICATE-----); "
            "give it the CA of the managed databases (App Platform: ${metadata.CA_CERT}), "
            "or leave it empty"
        )
    folder = os.path.dirname(path) or "."
    tmp = ""
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ca.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(pem + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
        _refuse(
            f"cannot write the CA certificate to {path} ({exc.strerror}); "
            "set SUPERSET_CA_CERT_FILE to a writable path"
        )
    return path


CA_CERT_FILE = write_ca_file(
    os.environ.get("SUPERSET_CA_CERT", ""), _env("SUPERSET_CA_CERT_FILE", DEFAULT_CA_CERT_FILE)
)


# --- metadata database --------------------------------------------------------------------------


def metadata_url(value: str, *, dev: bool, ca_file: str | None = None) -> str:
    """The SQLAlchemy URL of the metadata DB, checked; ``postgres://`` gets the psycopg2 driver."""
    if not value:
        _refuse("SUPERSET_METADATA_DB_URL is not set (the SQLAlchemy URL of the metadata database)")
    try:
        parts = urlsplit(value)
    except ValueError:
        _refuse("SUPERSET_METADATA_DB_URL is not a valid URL")
        raise  # unreachable: for type checkers
    scheme = parts.scheme
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg2"
    if not scheme.startswith("postgresql"):
        if not dev:
            _refuse(
                f"SUPERSET_METADATA_DB_URL must be a PostgreSQL URL outside dev (got {scheme}://)"
            )
        return urlunsplit(parts._replace(scheme=scheme))
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if ca_file and query.get("sslmode", "") in ("", "require"):
        # a CA is given: verify the server (the URL App Platform binds says require)
        query["sslmode"] = "verify-full"
    if ca_file and query.get("sslmode", "").startswith("verify"):
        query.setdefault("sslrootcert", ca_file)
    sslmode = query.get("sslmode", "")
    if not dev and sslmode not in _TLS_SSLMODES:
        _refuse(
            "SUPERSET_METADATA_DB_URL must use TLS outside dev: add ?sslmode=require "
            f"(or verify-ca / verify-full); got sslmode={sslmode or 'unset'} "
            f"in SUPERSET_ENV={SUPERSET_ENV}"
        )
    return urlunsplit(parts._replace(scheme=scheme, query=urlencode(query)))


SQLALCHEMY_DATABASE_URI = metadata_url(
    _env("SUPERSET_METADATA_DB_URL"), dev=IS_DEV, ca_file=CA_CERT_FILE
)
SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
if SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
    SQLALCHEMY_ENGINE_OPTIONS["connect_args"] = {
        "connect_timeout": int(_env("SUPERSET_METADATA_DB_CONNECT_TIMEOUT", "5")),
        # Superset's list queries join owners, tags and dashboards with row estimates so far
        # off that PostgreSQL JIT-compiles them: ~0.6 s of compiling for a 28-chart list
        # (EXPLAIN ANALYZE: JIT 618 ms, execution 0.6 ms without). Metadata queries are small.
        "options": "-c jit=off",
    }


# --- Redis: cache, results backend, Celery ------------------------------------------------------


def redis_url(value: str, *, ca_file: str | None = None) -> str:
    """``REDIS_URL`` as every client here takes it: a ``rediss://`` URL states its certificate
    policy (``ssl_cert_reqs=required``: Celery refuses one without), and with a CA it verifies
    the server against it, host name included. redis-py, kombu (the broker) and Celery's
    result backend all read these query parameters."""
    if not value.startswith("rediss://"):
        return value
    parts = urlsplit(value)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.setdefault("ssl_cert_reqs", "required")
    if ca_file:
        query.setdefault("ssl_ca_certs", ca_file)
        query.setdefault("ssl_check_hostname", "true")
    return urlunsplit(parts._replace(query=urlencode(query)))


REDIS_URL = redis_url(_env("REDIS_URL"), ca_file=CA_CERT_FILE)


def _cache(prefix: str, timeout: int) -> dict[str, Any]:
    return {
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"superset_{prefix}_",
        "CACHE_DEFAULT_TIMEOUT": timeout,
    }


# Without Redis, Superset's defaults stay: no chart cache, filter state in the metadata DB.
if REDIS_URL:
    CACHE_CONFIG = _cache("meta", 300)
    DATA_CACHE_CONFIG = _cache("data", 3600)
    FILTER_STATE_CACHE_CONFIG = _cache("filter", 86400)
    EXPLORE_FORM_DATA_CACHE_CONFIG = _cache("explore", 86400)
    THUMBNAIL_CACHE_CONFIG = _cache("thumb", 86400)

CELERY_BEAT_SCHEDULER_EXPIRES = timedelta(weeks=1)  # Superset's default, said once here

if REDIS_URL:

    def _every_minute() -> Any:
        try:
            from celery.schedules import crontab
        except ImportError:  # checking the config without the runtime
            return timedelta(minutes=1)
        return crontab(minute="*", hour="*")

    def _daily() -> Any:
        try:
            from celery.schedules import crontab
        except ImportError:
            return timedelta(days=1)
        return crontab(minute=0, hour=0)

    class CeleryConfig:
        broker_url = REDIS_URL
        result_backend = REDIS_URL
        imports = ("superset.sql_lab", "superset.tasks.scheduler")
        worker_prefetch_multiplier = 1
        task_acks_late = False
        # What beat sends (Superset's own schedule: a CELERY_CONFIG replaces it whole, and
        # without it beat runs and schedules nothing): alerts and reports every minute,
        # their log pruned daily.
        beat_schedule = {
            "reports.scheduler": {
                "task": "reports.scheduler",
                "schedule": _every_minute(),
                # reports.scheduler reads the send time back as expires minus this
                "options": {"expires": int(CELERY_BEAT_SCHEDULER_EXPIRES.total_seconds())},
            },
            "reports.prune_log": {"task": "reports.prune_log", "schedule": _daily()},
        }

    CELERY_CONFIG = CeleryConfig

    def _celery_keeps_this_logging() -> None:
        """The worker and beat log like the web service (stdout, SUPERSET_LOG_LEVEL): with a
        receiver on ``setup_logging`` Celery leaves logging alone, where its own set-up would
        drop the root logger to WARNING and hide "ready." and every task line."""
        try:
            from celery.signals import setup_logging
        except ImportError:  # checking the config without the runtime
            return

        def _as_configured(**_: Any) -> None:
            return None

        setup_logging.connect(_as_configured, weak=False)

    _celery_keeps_this_logging()

    def _results_backend() -> Any:
        from cachelib.redis import RedisCache
        from redis import Redis

        return RedisCache(host=Redis.from_url(REDIS_URL), key_prefix="superset_results_")

    RESULTS_BACKEND = _results_backend()
else:
    CELERY_CONFIG = None


# --- security -----------------------------------------------------------------------------------

WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = int(timedelta(days=7).total_seconds())
TALISMAN_ENABLED = True
# TLS ends at the load balancer: redirecting here would break its plain-HTTP health checks.
_TALISMAN_CSP = {
    "base-uri": ["'self'"],
    "default-src": ["'self'"],
    "img-src": ["'self'", "blob:", "data:"],
    "worker-src": ["'self'", "blob:"],
    "connect-src": ["'self'"],
    "object-src": "'none'",
    "style-src": ["'self'", "'unsafe-inline'"],
    "font-src": ["'self'", "data:"],
    "script-src": ["'self'", "'strict-dynamic'"],
}
TALISMAN_CONFIG = {
    "content_security_policy": _TALISMAN_CSP,
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": not IS_DEV,
}
TALISMAN_DEV_CONFIG = TALISMAN_CONFIG
SESSION_COOKIE_SECURE = not IS_DEV
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Behind DigitalOcean's load balancer the client address and scheme come in X-Forwarded-*.
ENABLE_PROXY_FIX = _flag("SUPERSET_PROXY_FIX", not IS_DEV)
PREVENT_UNSAFE_DB_CONNECTIONS = True
CONTENT_SECURITY_POLICY_WARNING = False


# --- embedded dashboards ------------------------------------------------------------------------
# On when SUPERSET_GUEST_TOKEN_SECRET is set (the local stack generates one). Guest tokens are
# signed with that secret, never with SECRET_KEY: a leaked guest secret must not forge sessions.
# The broker (`supersetctl embed serve`) is the only caller of the guest-token API; the hook
# below is the second gate. Host pages may frame Superset only from SUPERSET_EMBED_ALLOWED_ORIGINS.

DEV_EMBED_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*")
MAX_GUEST_TOKEN_SECONDS = 900
_ORIGIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:/*[]")


def embed_origins(raw: str, *, dev: bool) -> list[str]:
    """The host origins allowed to frame Superset (comma or space separated)."""
    origins = [o.strip().rstrip("/") for o in raw.replace(",", " ").split() if o.strip()]
    for origin in origins:
        if (
            not origin.startswith(("https://", "http://"))
            or "/" in origin.split("://", 1)[1]
            or not set(origin) <= _ORIGIN_CHARS
            or origin.split("://", 1)[1] in ("*", "")
        ):
            _refuse(
                f"SUPERSET_EMBED_ALLOWED_ORIGINS: {origin!r} is not an origin "
                "(scheme://host[:port], no path, no bare *)"
            )
    if not origins and dev:
        return list(DEV_EMBED_ORIGINS)
    return origins


def guest_token_secret(value: str, secret_key: str) -> str:
    """The guest-token signing secret, checked like SECRET_KEY and never equal to it."""
    if not value:
        return ""
    if value == secret_key:
        _refuse(
            "SUPERSET_GUEST_TOKEN_SECRET equals SUPERSET_SECRET_KEY; generate a separate one "
            "with `openssl rand -base64 42`"
        )
    if value in KNOWN_DEFAULT_SECRET_KEYS or value == "test-guest-secret-change-me":
        _refuse("SUPERSET_GUEST_TOKEN_SECRET is a published default; generate a new one")
    if len(value.encode("utf-8")) < MIN_SECRET_KEY_BYTES:
        _refuse(f"SUPERSET_GUEST_TOKEN_SECRET is shorter than {MIN_SECRET_KEY_BYTES} bytes")
    return value


_GUEST_SECRET = guest_token_secret(os.environ.get("SUPERSET_GUEST_TOKEN_SECRET", ""), SECRET_KEY)
EMBEDDING = bool(_GUEST_SECRET)
EMBED_ALLOWED_ORIGINS = embed_origins(_env("SUPERSET_EMBED_ALLOWED_ORIGINS"), dev=IS_DEV)
if EMBEDDING and not EMBED_ALLOWED_ORIGINS:
    _refuse(
        "embedding is on (SUPERSET_GUEST_TOKEN_SECRET is set) but SUPERSET_EMBED_ALLOWED_ORIGINS "
        "is empty: name the host origins that may frame Superset (https://erp.example.com)"
    )
if EMBEDDING:
    GUEST_TOKEN_JWT_SECRET = _GUEST_SECRET
    GUEST_TOKEN_JWT_ALGO = "HS256"
    # Superset's default audience is the host of the request that minted the token: a broker
    # reaching Superset at an internal URL would mint tokens the browser's host refuses
    GUEST_TOKEN_JWT_AUDIENCE = _env("SUPERSET_EMBED_AUDIENCE") or f"superset-{SUPERSET_ENV}"
    GUEST_ROLE_NAME = _env("SUPERSET_GUEST_ROLE", "embed_guest")
    GUEST_TOKEN_JWT_EXP_SECONDS = min(
        int(_env("SUPERSET_EMBED_GUEST_SECONDS", "300")), MAX_GUEST_TOKEN_SECONDS
    )
    _TALISMAN_CSP["frame-ancestors"] = ["'self'", *EMBED_ALLOWED_ORIGINS]
    # frame-ancestors decides; X-Frame-Options cannot name other origins
    TALISMAN_CONFIG["frame_options"] = None
# embedded uuids the hook accepts (empty: any dashboard Superset lets the broker embed)
EMBED_DASHBOARDS = frozenset(
    u.strip() for u in _env("SUPERSET_EMBED_DASHBOARDS").replace(",", " ").split() if u.strip()
)


def guest_token_refusal(body: dict[str, Any], allowed: frozenset[str]) -> str | None:
    """Why a guest-token request breaks the embedding policy, or None: one dashboard,
    allowlisted when a list is given; at least one RLS rule; every rule names a dataset and is
    ``column = <int>`` (the broker renders nothing else)."""
    resources = body.get("resources") or []
    if len(resources) != 1 or resources[0].get("type") != "dashboard":
        return "exactly one dashboard resource"
    if allowed and str(resources[0].get("id")) not in allowed:
        return "dashboard not in SUPERSET_EMBED_DASHBOARDS"
    rules = body.get("rls") or []
    if not rules:
        return "no RLS rule"
    for rule in rules:
        if not rule.get("dataset"):
            return "an RLS rule without a dataset (it would apply to every dataset)"
        column, sep, value = str(rule.get("clause", "")).partition(" = ")
        if not sep or not column.isidentifier() or not value.isdigit():
            return "an RLS clause other than `column = <int>`"
    return None


def _dashboard_datasets_covered(body: dict[str, Any]) -> bool:
    """Every dataset the dashboard's charts read has a rule (else its rows go unfiltered)."""
    from superset.daos.dashboard import EmbeddedDashboardDAO
    from superset.models.dashboard import Dashboard

    ref = str(body["resources"][0]["id"])
    embedded = EmbeddedDashboardDAO.find_by_id(ref)
    dashboard = embedded.dashboard if embedded else Dashboard.get(ref)
    if dashboard is None:
        return False
    named = {str(rule["dataset"]) for rule in body["rls"]}
    return all(str(ds.id) in named for ds in dashboard.datasources)


def GUEST_TOKEN_VALIDATOR_HOOK(body: dict[str, Any]) -> bool:  # the name Superset looks for
    log = logging.getLogger("superset_config.embed")
    reason = guest_token_refusal(body, EMBED_DASHBOARDS)
    if reason is None:
        try:
            if not _dashboard_datasets_covered(body):
                reason = "a dataset of the dashboard has no RLS rule"
        except Exception:  # fail closed, say so
            log.warning("guest token refused: the dashboard cannot be checked", exc_info=True)
            return False
    if reason:
        log.warning("guest token refused: %s", reason)
        return False
    return True


# --- REST API -------------------------------------------------------------------------------------

# A list page costs Superset ~50 ms of authentication and permission checks whatever its size,
# and ~0.1 ms a row: provisioning lists every asset on every run, so it may ask for up to this
# many rows a page (Flask-AppBuilder's default is 100: 31 requests for 3,000 charts). The UI
# asks for 25 at a time and is unchanged.
FAB_API_MAX_PAGE_SIZE = 5000

# Flask-AppBuilder's security REST API (/api/v1/security/roles/, permissions-resources/,
# groups/): how `supersetctl apply` provisions roles from infra/superset/provisioning/roles/.
# Superset 6.1 defaults to True; said here so that a change of default cannot turn it off.
FAB_ADD_SECURITY_API = True


# --- feature flags ------------------------------------------------------------------------------


def feature_flags(raw: str) -> dict[str, bool]:
    """Defaults, then ``SUPERSET_FEATURE_FLAGS`` (``NAME=true,OTHER=false``) on top."""
    flags = {
        "DASHBOARD_RBAC": True,
        "ENABLE_TEMPLATE_PROCESSING": False,
        "EMBEDDED_SUPERSET": EMBEDDING,
        "ALERT_REPORTS": bool(REDIS_URL),
        "THUMBNAILS": False,
    }
    for item in filter(None, (p.strip() for p in raw.split(","))):
        name, _, value = item.partition("=")
        flags[name.strip().upper()] = value.strip().lower() in ("1", "true", "yes", "on", "")
    return flags


FEATURE_FLAGS = feature_flags(_env("SUPERSET_FEATURE_FLAGS"))
if FEATURE_FLAGS["EMBEDDED_SUPERSET"] and not EMBEDDING:
    _refuse(
        "EMBEDDED_SUPERSET is on but SUPERSET_GUEST_TOKEN_SECRET is not set: guest tokens "
        "would be signed with Superset's published default secret"
    )


# --- logging: everything to stdout --------------------------------------------------------------

LOG_LEVEL = getattr(logging, _env("SUPERSET_LOG_LEVEL", "INFO").upper(), logging.INFO)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ENABLE_TIME_ROTATE = False


class StdoutLoggingConfigurator:
    """One stdout handler on the root logger (what container platforms collect)."""

    def configure_logging(self, app_config: Any, debug_mode: bool) -> None:
        root = logging.getLogger()
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter(app_config["LOG_FORMAT"]))
        root.handlers[:] = [handler]
        root.setLevel(app_config["LOG_LEVEL"])
        logging.getLogger("werkzeug").setLevel(logging.WARNING)


LOGGING_CONFIGURATOR = StdoutLoggingConfigurator()


# --- the JSON health endpoint -------------------------------------------------------------------

HEALTH_PATHS = ("/health", "/healthcheck")


def health_payload(checks: dict[str, bool]) -> tuple[dict[str, Any], int]:
    """The body and status for a set of named checks (True: passed)."""
    failed = sorted(name for name, ok in checks.items() if not ok)
    if failed:
        return {"status": "ERROR", "failed": failed}, 503
    return {"status": "OK"}, 200


def _metadata_db_ok() -> bool:
    try:
        from sqlalchemy import text
        from superset.extensions import db

        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        logging.getLogger("superset_config.health").warning(
            "health: the metadata database does not answer", exc_info=False
        )
        return False


def FLASK_APP_MUTATOR(app: Any) -> None:  # the name Superset looks for
    """Answer /health and /healthcheck with JSON, before Superset's own text view."""
    from flask import Response, request

    @app.before_request
    def _json_health() -> Any:
        if request.path not in HEALTH_PATHS:
            return None
        body, status = health_payload({"metadata_db": _metadata_db_ok()})
        response = Response(json.dumps(body), status=status, mimetype="application/json")
        response.headers["Cache-Control"] = "no-store"
        return response

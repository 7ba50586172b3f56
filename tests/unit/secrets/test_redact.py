"""Redaction as a service: registered values, URI and conninfo passwords, token shapes, data."""

from __future__ import annotations

import io
import logging
import secrets

from supersetctl import redact
from supersetctl.secrets.names import is_secret_name


def test_register_and_redact_keep_working() -> None:
    value = "pw-" + secrets.token_hex(8)
    redact.register(value)
    assert redact.redact(f"connecting with {value}") == "connecting with ***"
    redact.clear()
    assert value in redact.redact(f"connecting with {value}")


def test_uri_and_conninfo_passwords() -> None:
    pw = "p@ss!" + secrets.token_hex(6)
    redact.register_uri(f"host=db user=ro password={secrets.token_hex(6)}x dbname=odoo")
    assert "password=***" in redact.redact("host=db password=abc123secret dbname=odoo")
    quoted = f"Conn(password='{secrets.token_hex(6)}')"
    assert redact.redact(quoted) == "Conn(password='***')"
    text = redact.redact(f"postgresql+psycopg://ro:{pw}@db/odoo failed")
    assert pw not in text and "ro:***@db" in text


def test_token_shapes_are_masked_without_registration() -> None:
    tokens = [
        "dop_v1_" + secrets.token_hex(32),
        "ghp_" + secrets.token_hex(18),
        "github_pat_" + secrets.token_hex(20),
        "xoxb-" + secrets.token_hex(12),
        "sb_secret_" + secrets.token_hex(16),
        "sbp_" + secrets.token_hex(20),
    ]
    for token in tokens:
        assert token not in redact.redact(f"token {token} refused"), token[:4]


def test_register_env_and_mapping() -> None:
    env = {
        "PGPASSWORD": "pw-" + secrets.token_hex(8),
        "SUPERSET_SECRET_KEY": secrets.token_hex(16),
        "DATABASE_URL": f"postgresql://u:{secrets.token_hex(6)}zz@h/db",
        "PGHOST": "db.internal",
        "SLACK_BOT_TOKEN": "${SLACK_BOT_TOKEN}",
    }
    assert redact.register_env(env) == 2
    masked = redact.redact(" ".join(env.values()))
    assert env["PGPASSWORD"] not in masked
    assert env["SUPERSET_SECRET_KEY"] not in masked
    assert "db.internal" in masked and "${SLACK_BOT_TOKEN}" in masked


def test_redact_data_masks_secret_keys_and_strings() -> None:
    pw = "pw-" + secrets.token_hex(8)
    plan = {
        "database": {"name": "odoo", "password": pw, "api_key": "${API_KEY}"},
        "steps": [f"connect postgresql://ro:{pw}@db/odoo", ("keep", 3)],
    }
    out = redact.redact_data(plan)
    assert out["database"] == {"name": "odoo", "password": "***", "api_key": "${API_KEY}"}
    assert pw not in repr(out)
    assert out["steps"][1] == ("keep", 3)


def test_logging_filter_masks_messages_and_tracebacks() -> None:
    secret = "pw-" + secrets.token_hex(8)
    redact.register(secret)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(redact.RedactingFilter())
    log = logging.getLogger("test-redact")
    log.addHandler(handler)
    try:
        log.warning("login with %s failed", secret)
        try:
            raise RuntimeError(f"bad secret {secret}")
        except RuntimeError:
            log.exception("boom")
    finally:
        log.removeHandler(handler)
    assert secret not in stream.getvalue()
    assert "***" in stream.getvalue()


def test_the_working_directory_is_no_secret() -> None:
    assert not is_secret_name("PWD")
    assert not is_secret_name("OLDPWD")
    assert is_secret_name("DB_PWD")


def test_the_pieces_of_a_password_with_an_unencoded_at_are_masked() -> None:
    tail = "Secr3t" + secrets.token_hex(6)
    password = "Sup3r@" + tail
    redact.register_uri("postgresql://odoo:" + password + "@127.0.0.1:5432/odoo")
    # libpq splits at the first @ and names the rest as the host
    assert tail not in redact.redact(f'could not translate host name "{tail}@127.0.0.1"')

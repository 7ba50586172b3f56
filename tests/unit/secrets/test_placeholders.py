"""The one placeholder policy: every documented form, and values that are not placeholders."""

from __future__ import annotations

import pytest

from supersetctl.secrets import is_placeholder

PLACEHOLDERS = [
    "",
    "${SUPERSET_SECRET_KEY}",
    "${PGPASSWORD:?set PGPASSWORD}",
    "${PGPASSWORD?missing}",
    "${PGPASSWORD:-}",
    "${PGPASSWORD:-changeme}",
    "${PGPASSWORD:-${OTHER}}",
    "$PGPASSWORD",
    "$(cat /run/secrets/pg)",
    "${{ secrets.DIGITALOCEAN_TOKEN }}",
    "{{ env('PGPASSWORD') }}",
    "{password}",
    "{cfg.password}",
    "%(password)s",
    "EV[1:Zm9v:YmFy]",
    "ENC[AES256_GCM,data:abc,type:str]",
    "<password>",
    "<your DigitalOcean token>",
    "__SET_ME__",
    "__DB_PASSWORD__",
    "changeme",
    "change-me",
    "CHANGE_ME",
    "CHANGE_ME_PLEASE",
    "your-token-here",
    "your_api_key",
    "YOUR_PASSWORD",
    "xxxx",
    "XXXXXXXXXX",
    "xxxx-xxxx-xxxx",
    "***",
    "...",
    "'${QUOTED}'",
    '"<quoted>"',
    "${PGUSER}:${PGPASSWORD}",
]

NOT_PLACEHOLDERS = [
    "hunter22",
    "s3cr3t-value",
    "${PGPASSWORD:-hunter22}",
    "prefix${VAR}",
    "password",
    "example",
    "xoxo1234",
]


@pytest.mark.parametrize("value", PLACEHOLDERS)
def test_placeholders(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", NOT_PLACEHOLDERS)
def test_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


def test_default_is_checked_like_a_value() -> None:
    assert is_placeholder("${A:-<set me>}")
    assert not is_placeholder("${A:-Zq9vX2pL7w}")

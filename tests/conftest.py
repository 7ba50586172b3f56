"""Session-wide guards: a clean environment, and no secret registered across tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from supersetctl import redact

# Shared server fixtures (each starts its server once per session, on demand).
pytest_plugins = [
    "tests.support.helpers",
    "tests.support.postgres",
    "tests.support.superset",
    "tests.support.provision",
    "tests.support.registry",
    "tests.support.browser",
    "tests.support.s3",
]

_STRIP_PREFIXES = ("SUPERSET_", "PG", "ODOO_", "GHCR_", "SLACK_", "SUPERSETCTL_")
_STRIP_NAMES = ("DIGITALOCEAN_TOKEN", "DATABASE_URL", "REDIS_URL", "GITHUB_TOKEN",
                "ALERT_WEBHOOK_URL")  # fmt: skip


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(_STRIP_PREFIXES) or name in _STRIP_NAMES:
            monkeypatch.delenv(name, raising=False)
    # no access token kept between tests (nor in the home folder); the tests of the token
    # cache point it at a folder of their own
    monkeypatch.setenv("SUPERSETCTL_TOKEN_CACHE", "off")
    yield


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    redact.clear()
    yield
    redact.clear()

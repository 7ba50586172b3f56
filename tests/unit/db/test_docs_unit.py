"""``db docs`` as a library function, without a database: an unreachable one is a typed,
redacted error naming what failed."""

from __future__ import annotations

import secrets

import pytest

from supersetctl.contract.environment import Environment
from supersetctl.contract.loader import load_env_config
from supersetctl.db.docs import update_readme
from supersetctl.errors import DatabaseError
from supersetctl.local.postgres import free_port
from supersetctl.paths import RepoPaths


def test_an_unreachable_database_is_a_redacted_database_error(repo_copy: RepoPaths) -> None:
    cfg = load_env_config(repo_copy, "dev")
    password = "pw-" + secrets.token_hex(8)
    url = f"postgresql://odoo:{password}@127.0.0.1:{free_port()}/odoo_dev"
    env = Environment("dev", repo_copy, cfg, {cfg.access.admin_url_env: url})
    before = (repo_copy.analytics / "README.md").read_text(encoding="utf-8")
    with pytest.raises(DatabaseError, match=r"^cannot read the view types: ") as exc:
        update_readme(env)
    assert password not in str(exc.value)
    assert (repo_copy.analytics / "README.md").read_text(encoding="utf-8") == before

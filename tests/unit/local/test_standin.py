"""The rehearsal's view of a config gains the Supabase stand-in, unless it declares a source."""

from __future__ import annotations

from supersetctl.contract.loader import load_env_config
from supersetctl.contract.models import DatabaseKind
from supersetctl.local.standin import FILE, KEY, PASSWORD_ENV, declares_source, with_standin
from supersetctl.paths import RepoPaths
from tests.support.helpers import REPO_ROOT


def test_the_stand_in_is_declared_and_its_file_applied() -> None:
    cfg = load_env_config(RepoPaths(REPO_ROOT), "staging")
    assert not declares_source(cfg) and FILE in cfg.provisioning.exclude
    local = with_standin(cfg)
    db = local.databases[KEY]
    assert db.kind == DatabaseKind.supabase and db.password_env == PASSWORD_ENV
    assert db.sslmode.value == "verify-full"
    assert FILE not in local.provisioning.exclude
    assert PASSWORD_ENV in local.secret_names()
    assert local.databases["odoo"] == cfg.databases["odoo"]


def test_a_declared_source_is_left_as_it_is() -> None:
    cfg = with_standin(load_env_config(RepoPaths(REPO_ROOT), "staging"))
    assert with_standin(cfg) is cfg

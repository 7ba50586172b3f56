"""The one PostgreSQL module: finding the binaries, and typed, redacted connection errors
(no server needed)."""

from __future__ import annotations

import secrets
from pathlib import Path

import psycopg
import pytest

from supersetctl import pg, redact
from supersetctl.errors import ConfigError, DatabaseError, LocalStackError
from supersetctl.local.postgres import free_port


def _fake_bindir(root: Path, version: str) -> Path:
    d = root / version / "bin"
    d.mkdir(parents=True)
    for name in ("initdb", "pg_ctl"):
        (d / name).write_text("#!/bin/sh\nexit 0\n")
        (d / name).chmod(0o755)
    (d / "postgres").write_text(f"#!/bin/sh\necho 'postgres (PostgreSQL) {version}.3'\n")
    (d / "postgres").chmod(0o755)
    return d


def test_no_binaries_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(LocalStackError) as exc:
        pg.find_binaries([tmp_path / "nothing"])
    assert "apt-get install postgresql-15" in str(exc.value)
    assert "brew install postgresql@15" in str(exc.value)


def test_prefers_15_then_newest(tmp_path: Path) -> None:
    d13 = _fake_bindir(tmp_path, "13")
    d15 = _fake_bindir(tmp_path, "15")
    d16 = _fake_bindir(tmp_path, "16")
    assert pg.find_binaries([d13, d16, d15]).version == 15
    assert pg.find_binaries([d13, d16]).version == 16
    with pytest.raises(LocalStackError):
        pg.find_binaries([d13])


def test_incomplete_folder_is_skipped(tmp_path: Path) -> None:
    d = _fake_bindir(tmp_path, "15")
    (d / "initdb").unlink()
    with pytest.raises(LocalStackError):
        pg.find_binaries([d])


def test_the_bindir_variable_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _fake_bindir(tmp_path, "14")
    monkeypatch.setenv(pg.BINDIR_ENV, str(d))
    assert pg._candidate_dirs()[0] == d


def test_a_missing_client_binary_says_what_to_install() -> None:
    with pytest.raises(ConfigError, match="postgresql-client"):
        pg.client_binary("pg_nothing_" + secrets.token_hex(4))


def _nowhere(password: str) -> str:
    return f"postgresql://ro:{password}@127.0.0.1:{free_port()}/odoo?sslmode=disable"


def test_a_refused_connection_is_a_redacted_database_error() -> None:
    password = "pw-" + secrets.token_hex(8)
    redact.register(password)
    with pytest.raises(DatabaseError) as exc:
        pg.connect(_nowhere(password), timeout=5, failure="cannot connect as admin")
    assert exc.value.message.startswith("cannot connect as admin: ")
    assert password not in str(exc.value)
    info = {"host": "127.0.0.1", "port": str(free_port()), "user": "meta", "dbname": "superset"}
    with pytest.raises(DatabaseError, match=r"cannot connect to meta@127\.0\.0\.1:\d+/superset"):
        pg.connect(info, timeout=5)


def test_session_and_translated_give_one_typed_error() -> None:
    failing = pg.session(_nowhere("pw"), "could not create database x", error=LocalStackError)
    with pytest.raises(LocalStackError, match=r"^could not create database x: "), failing:
        pass  # pragma: no cover
    secret = "pw-" + secrets.token_hex(8)
    redact.register(secret)
    with pytest.raises(DatabaseError) as exc, pg.translated("planning failed"):
        raise psycopg.errors.InsufficientPrivilege(f"permission denied ({secret})")
    assert exc.value.message == "planning failed: permission denied (***)"
    with pytest.raises(LookupError), pg.translated("planning failed"):
        raise LookupError("not a psycopg error: passes unchanged")


def test_try_connect_reports_instead_of_raising() -> None:
    conn, why = pg.try_connect(_nowhere("pw"))
    assert conn is None and why
    assert "\n" not in why

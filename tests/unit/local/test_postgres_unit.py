"""Finding the PostgreSQL binaries and building connection strings (no server needed)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from supersetctl.errors import LocalStackError
from supersetctl.local.postgres import PostgresInfo, find_binaries, free_port, port_in_use


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
        find_binaries([tmp_path / "nothing"])
    assert "apt-get install postgresql-15" in str(exc.value)
    assert "brew install postgresql@15" in str(exc.value)


def test_prefers_15_then_newest(tmp_path: Path) -> None:
    d13 = _fake_bindir(tmp_path, "13")
    d15 = _fake_bindir(tmp_path, "15")
    d16 = _fake_bindir(tmp_path, "16")
    assert find_binaries([d13, d16, d15]).version == 15
    assert find_binaries([d13, d16]).version == 16
    with pytest.raises(LocalStackError):
        find_binaries([d13])


def test_incomplete_folder_is_skipped(tmp_path: Path) -> None:
    d = _fake_bindir(tmp_path, "15")
    (d / "initdb").unlink()
    with pytest.raises(LocalStackError):
        find_binaries([d])


def test_conninfo_and_dsn_quote_the_password() -> None:
    info = PostgresInfo("127.0.0.1", 5555, "postgres", "p@ss w'rd/")
    assert "password='p@ss w\\'rd/'" in info.conninfo("db1")
    assert "dbname=db1" in info.conninfo("db1")
    url = info.dsn("db1", driver="psycopg2")
    assert url.startswith("postgresql+psycopg2://postgres:p%40ss%20w%27rd%2F@127.0.0.1:5555/db1")
    assert "p@ss" not in repr(info)


def test_port_helpers() -> None:
    port = free_port()
    assert not port_in_use(port)
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        assert port_in_use(port)

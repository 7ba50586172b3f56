"""The embedded PostgreSQL cluster really starts, authenticates, stops and restarts."""

from __future__ import annotations

import psycopg
import pytest

from supersetctl.errors import LocalStackError
from supersetctl.local.postgres import PostgresCluster, PostgresInfo, free_port, port_open

pytestmark = pytest.mark.integration


def test_pg_answers_as_superuser(pg: PostgresInfo) -> None:
    with psycopg.connect(pg.conninfo("postgres")) as conn:
        row = conn.execute("SELECT current_user, current_setting('server_version_num')").fetchone()
    assert row is not None
    assert row[0] == pg.superuser
    assert int(row[1]) >= 140000


def test_dsn_url_works_too(pg: PostgresInfo) -> None:
    with psycopg.connect(pg.dsn("postgres")) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_wrong_password_is_refused(pg: PostgresInfo) -> None:
    bad = PostgresInfo(pg.host, pg.port, pg.superuser, "not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(bad.conninfo("postgres"))


def test_ensure_database_is_idempotent(pg_cluster: PostgresCluster) -> None:
    assert pg_cluster.ensure_database("fixture_probe") is True
    assert pg_cluster.ensure_database("fixture_probe") is False


def test_start_again_is_a_noop_and_status_reports(pg_cluster: PostgresCluster) -> None:
    st = pg_cluster.status()
    assert st.running and st.port == pg_cluster.port and st.pid
    assert pg_cluster.start().port == pg_cluster.port


def test_port_in_use_gives_a_clear_message(pg_cluster: PostgresCluster, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    other = PostgresCluster(
        pg_cluster.base.parent / "other", port=pg_cluster.port, binaries=pg_cluster.binaries
    )
    try:
        with pytest.raises(LocalStackError, match="already in use"):
            other.start()
    finally:
        other.destroy()


def test_stop_and_start_keeps_data(pg_cluster: PostgresCluster) -> None:
    # its own cluster: the shared one stays up for everyone else's tests
    own = PostgresCluster(
        pg_cluster.base.parent / "restart", port=free_port(), binaries=pg_cluster.binaries
    )
    try:
        info = own.start()
        with psycopg.connect(info.conninfo("postgres"), autocommit=True) as conn:
            conn.execute("CREATE TABLE keep_me (v int)")
            conn.execute("INSERT INTO keep_me VALUES (42)")
        assert own.stop() is True
        assert not port_open(own.port)
        assert own.stop() is False
        assert own.init() is False  # an existing cluster is reused, never re-initialised
        own.start()
        with psycopg.connect(info.conninfo("postgres")) as conn:
            assert conn.execute("SELECT v FROM keep_me").fetchall() == [(42,)]
    finally:
        own.destroy()


def test_half_finished_init_is_redone(pg_cluster: PostgresCluster) -> None:
    base = pg_cluster.base.parent / "half"
    (base / "data.partial").mkdir(parents=True)
    (base / "data.partial" / "garbage").write_text("left by an interrupted initdb")
    own = PostgresCluster(base, port=free_port(), binaries=pg_cluster.binaries)
    try:
        assert own.init() is True
        assert not (base / "data.partial").exists()
        assert (base / "data" / "PG_VERSION").is_file()
    finally:
        own.destroy()

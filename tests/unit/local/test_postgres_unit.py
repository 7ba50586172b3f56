"""Connection strings of the local cluster and the port helpers (no server needed)."""

from __future__ import annotations

import socket

from supersetctl.local.postgres import PostgresInfo, free_port, port_in_use


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

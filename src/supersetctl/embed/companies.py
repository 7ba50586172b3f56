"""Which company a host user works for, decided on the server.

- :class:`OdooCompanies` reads ``res_users.company_id`` of an active user from Odoo's database,
  through a read-only role (``SELECT`` on ``res_users`` only; docs/embedding.md has the grant).
  Odoo's "current company" is the user's default company; a user switching companies in
  Odoo's menu does not change what the embedded dashboards show.
- :class:`FileCompanies` reads a YAML map ``users: {USER_ID: COMPANY_ID}`` (tests, demos).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

import psycopg

from supersetctl.errors import ConfigError
from supersetctl.redact import redact, register_uri
from supersetctl.yamlio import load_document

from .errors import Refused

QUERY = "SELECT company_id FROM res_users WHERE id = %s AND active"


class CompanyDirectory(Protocol):
    async def company_of(self, user_id: int) -> int | None: ...

    async def aclose(self) -> None: ...


class FileCompanies:
    def __init__(self, mapping: dict[int, int]) -> None:
        self.mapping = dict(mapping)

    @classmethod
    def load(cls, file: Path, display: str) -> FileCompanies:
        doc = load_document(file, display)
        users = doc.data.get("users") if isinstance(doc.data, dict) else None
        if not isinstance(users, dict):
            raise ConfigError(f"{display} has no `users:` map", path=display, hint="users: {7: 1}")
        out: dict[int, int] = {}
        for user, company in users.items():
            if not str(user).isdigit() or type(company) is not int or company <= 0:
                raise ConfigError(
                    f"{display}: users.{user} must map a user id to a company id (ints)",
                    path=display,
                    line=doc.positions.line(("users", str(user))),
                )
            out[int(user)] = company
        return cls(out)

    async def company_of(self, user_id: int) -> int | None:
        return self.mapping.get(user_id)

    async def aclose(self) -> None:
        return None


class OdooCompanies:
    """One connection, opened on first use, reopened once when it breaks."""

    def __init__(self, dsn: str) -> None:
        register_uri(dsn)
        self._dsn = dsn
        self._conn: psycopg.AsyncConnection[tuple[int | None]] | None = None
        self._lock = asyncio.Lock()

    async def _connect(self) -> psycopg.AsyncConnection[tuple[int | None]]:
        conn: psycopg.AsyncConnection[tuple[int | None]] = await psycopg.AsyncConnection.connect(
            self._dsn, autocommit=True, connect_timeout=5
        )
        return conn

    async def company_of(self, user_id: int) -> int | None:
        async with self._lock:
            for attempt in (1, 2):
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = await self._connect()
                    cur = await self._conn.execute(QUERY, (user_id,))
                    row = await cur.fetchone()
                    return int(row[0]) if row and row[0] is not None else None
                except psycopg.OperationalError as exc:
                    self._conn = None
                    if attempt == 2:
                        raise Refused(
                            503,
                            "companies_unavailable",
                            f"the company mapping cannot be read: {redact(str(exc))[:200]}",
                        ) from None
                except psycopg.Error as exc:
                    raise Refused(
                        503,
                        "companies_unavailable",
                        f"the company mapping cannot be read: {redact(str(exc))[:200]}",
                    ) from None
        return None  # pragma: no cover

    async def aclose(self) -> None:
        if self._conn is not None:
            await self._conn.close()

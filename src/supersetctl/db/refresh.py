"""Refresh the materialized analytics summaries, concurrently (readers are never blocked)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from supersetctl import pg
from supersetctl.contract.environment import Environment
from supersetctl.contract.models import EnvConfig
from supersetctl.errors import DatabaseError

from .admin import check_database, connect_admin
from .ddl import q
from .model import admin_url, internal_schema
from .views import load_templates

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshResult:
    database: str
    timings: tuple[tuple[str, float], ...]  # (view, seconds), in refresh order
    seconds: float
    concurrently: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "database": self.database,
            "concurrently": self.concurrently,
            "views": [{"view": v, "seconds": round(s, 3)} for v, s in self.timings],
            "seconds": round(self.seconds, 3),
        }


def refresh(
    admin_conninfo: str,
    cfg: EnvConfig,
    *,
    concurrently: bool = True,
    only: list[str] | None = None,
    analytics_dir: Path | None = None,
) -> RefreshResult:
    """``REFRESH MATERIALIZED VIEW [CONCURRENTLY]`` every summary (or ``only`` these), as the
    owner role, in the templates' order. Each refresh commits on its own."""
    from .model import default_analytics_dir

    started = time.monotonic()
    dbname = check_database(cfg, admin_conninfo)
    internal = internal_schema(cfg.access.analytics_schema)
    order = [
        t.name
        for t in load_templates(analytics_dir or default_analytics_dir())
        if t.kind == "materialized"
    ]
    timings: list[tuple[str, float]] = []
    with connect_admin(admin_conninfo, autocommit=True) as conn, pg.translated("refresh failed"):
        present = {
            str(r[0])
            for r in conn.execute(
                "SELECT matviewname FROM pg_matviews WHERE schemaname = %s", (internal,)
            )
        }
        unknown = sorted(set(only or []) - set(order))
        if unknown:
            raise DatabaseError(f"not a materialized analytics view: {', '.join(unknown)}")
        todo = [n for n in order if n in present and (not only or n in only)]
        if not todo:
            raise DatabaseError(
                f"no materialized views in {internal}", hint="run `supersetctl db apply` first"
            )
        conn.execute(f"SET ROLE {q(cfg.access.owner_role)}")
        how = "CONCURRENTLY " if concurrently else ""
        for name in todo:
            t0 = time.monotonic()
            conn.execute(f"REFRESH MATERIALIZED VIEW {how}{q(internal)}.{q(name)}")
            timings.append((name, time.monotonic() - t0))
            log.info("refreshed %s.%s in %.2fs", internal, name, timings[-1][1])
        conn.execute("RESET ROLE")
    return RefreshResult(dbname, tuple(timings), time.monotonic() - started, concurrently)


def refresh_env(
    env: Environment, *, concurrently: bool = True, only: list[str] | None = None
) -> RefreshResult:
    """:func:`refresh` for an environment: the admin URL from its variables."""
    cfg = env.config
    return refresh(
        admin_url(cfg, env.environ),
        cfg,
        concurrently=concurrently,
        only=only,
        analytics_dir=env.paths.analytics,
    )

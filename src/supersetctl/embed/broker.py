"""The broker's one decision: may this caller have a guest token for this dashboard, and
with which row filters. Framework-free (``app.py`` puts it on HTTP).

For each request, in order, failing closed at the first refusal:

1. the caller token is verified (:func:`~supersetctl.embed.caller.verify_caller`): who;
2. the dashboard must be in the allowlist of ``config/<env>/embed.yaml``, by slug or by its
   embedded uuid (which Superset assigns; looked up once per ``cache_seconds``);
3. the user's company comes from the server-side directory (Odoo's ``res_users``);
4. every dataset the dashboard's charts read must be named by the dashboard's RLS template:
   one the template forgets would be shown unfiltered, so the broker refuses to mint at all;
5. the template is rendered with the company id (an ``int``) into dataset-scoped rules, and
   Superset mints the token as the service user (its ``GUEST_TOKEN_VALIDATOR_HOOK`` checks
   again);
6. one JSON audit line: time, user, company, dashboard, rule count, token id (a hash prefix,
   never the token).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from supersetctl.errors import SupersetAPIError
from supersetctl.superset.guest import DatasetRef, GuestTokenClient

from .caller import Identity, verify_caller
from .companies import CompanyDirectory
from .config import Dashboard, EmbedConfig
from .errors import Refused

AUDIT_LOGGER = "supersetctl.embed.audit"
audit_log = logging.getLogger(AUDIT_LOGGER)


@dataclass(frozen=True)
class Minted:
    token: str
    embedded_uuid: str
    token_id: str
    company_id: int
    rules: int


@dataclass(frozen=True)
class _Resolved:
    entry: Dashboard
    embedded_uuid: str
    datasets: tuple[DatasetRef, ...]
    at: float


class Broker:
    def __init__(
        self,
        config: EmbedConfig,
        *,
        caller_secret: str,
        companies: CompanyDirectory,
        superset: GuestTokenClient,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._secret = caller_secret
        self.companies = companies
        self.superset = superset
        self.clock = clock
        self._dashboards: dict[str, _Resolved] = {}  # by entry.dashboard
        self._template_ids: dict[str, tuple[float, tuple[DatasetRef, ...]]] = {}

    async def aclose(self) -> None:
        await self.superset.aclose()
        await self.companies.aclose()

    # ------------------------------------------------------------------ resolution

    async def _resolve(self, entry: Dashboard) -> _Resolved:
        cached = self._dashboards.get(entry.dashboard)
        if cached and self.clock() - cached.at < self.config.cache_seconds:
            return cached
        embedded, domains = await self.superset.embedded(entry.dashboard)
        allowed = {o.rstrip("/") for o in self.config.allowed_origins}
        if not domains or any(d.rstrip("/") not in allowed for d in domains):
            # an embedding without allowed domains lets any site frame it with a valid token
            raise Refused(
                409,
                "embedding_open",
                f"dashboard {entry.dashboard} may be framed by "
                f"{', '.join(domains) or 'any site'}: its allowed domains must be a subset of "
                "allowed_origins",
            )
        datasets = await self.superset.dashboard_datasets(entry.dashboard)
        resolved = _Resolved(entry, embedded, tuple(datasets), self.clock())
        self._dashboards[entry.dashboard] = resolved
        return resolved

    async def _find(self, requested: str) -> _Resolved:
        entry = self.config.entry(requested)
        if entry is not None:
            return await self._resolve(entry)
        # an embedded uuid: which allowlisted dashboard has it
        for candidate in self.config.dashboards:
            try:
                resolved = await self._resolve(candidate)
            except (SupersetAPIError, Refused):
                continue  # not embedded (or not safely): it cannot be the one asked for
            if resolved.embedded_uuid == requested:
                return resolved
        raise Refused(403, "dashboard_not_allowed", "this dashboard is not in the allowlist")

    async def _template(self, name: str) -> tuple[DatasetRef, ...]:
        cached = self._template_ids.get(name)
        if cached and self.clock() - cached[0] < self.config.cache_seconds:
            return cached[1]
        refs = [
            await self.superset.find_dataset(r.dataset) for r in self.config.rls_templates[name]
        ]
        self._template_ids[name] = (self.clock(), tuple(refs))
        return tuple(refs)

    # ------------------------------------------------------------------ the decision

    async def mint(self, caller_token: str, dashboard: str) -> Minted:
        identity: Identity | None = None
        company: int | None = None
        try:
            caller = self.config.caller
            identity = verify_caller(
                caller_token,
                secret=self._secret,
                issuer=caller.issuer,
                audience=caller.audience,
                max_lifetime=caller.max_lifetime_seconds,
                leeway=caller.leeway_seconds,
                clock=self.clock,
            )
            try:
                resolved = await self._find(dashboard)
            except SupersetAPIError as exc:
                raise Refused(502, "superset", exc.message) from None
            company = await self.companies.company_of(identity.user_id)
            if company is None:
                raise Refused(403, "no_company", "the user has no company (or is inactive)")
            rules = await self._rules(resolved, company)
            try:
                token = await self.superset.guest_token(
                    username=f"host-user-{identity.user_id}",
                    embedded_uuid=resolved.embedded_uuid,
                    rls=rules,
                )
            except SupersetAPIError as exc:
                raise Refused(502, "superset", exc.message) from None
        except Refused as refused:
            self._audit("refused", identity, company, dashboard, 0, "", refused.code)
            raise
        token_id = hashlib.sha256(token.encode()).hexdigest()[:16]
        self._audit("minted", identity, company, resolved.entry.dashboard, len(rules), token_id)
        return Minted(token, resolved.embedded_uuid, token_id, company, len(rules))

    async def _rules(self, resolved: _Resolved, company: int) -> list[dict[str, Any]]:
        name = resolved.entry.rls
        try:
            refs = await self._template(name)
        except SupersetAPIError as exc:
            raise Refused(502, "superset", exc.message) from None
        named = {r.id for r in refs}
        unscoped = sorted(d.name for d in resolved.datasets if d.id not in named)
        if unscoped:
            raise Refused(
                409,
                "dataset_not_scoped",
                f"the dashboard reads {', '.join(unscoped)}, which RLS template {name} does not "
                "name: no token is minted until every dataset is filtered",
            )
        templates = self.config.rls_templates[name]
        return [
            {"dataset": ref.id, "clause": rule.render(company)}
            for ref, rule in zip(refs, templates, strict=True)
        ]

    def audit_refusal(self, reason: str) -> None:
        """The audit line of a request refused before it names a caller or a dashboard (no
        bearer token, a body with unknown or invalid fields)."""
        self._audit("refused", None, None, "", 0, "", reason)

    def _audit(
        self,
        event: str,
        identity: Identity | None,
        company: int | None,
        dashboard: str,
        rules: int,
        token_id: str,
        reason: str = "",
    ) -> None:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="milliseconds"),
            "event": event,
            "user": identity.user_id if identity else None,
            "login": identity.login if identity else None,
            "caller_jti": identity.jti if identity else None,
            "company": company,
            "dashboard": dashboard[:80],
            "rls": rules,
            "token_id": token_id or None,
        }
        if reason:
            line["reason"] = reason
        audit_log.info(json.dumps(line, sort_keys=True))

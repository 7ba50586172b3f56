"""The data access model on Odoo's PostgreSQL, and Odoo-shaped seed data.

Stable entry points (other packages call these; all take libpq connection strings or URLs):

- :func:`supersetctl.db.seed.seed_database` ``(conninfo, *, odoo_version=17, scale=1, seed=42,
  end_date=DEFAULT_END_DATE, replace=False) -> SeedSummary``: deterministic Odoo 17/18-shaped
  tables and rows, bulk loaded with COPY; returns at once (``created=False``) when the same
  seed is already there.
- :func:`supersetctl.db.access.apply` ``(admin_conninfo, cfg, passwords, *,
  analytics_dir=None) -> ApplyResult``: roles, grants, company scoping and analytics views, in
  one transaction; a second call changes nothing. ``passwords`` maps login role name ->
  password (:func:`supersetctl.db.model.role_passwords` reads them from the environment).
- :func:`supersetctl.db.access.plan` ``(admin_conninfo, cfg, passwords=None, *,
  analytics_dir=None) -> Plan``: what ``apply`` would run (``plan.script()``, redacted).
- :func:`supersetctl.db.verify.verify` ``(admin_conninfo, cfg, passwords, *,
  analytics_dir=None) -> VerifyReport``: proves every property as each login role;
  :func:`supersetctl.db.verify.require_verified` raises unless it all passed.
- :func:`supersetctl.db.verify.gate_env` ``(env) -> VerifyReport | None``:
  the provisioning gate: where ``flags.strict_read_only`` is on (prod) it runs ``verify`` and
  raises :class:`~supersetctl.errors.DatabaseError` unless everything passed; elsewhere it
  returns None. Call it before provisioning anything.
- :func:`supersetctl.db.access.plan_env` / :func:`~supersetctl.db.access.apply_env` /
  :func:`supersetctl.db.verify.verify_env` / :func:`supersetctl.db.refresh.refresh_env`
  ``(env)``: the same for an :class:`~supersetctl.contract.environment.Environment`, with the
  admin URL and the role passwords read from its variables (what the CLI calls).
- :func:`supersetctl.db.refresh.refresh` ``(admin_conninfo, cfg, *, concurrently=True) ->
  RefreshResult``: refreshes the materialized summaries.
- :func:`supersetctl.db.docs.update_readme` ``(env, *, check=False) -> ReadmeResult``:
  ``infra/superset/analytics/README.md`` from the templates and the live column types.
- :func:`supersetctl.db.seed.seed_target` ``(env) -> str``: where an environment's seed data
  goes (its admin URL; refused unless ``flags.seed_data``).
- :func:`supersetctl.db.model.admin_url` ``(cfg, environ=None) -> str``: the admin URL from the
  variable named by ``access.admin_url_env``.

Connections go through :mod:`supersetctl.pg`: a refusal or a failed statement is a
:class:`~supersetctl.errors.DatabaseError` whose message is redacted.

``analytics_dir`` defaults to ``infra/superset/analytics`` of the repo found from the current
folder. ``cfg`` is a :class:`supersetctl.contract.models.EnvConfig`; the admin URL's database
must be the config's primary database.
"""

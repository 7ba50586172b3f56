"""The data access model on Odoo's PostgreSQL, and Odoo-shaped seed data.

Stable entry points (other packages call these):

- :func:`supersetctl.db.seed.seed_database` ``(conninfo, *, odoo_version=17, scale=1, seed=42,
  end_date=DEFAULT_END_DATE, replace=False) -> SeedSummary``: deterministic Odoo 17/18-shaped
  tables and rows, bulk loaded with COPY; idempotent for the same parameters.
"""

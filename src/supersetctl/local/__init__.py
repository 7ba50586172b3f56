"""The local stack: PostgreSQL and Superset on one machine, without Docker.

- :mod:`supersetctl.local.postgres`: a PostgreSQL cluster in a folder, from the system binaries.
- :mod:`supersetctl.local.superset`: the pinned Superset runtime (venv, bootstrap, gunicorn).
- :mod:`supersetctl.local.stack`: ``up``, ``down``, ``status``, ``logs`` and ``reset``.
"""

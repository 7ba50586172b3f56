"""Shared test support: fixtures, fakes and data generators, for the tests and for bench/.

Everything the tests and the benchmarks share lives here, so neither imports the other:
``bench/`` may import ``tests.support``; nothing imports ``bench``.

- ``helpers``: the repo root, a scratch copy of it, running the CLI, ``need`` (skip, or fail
  in CI), a fake JWT.
- ``postgres``, ``superset``, ``provision``, ``registry``, ``browser``: session fixtures
  around real servers (PostgreSQL, the pinned Superset, a provisioning repo and its source
  database, a local OCI registry, headless Chromium); ``tests/conftest.py`` loads them.
- ``oci``: tiny OCI image layouts built on disk.
- ``fake_do``: an HTTP server speaking DigitalOcean's Apps API.
- ``fake_github``: an HTTP server speaking GitHub's REST API for pull request comments.
- ``workflows``: runs a GitHub workflow's job here, step by step, as Actions would.
- ``s3``: moto's S3 server (``s3_endpoint``).
- ``tls``: a throwaway CA and a server certificate for 127.0.0.1.
- ``secret_corpus``: fake secrets and placeholders generated at run time.
- ``layouts``: a provisioning layout of N datasets / charts / dashboards.
"""

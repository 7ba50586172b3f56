"""The one-off job that creates the first Superset admin on a new app.

``superset db upgrade && superset init`` (the PRE_DEPLOY ``migrate`` job) makes roles, not
users; ``apply``, ``health`` and the health workflow log in as the admin whose name and password
the environment's ``SUPERSET_ADMIN_*`` variables hold. ``deploy --create`` adds this job to the
app it creates:

* kind ``POST_DEPLOY``: it runs once the deployment is live, so the schema and the roles the
  ``migrate`` job made are there (two PRE_DEPLOY jobs have no order between them);
* the username and password are ``SECRET`` envs of the job only (App Platform encrypts them on
  submission); no other component sees them;
* :func:`admin_command` is idempotent: it creates the admin when the username is missing and
  leaves an existing user alone, never resetting a password (``superset fab create-admin``
  does not touch an existing user; the password goes through its prompt on stdin, never on a
  command line). Whether the admin can log in is then proven from outside, by a login;
* after the first deployment is verified, ``deploy --create`` removes the job (and with it the
  admin password) from the app: a job that runs on every deployment would be a standing way to
  create an admin, and the password has no business staying in the app's spec. Plain
  ``deploy`` never adds it: the repo's spec has no such job.
"""

from __future__ import annotations

import copy
from typing import Any

ADMIN_JOB = "create-admin"
USERNAME_KEY = "SUPERSET_ADMIN_USERNAME"
PASSWORD_KEY = "SUPERSET_ADMIN_PASSWORD"
EMAIL_KEY = "SUPERSET_ADMIN_EMAIL"
CREATED = "admin user created"
EXISTS = "admin user exists: its password is left as it is"


def admin_command() -> str:
    """The job's ``run_command``: one POSIX shell line (App Platform runs it with ``sh``)."""
    user, password = f"${USERNAME_KEY}", f"${PASSWORD_KEY}"
    return (
        f': "${{{USERNAME_KEY}:?is not set}}" "${{{PASSWORD_KEY}:?is not set}}"; '
        f'out=$(printf \'%s\\n%s\\n\' "{password}" "{password}" | '
        f'superset fab create-admin --username "{user}" --firstname Superset --lastname Admin '
        f'--email "${{{EMAIL_KEY}:-{user}@admin.invalid}}" 2>&1) || '
        "{ printf '%s\\n' \"$out\" >&2; exit 1; }; "
        f'case "$out" in *"Admin User {user} created."*) echo "{CREATED}";; '
        f'*"User already exists"*) echo "{EXISTS}";; '
        "*) printf '%s\\n' \"$out\" >&2; exit 1;; esac"
    )


def _template(spec: dict[str, Any]) -> dict[str, Any]:
    """The component whose image and size the job borrows: the migration job, else web."""
    for kind in ("jobs", "services", "workers"):
        for comp in spec.get(kind) or []:
            if isinstance(comp.get("image"), dict):
                return dict(comp)
    raise ValueError("the spec runs no image")


def with_admin_job(
    spec: dict[str, Any], username: str, password: str, email: str | None = None
) -> dict[str, Any]:
    """A copy of ``spec`` with the admin job (values in plain text: App Platform encrypts
    SECRET values on submission; never write the result to a file)."""
    new = copy.deepcopy(spec)
    base = _template(new)
    envs: list[dict[str, Any]] = [
        {"key": USERNAME_KEY, "value": username, "type": "SECRET", "scope": "RUN_TIME"},
        {"key": PASSWORD_KEY, "value": password, "type": "SECRET", "scope": "RUN_TIME"},
    ]
    if email:
        envs.append({"key": EMAIL_KEY, "value": email, "scope": "RUN_TIME"})
    job = {
        "name": ADMIN_JOB,
        "kind": "POST_DEPLOY",
        "image": copy.deepcopy(base["image"]),
        "run_command": admin_command(),
        "instance_size_slug": base.get("instance_size_slug") or "apps-s-1vcpu-1gb",
        "envs": envs,
    }
    new["jobs"] = [j for j in new.get("jobs") or [] if j.get("name") != ADMIN_JOB] + [job]
    return new


def without_admin_job(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``spec`` without the admin job (and its secrets)."""
    new = copy.deepcopy(spec)
    jobs = [j for j in new.get("jobs") or [] if j.get("name") != ADMIN_JOB]
    if jobs:
        new["jobs"] = jobs
    else:
        new.pop("jobs", None)
    return new


def has_admin_job(spec: dict[str, Any]) -> bool:
    return any(j.get("name") == ADMIN_JOB for j in spec.get("jobs") or [])

"""The broker's Superset service user, created or updated from the environment's variables.

Users are not a provisioning kind (a user is a person's or a machine's, with a password): the
role is (``infra/superset/provisioning/roles/embed-broker.yaml``, applied by ``apply``), and
this puts one user in it: ``supersetctl embed service-user --env ENV`` reads the user name
and password from the variables ``config/<env>/embed.yaml`` names (``service_user``), the
same ones ``embed serve`` logs in with. Idempotent: a second run finds the user and sets its
password, its one role and ``active`` again (an update, never a second user).

Endpoints (Flask-AppBuilder 5's users API, ``FAB_ADD_SECURITY_API``):
``GET /api/v1/security/users/?q=(filters:!((col:username,opr:eq,value:...)))``,
``POST /api/v1/security/users/``, ``PUT /api/v1/security/users/<id>`` (a password given is
hashed by FAB; the roles given replace the user's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from supersetctl.errors import ConfigError
from supersetctl.superset import SupersetClient
from supersetctl.superset.rison import dumps as rison
from supersetctl.superset.security import list_roles

BROKER_ROLE = "embed_broker"
USERS = "api/v1/security/users/"


@dataclass(frozen=True)
class ServiceUser:
    username: str
    role: str
    action: Literal["created", "updated"]
    user_id: int


def ensure_service_user(
    client: SupersetClient, username: str, password: str, *, role: str = BROKER_ROLE
) -> ServiceUser:
    """Create ``username`` with ``role`` as its only role, or update it to that (password,
    role, active). ConfigError when the role is not on the instance (apply the roles first)."""
    role_id = next((r["id"] for r in list_roles(client) if r.get("name") == role), None)
    if role_id is None:
        raise ConfigError(
            f"role {role} is not on {client.url}: the service user gets that role",
            hint="apply the roles first: `supersetctl apply --env ENV` "
            "(infra/superset/provisioning/roles/)",
        )
    q = rison({"filters": [{"col": "username", "opr": "eq", "value": username}]})
    found = client.request("GET", USERS, params={"q": q}).json().get("result") or []
    body = {"password": password, "active": True, "roles": [int(role_id)]}
    if found:
        pk = int(found[0]["id"])
        client.request("PUT", f"{USERS}{pk}", json=body)
        return ServiceUser(username, role, "updated", pk)
    made = client.request(
        "POST",
        USERS,
        json={
            **body,
            "username": username,
            "first_name": "embed",
            "last_name": "broker",
            "email": f"{username}@supersetctl.invalid",
        },
    ).json()
    return ServiceUser(username, role, "created", int(made["id"]))


__all__ = ["BROKER_ROLE", "ServiceUser", "ensure_service_user"]

"""The managed database clusters a spec attaches, checked before an app is created.

Each ``databases:`` component of the spec with a ``cluster_name`` (``deploy`` writes the
environment's own from ``superset.clusters``) must name a cluster of the account
(``GET /v2/databases``) of the same engine, ``online``; a PostgreSQL component's ``db_name`` and
``db_user`` must exist in it; and when the spec joins a VPC, the cluster must live in that VPC
(its ``private_network_uuid``). App Platform never creates a managed cluster for a spec: a
missing one is an error that names the ``doctl`` command making it.

Only names, engines, states, regions and VPC ids are kept from the API's answer: it also carries
connection strings with passwords, which never leave this module.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from supersetctl.errors import DeployError

from .api import AppsAPI

# App Platform spec engine -> DBaaS engine slug
ENGINES = {
    "PG": "pg",
    "MYSQL": "mysql",
    "REDIS": "redis",
    "VALKEY": "valkey",
    "MONGODB": "mongodb",
    "KAFKA": "kafka",
    "OPENSEARCH": "opensearch",
}
# App Platform region -> a DBaaS datacenter of that region
DATACENTERS = {
    "ams": "ams3",
    "nyc": "nyc3",
    "sfo": "sfo3",
    "fra": "fra1",
    "lon": "lon1",
    "sgp": "sgp1",
    "blr": "blr1",
    "tor": "tor1",
    "syd": "syd1",
}


@dataclass(frozen=True)
class ClusterCheck:
    """One database component of the spec and the cluster it attaches."""

    component: str
    cluster: str
    engine: str
    status: str  # the cluster's status, or "missing"
    region: str | None = None
    vpc: str | None = None
    problem: str | None = None  # what is wrong, with the command that fixes it

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _create_command(cluster: str, engine: str, region: str | None, vpc: str | None) -> str:
    where = f" --region {DATACENTERS.get(region or '', (region or 'fra') + '1')}"
    network = f" --private-network-uuid {vpc}" if vpc else ""
    size = " --size db-s-1vcpu-1gb --num-nodes 1"
    return f"doctl databases create {cluster} --engine {engine}{where}{size}{network}"


def _check(
    db: dict[str, Any], found: dict[str, Any] | None, region: str | None, vpc: str | None
) -> ClusterCheck:
    name, cluster = str(db.get("name")), str(db.get("cluster_name"))
    engine = ENGINES.get(str(db.get("engine") or ""), str(db.get("engine") or "").lower())
    if found is None:
        return ClusterCheck(
            name,
            cluster,
            engine,
            "missing",
            problem=f"no {engine} cluster named '{cluster}' in the account: create it with "
            f"`{_create_command(cluster, engine, region, vpc)}` (or in the console: "
            "Databases > Create)",
        )
    check = ClusterCheck(
        name,
        cluster,
        str(found.get("engine")),
        str(found.get("status") or "unknown"),
        found.get("region"),
        found.get("private_network_uuid"),
    )
    problem = None
    if check.engine != engine:
        problem = f"cluster '{cluster}' runs {check.engine}, the spec attaches it as {engine}"
    elif check.status != "online":
        problem = (
            f"cluster '{cluster}' is {check.status}, not online: wait until "
            f"`doctl databases get {found.get('id')}` says online"
        )
    elif vpc and check.vpc and check.vpc != vpc:
        problem = (
            f"cluster '{cluster}' lives in VPC {check.vpc}, the spec's vpc.id is {vpc}: the app "
            "could not reach its private host; make them the same"
        )
    elif engine in ("pg", "mysql"):
        problem = _missing_db_or_user(db, found)
    return check if problem is None else ClusterCheck(**{**check.as_dict(), "problem": problem})


def _missing_db_or_user(db: dict[str, Any], found: dict[str, Any]) -> str | None:
    cluster_id, cluster = found.get("id"), db.get("cluster_name")
    names = found.get("db_names")
    if db.get("db_name") and isinstance(names, list) and db["db_name"] not in names:
        return (
            f"cluster '{cluster}' has no database '{db['db_name']}': "
            f"`doctl databases db create {cluster_id} {db['db_name']}`"
        )
    users = found.get("users")
    known = (
        {u.get("name") for u in users if isinstance(u, dict)} if isinstance(users, list) else None
    )
    if db.get("db_user") and known is not None and db["db_user"] not in known:
        return (
            f"cluster '{cluster}' has no user '{db['db_user']}': "
            f"`doctl databases user create {cluster_id} {db['db_user']}`"
        )
    return None


def check_clusters(spec: dict[str, Any], api: AppsAPI) -> list[ClusterCheck]:
    """The clusters ``spec``'s database components attach, checked; one API call. Components
    without ``cluster_name`` (App Platform's dev databases) are not listed."""
    attached = [d for d in spec.get("databases") or [] if d.get("cluster_name")]
    if not attached:
        return []
    by_name = {str(c.get("name")): c for c in api.list_clusters()}
    vpc = (spec.get("vpc") or {}).get("id")
    return [
        _check(d, by_name.get(str(d["cluster_name"])), spec.get("region"), vpc) for d in attached
    ]


def require_clusters(checks: list[ClusterCheck]) -> None:
    """A :class:`DeployError` naming every cluster that is missing or not ready."""
    bad = [c for c in checks if c.problem]
    if bad:
        raise DeployError(
            "the managed databases the app attaches are not ready:\n"
            + "\n".join(f"  {c.component} -> {c.problem}" for c in bad),
            hint="nothing was created; fix the clusters and run the command again",
        )

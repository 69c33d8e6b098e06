"""Database rules that span resources: a replica, its source and their parameter groups.

A replica is linked to its source through the property dependency of ``replicateSourceDb`` and to
its parameter group through that of ``parameterGroupName``, which exist even while ARNs are
unknown (a first preview). Each message cites the AWS document behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

try:  # a package for the tests, flat modules for the policy runtime
    from .graph import StackResource
except ImportError:
    from graph import StackResource

INSTANCE = "aws:rds/instance:Instance"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
MAX_REPLICAS_PER_SOURCE = 15
MAX_CROSS_REGION_REPLICAS = 5
#: A cascade spans at most two regions and four instances (the source and three replicas).
MAX_CHAIN_LENGTH = 4
_SECRETS_DOC = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html"
_XREGION_DOC = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html"
_CASCADE_DOC = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PostgreSQL.Replication.ReadReplicas.Cascading.html"
)
_KMS_DOC = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html"
_STANDBY_DOC = "https://www.postgresql.org/docs/current/hot-standby.html#HOT-STANDBY-ADMIN"


def _linked(resource: StackResource, key: str, by_urn: Mapping[str, StackResource], kind: str) -> StackResource | None:
    for urn in resource.property_dependencies.get(key, ()):
        if urn in by_urn and by_urn[urn].type == kind:
            return by_urn[urn]
    return None


def _has(resource: StackResource, key: str) -> bool:
    """Whether an input is set: known, or unknown but fed by another resource's output."""
    return resource.props.get(key) is not None or bool(resource.property_dependencies.get(key))


def _sources(resources: list[StackResource]) -> dict[str, StackResource]:
    """Replica URN -> its source instance (replicas whose source is outside the stack are left out)."""
    by_urn = {r.urn: r for r in resources}
    sources = {}
    for replica in resources:
        if replica.type == INSTANCE and _has(replica, "replicateSourceDb"):
            source = _linked(replica, "replicateSourceDb", by_urn, INSTANCE)
            if source is not None:
                sources[replica.urn] = source
    return sources


def replica_topology(resources: Iterable[StackResource]) -> list[tuple[str, str]]:
    """Replicas RDS would refuse, or could not keep in step, given their sources.

    - The source must not use an RDS-managed master password (no replicas of such a source).
    - At most 15 replicas per source, at most five of them in other regions.
    - A cross-region replica names its region's key; a same-region one names none.
    - A source that is itself a replica keeps automated backups; a chain has at most four instances.
    """
    resources = list(resources)
    sources = _sources(resources)
    by_urn = {r.urn: r for r in resources}
    found: list[tuple[str, str]] = []
    children: dict[str, list[StackResource]] = {}
    for urn, source in sources.items():
        replica = by_urn[urn]
        children.setdefault(source.urn, []).append(replica)
        if source.props.get("manageMasterUserPassword"):
            found.append(
                (
                    urn,
                    f"its source {source.urn} has an RDS-managed master password, which forbids read replicas "
                    f"({_SECRETS_DOC})",
                )
            )
        crosses = bool(replica.region and source.region and replica.region != source.region)
        if crosses and not _has(replica, "kmsKeyId"):
            found.append(
                (urn, f"a cross-region replica of an encrypted source must name a key in {replica.region} ({_KMS_DOC})")
            )
        if not crosses and _has(replica, "kmsKeyId"):
            found.append(
                (urn, f"a same-region replica must not name kmsKeyId; it inherits its source's key ({_KMS_DOC})")
            )
        depth, node = 1, source
        while node.urn in sources:
            depth, node = depth + 1, sources[node.urn]
        if depth + 1 > MAX_CHAIN_LENGTH:
            found.append(
                (
                    urn,
                    f"the replication chain would be {depth + 1} instances long; at most {MAX_CHAIN_LENGTH} "
                    f"({_CASCADE_DOC})",
                )
            )
    for source_urn, replicas in children.items():
        source = by_urn[source_urn]
        remote = [r for r in replicas if r.region and source.region and r.region != source.region]
        if len(replicas) > MAX_REPLICAS_PER_SOURCE:
            found.append(
                (source_urn, f"{len(replicas)} read replicas; RDS allows {MAX_REPLICAS_PER_SOURCE} per source")
            )
        if len(remote) > MAX_CROSS_REGION_REPLICAS:
            found.append(
                (
                    source_urn,
                    f"{len(remote)} cross-region replicas; RDS guarantees {MAX_CROSS_REGION_REPLICAS} per source: "
                    f"cascade them ({_XREGION_DOC})",
                )
            )
        if source_urn in sources and not (source.props.get("backupRetentionPeriod") or 0) >= 1:
            found.append(
                (
                    source_urn,
                    f"a replica that feeds other replicas needs automated backups (retention >= 1) ({_CASCADE_DOC})",
                )
            )
    return found


def _max_connections(group: StackResource | None) -> int | None:
    for parameter in (group.props.get("parameters") if group else None) or []:
        if parameter.get("name") == "max_connections":
            return int(parameter["value"])
    return None


def replica_connections(resources: Iterable[StackResource]) -> list[tuple[str, str]]:
    """Every replica pins ``max_connections`` at least as high as its source does.

    A hot standby whose ``max_connections`` is below its primary's stops replaying WAL; left to
    RDS's default, the limit follows instance memory, so it must be pinned on both sides.
    """
    resources = list(resources)
    by_urn = {r.urn: r for r in resources}
    found = []
    for urn, source in _sources(resources).items():
        replica = by_urn[urn]
        ours = _max_connections(_linked(replica, "parameterGroupName", by_urn, PARAMETER_GROUP))
        theirs = _max_connections(_linked(source, "parameterGroupName", by_urn, PARAMETER_GROUP))
        if ours is None or theirs is None:
            found.append(
                (
                    urn,
                    "max_connections must be pinned in the parameter groups of the replica and its source "
                    f"({_STANDBY_DOC})",
                )
            )
        elif ours < theirs:
            found.append(
                (
                    urn,
                    f"max_connections {ours} is below its source's {theirs}: the standby would stop replaying WAL "
                    f"({_STANDBY_DOC})",
                )
            )
    return found

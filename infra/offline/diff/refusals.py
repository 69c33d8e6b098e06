"""Why a change must not be made, and the way out.

Data stores replaced, deleted or moved by a cascade, resources that cannot be replaced while the
environment runs, and stack configs that describe another environment or database engine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from infra.offline.diff.model import Change, Refusal, stackless_urn

#: Config key naming the environment; it must not change across a promotion (SPEC §4 decision 4).
ENVIRONMENT_KEY = "platform:name"
ENGINE_KEY = "platform:database"
_RESTORE_HINTS = {
    "aws:rds/instance:Instance": "take a manual DB snapshot (aws rds create-db-snapshot), create the new "
    "instance from it (snapshotIdentifier), cut clients over, then retire the old one",
    "aws:rds/cluster:Cluster": "take a cluster snapshot (aws rds create-db-cluster-snapshot) and restore "
    "the new cluster from it (snapshotIdentifier)",
    "aws:elasticache/replicationGroup:ReplicationGroup": "take a backup (aws elasticache create-snapshot) "
    "and seed the new group from it (snapshotName)",
    "aws:s3/bucket:Bucket": "create the new bucket next to the old one, copy the objects (S3 Batch "
    "Replication or aws s3 sync), switch readers and writers, then empty and retire the old bucket",
    "aws:sqs/queue:Queue": "stop producers, let consumers drain the queue, move dead letters back "
    "(aws sqs start-message-move-task), then switch to the new queue",
    "aws:kms/key:Key": "key material cannot be exported: keep the old key until everything encrypted "
    "under it has been re-encrypted under the new one",
    "aws:secretsmanager/secret:Secret": "copy the value into the new secret (get-secret-value, "
    "put-secret-value) and repoint its consumers before the old one is deleted",
    "aws:eks/cluster:Cluster": "back up cluster state (e.g. Velero), build the new cluster alongside "
    "and move workloads over",
    "aws:opensearch/domain:Domain": "take a manual snapshot to S3 and restore it into the new domain",
    "aws:msk/cluster:Cluster": "mirror the topics into the new cluster (MirrorMaker 2) before moving producers",
    "aws:kinesis/stream:Stream": "records cannot be moved: drain consumers and re-publish from the source",
}


#: Types that cannot be replaced while the environment runs, though they hold no data themselves:
#: why, and the way out. A subnet's replacement must reuse its CIDR, which the old subnet holds
#: until it is deleted, and it cannot be deleted while nodes, databases, load balancers or NAT
#: gateways have interfaces in it; its zone (``availabilityZone``/``availabilityZoneId``, both
#: ForceNew in terraform-provider-aws ``vpc_subnet.go``) is what usually changes.
_UNREPLACEABLE = {
    "aws:ec2/subnet:Subnet": (
        "a subnet cannot be replaced while the nodes, databases, load balancers and NAT gateways in it run",
        "keep the subnet's zone: an environment deployed by zone names keeps the legacy "
        "platform:regions[N].availabilityZones; to move it to availabilityZoneIds, list the IDs of the zones "
        "its subnets are in, in the same order (`aws ec2 describe-availability-zones --zone-names "
        "<names> --query 'AvailabilityZones[].[ZoneName,ZoneId]'`), then confirm with `pulumi preview "
        "--diff` that no subnet is replaced: this offline diff cannot see your account's zone mapping "
        "(docs/promotion.md, 'Zone IDs')",
    ),
}


def _short(pair: list[Any]) -> str:
    def text(value: Any) -> str:
        shown = json.dumps(value, sort_keys=True, default=str)
        return shown if len(shown) <= 60 else shown[:57] + "..."

    return f"{text(pair[0])} -> {text(pair[1])}"


def _refusal(change: Change) -> Refusal:
    noun = "data-holding resource" if change.stateful else "protected resource"
    hint = _RESTORE_HINTS.get(
        change.type, "export the data, create the new resource, restore into it, then retire the old one"
    )
    if change.action == "delete":
        reason = f"{noun} {change.type} '{change.name}' is missing from the target program: it would be deleted"
        remedy = (
            f"if it was renamed or moved, add an alias to keep the logical name, e.g. "
            f"opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name={change.name!r})]) (old URN "
            f"{stackless_urn(change.urn)}); if it must go, snapshot and restore: {hint}"
        )
        return Refusal(change, reason, remedy)
    if change.action == "update":
        reason = (
            f"{noun} {change.type} '{change.name}' would be moved onto replaced resources: "
            f"{', '.join(change.changed)} take new IDs from {', '.join(change.cause)}, which are replaced"
        )
        remedy = (
            f"keep what {change.name} runs in (network, security groups, role, key) as in the source "
            f"phase; moving a data store into new infrastructure is a migration: {hint}"
        )
        return Refusal(change, reason, remedy)
    details = ", ".join(
        f"{k}: {_short(change.values.get(k, ['...', '...']))}" if k != "provider" else "provider/region"
        for k in change.forcing
    )
    reason = f"{noun} {change.type} '{change.name}' would be replaced (new, empty copy; old one deleted) by {details}"
    remedy = f"keep {', '.join(change.forcing)} as in the source phase, or snapshot and restore: {hint}"
    if "provider" in change.forcing:
        remedy += "; a region move means a replica in the new region and a failover, never a replacement"
    return Refusal(change, reason, remedy)


def _unreplaceable(change: Change) -> Refusal:
    """A stateless resource that cannot be replaced while the environment runs in it."""
    reason, remedy = _UNREPLACEABLE[change.type]
    details = ", ".join(f"{k}: {_short(change.values.get(k, ['...', '...']))}" for k in change.forcing)
    return Refusal(change, f"{change.type} '{change.name}' would be replaced by {details}: {reason}", remedy)


def check_same_environment(old_config: Mapping[str, str], new_config: Mapping[str, str]) -> str | None:
    """A refusal message when the two stack configs describe different environments, else None."""
    old, new = old_config.get(ENVIRONMENT_KEY), new_config.get(ENVIRONMENT_KEY)
    if not old or not new:
        side = "source" if not old else "target"
        return f"{ENVIRONMENT_KEY} is not set in the {side} stack config; promotion needs the environment's name"
    if old != new:
        return (
            f"refusing to promote: {ENVIRONMENT_KEY} differs ({old!r} -> {new!r}). A promotion moves one "
            f"environment between phase stacks; another name means other physical resources, so every "
            f"database, cache and bucket would be replaced. Set {ENVIRONMENT_KEY}: {old} in the target config."
        )
    return None


def check_same_engine(old_config: Mapping[str, str], new_config: Mapping[str, str]) -> str | None:
    """A refusal message when the two stack configs run different database engines, else None.

    PostgreSQL on RDS and MongoDB on Atlas hold the data in different services and formats: going
    from one to the other copies and converts every record, which no update of resources does.
    """
    from infra.config import parse_value

    def engine(flat: Mapping[str, str]) -> str:
        section = parse_value(flat.get(ENGINE_KEY, "{}"))
        return str(section.get("engine", "postgres")) if isinstance(section, dict) else "postgres"

    old, new = engine(old_config), engine(new_config)
    if old == new:
        return None
    return (
        f"refusing to promote: platform:database.engine differs ({old} -> {new}). Changing the database "
        f"engine is a migration, not a promotion: every record must be copied and converted, and the "
        f"{old} data store would be deleted. Keep engine: {old} in the target config; to move to {new}, run a "
        f"new environment (another platform:name) on {new}, migrate the data, then switch traffic."
    )

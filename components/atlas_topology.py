"""The shape of a MongoDB Atlas cluster as plain data: tiers, regions, topology and backup rules.

No Pulumi or Atlas SDK here, so the config model, the offline diff, capacity and cost use these
tables and checks without importing the Atlas provider (whose SDK import costs a PostgreSQL stack
a third of a second); :mod:`components.atlas_cluster` builds the cluster from them. The
constraints and their sources are listed in :mod:`components.atlas_cluster`'s docstring.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi


@dataclass(frozen=True)
class InstanceSize:
    """One Atlas general-class tier on AWS: memory and vCPUs per node, connection limit per node."""

    ram_gb: int
    vcpus: int
    max_connections: int


#: General-class AWS tiers Atlas offers, as documented on 2026-12-02 (RAM and vCPUs: "Cluster
#: Tiers" on https://www.mongodb.com/docs/atlas/manage-clusters/; connections per node, and per
#: mongos on sharded clusters: https://www.mongodb.com/docs/atlas/reference/atlas-limits/).
#: M0/Flex are shared tiers without private endpoints, customer keys or continuous backup: left out.
ATLAS_INSTANCE_SIZES: dict[str, InstanceSize] = {
    "M10": InstanceSize(2, 2, 1500),
    "M20": InstanceSize(4, 2, 3000),
    "M30": InstanceSize(8, 2, 3000),
    "M40": InstanceSize(16, 4, 6000),
    "M50": InstanceSize(32, 8, 16000),
    "M60": InstanceSize(64, 16, 32000),
    "M80": InstanceSize(128, 32, 96000),
    "M140": InstanceSize(192, 48, 96000),
    "M200": InstanceSize(256, 64, 128000),
    "M300": InstanceSize(384, 96, 128000),
}
ATLAS_INSTANCE_SIZES_AS_OF = "2026-12-02"
#: Major versions a new M10+ cluster can run, as of :data:`ATLAS_INSTANCE_SIZES_AS_OF`
#: (https://www.mongodb.com/docs/atlas/cluster-additional-settings/).
MONGODB_MAJOR_VERSIONS: tuple[str, ...] = ("7.0", "8.0")
CLUSTER_TYPES = frozenset({"REPLICASET", "SHARDED"})
#: The smallest tier of a sharded cluster.
MIN_SHARDED_SIZE = "M30"
MAX_MULTI_REGION_SHARDS = 30
ELECTABLE_TOTALS = frozenset({3, 5, 7})
TOP_PRIORITY = 7
MIN_DISK_GB = 10
TLS_MINIMUM = "TLS1_2"
#: Hourly snapshot interval (hours), one of Atlas's 1/2/4/6/8/12.
HOURLY_INTERVAL = 6
#: Scaling a large cluster or converting it to sharded takes hours.
CLUSTER_TIMEOUTS = pulumi.CustomTimeouts(create="3h", update="6h", delete="3h")
CLUSTER_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
_AWS_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


def atlas_region(region: str) -> str:
    """Atlas's name of an AWS region: ``us-east-1`` -> ``US_EAST_1`` (ValueError if not a region)."""
    if not _AWS_REGION.match(region):
        raise ValueError(f"not an AWS region name: {region!r}")
    return region.upper().replace("-", "_")


def size_rank(size: str) -> int:
    """Position of ``size`` in :data:`ATLAS_INSTANCE_SIZES` (bigger is larger); ValueError if unknown."""
    if size not in ATLAS_INSTANCE_SIZES:
        raise ValueError(f"instance size {size!r}: one of {', '.join(ATLAS_INSTANCE_SIZES)}")
    return list(ATLAS_INSTANCE_SIZES).index(size)


@dataclass(frozen=True)
class RegionNodes:
    """Nodes of one shard in one AWS region.

    Attributes:
        region: AWS region name, e.g. ``us-east-1`` (converted with :func:`atlas_region`).
        electable: Electable nodes here; across regions 3, 5 or 7. The first region listed holds
            the highest priority (the primary). Required.
        read_only: Read-only nodes here. Default: 0.
        analytics: Analytics nodes here (hidden-tagged secondaries for analytical reads). Default: 0.
    """

    region: str
    electable: int
    read_only: int = 0
    analytics: int = 0


def region_priorities(regions: Sequence[RegionNodes]) -> list[int]:
    """Election priority per region, in order: 7, 6, 5... for electable regions, 0 for the others."""
    priorities, next_priority = [], TOP_PRIORITY
    for region in regions:
        if region.electable:
            priorities.append(next_priority)
            next_priority -= 1
        else:
            priorities.append(0)
    return priorities


def topology_problem(
    regions: Sequence[RegionNodes],
    cluster_type: str,
    instance_size: str,
    shards: int,
    analytics_instance_size: str | None = None,
) -> str | None:
    """Why Atlas (or the provider) would refuse this node layout, or None."""
    if cluster_type not in CLUSTER_TYPES:
        return f"cluster_type {cluster_type!r}: one of {sorted(CLUSTER_TYPES)}"
    for size in (instance_size, analytics_instance_size or instance_size):
        if size not in ATLAS_INSTANCE_SIZES:
            return f"instance size {size!r}: one of {', '.join(ATLAS_INSTANCE_SIZES)}"
    if not regions:
        return "at least one region"
    names = [r.region for r in regions]
    if len(set(names)) != len(names):
        return f"regions listed twice: {names}"
    for region in regions:
        atlas_region(region.region)
        if min(region.electable, region.read_only, region.analytics) < 0:
            return f"{region.region}: node counts cannot be negative"
        if not (region.electable or region.read_only or region.analytics):
            return f"{region.region}: a region needs electable, read-only or analytics nodes"
    if not regions[0].electable:
        return "the first region is the primary's: it needs electable nodes"
    electable = sum(r.electable for r in regions)
    if electable not in ELECTABLE_TOTALS:
        return f"{electable} electable nodes per shard: Atlas takes 3, 5 or 7"
    # Priorities must descend: electable regions first, read-only/analytics-only ones (priority 0) after.
    priorities = region_priorities(regions)
    if priorities != sorted(priorities, reverse=True):
        return "regions without electable nodes must come after every electable region"
    if cluster_type == "REPLICASET" and shards != 1:
        return "a replica set has exactly one replication spec (shards=1)"
    if shards < 1:
        return "at least one shard"
    if cluster_type == "SHARDED":
        if size_rank(instance_size) < size_rank(MIN_SHARDED_SIZE):
            return f"a sharded cluster needs {MIN_SHARDED_SIZE} or larger, not {instance_size}"
        if len(regions) > 1 and shards > MAX_MULTI_REGION_SHARDS:
            return f"{shards} shards: a multi-region cluster has at most {MAX_MULTI_REGION_SHARDS}"
    return None


@dataclass(frozen=True)
class ClusterShape:
    """What decides whether one cluster configuration can become another in place."""

    cluster_name: str
    cluster_type: str
    instance_size: str
    shards: int
    regions: tuple[str, ...]
    mongo_major_version: str


def ladder_problem(old: ClusterShape, new: ClusterShape) -> str | None:
    """Why going from ``old`` to ``new`` is not an in-place promotion step of the same cluster, or None.

    Refused: a new name (replaces the cluster), sharded back to a replica set (Atlas cannot), fewer
    shards, a smaller tier, a region dropped or a new primary region (a promotion only adds
    capacity; these move or drain data), a major version downgrade or a skipped major version.
    """
    problems = []
    if old.cluster_name != new.cluster_name:
        problems.append(f"renaming the cluster {old.cluster_name!r} -> {new.cluster_name!r} replaces it")
    if old.cluster_type == "SHARDED" and new.cluster_type == "REPLICASET":
        problems.append("Atlas cannot convert a sharded cluster back to a replica set")
    if new.shards < old.shards:
        problems.append(f"shards {old.shards} -> {new.shards}: removing shards drains data, not a promotion")
    if size_rank(new.instance_size) < size_rank(old.instance_size):
        problems.append(f"tier {old.instance_size} -> {new.instance_size} is a downgrade")
    dropped = [r for r in old.regions if r not in new.regions]
    if dropped:
        problems.append(f"regions {dropped} removed: their nodes and data would go")
    if old.regions and new.regions and old.regions[0] != new.regions[0]:
        problems.append(f"primary region {old.regions[0]} -> {new.regions[0]}: the primary would move")
    old_major, new_major = _major(old.mongo_major_version), _major(new.mongo_major_version)
    if new_major < old_major:
        problems.append(f"MongoDB {old.mongo_major_version} -> {new.mongo_major_version} is a downgrade")
    elif new_major[0] - old_major[0] > 1:
        problems.append(f"MongoDB {old.mongo_major_version} -> {new.mongo_major_version}: one major at a time")
    return "; ".join(problems) or None


def _major(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in version.split("."))


@dataclass(frozen=True)
class BackupPolicy:
    """Retention (in the schedule's units) of each policy item of the cloud backup schedule."""

    hourly_days: int
    daily_days: int
    weekly_weeks: int
    monthly_months: int


def backup_policy(backup_retention_days: int, pitr_window_days: int) -> BackupPolicy:
    """Retentions that keep Atlas's ordering (less frequent items at least as long as more frequent
    ones) and a restore window no longer than the hourly retention."""
    if pitr_window_days < 1:
        raise ValueError("pitr_window_days: a positive number of days")
    if backup_retention_days < pitr_window_days:
        raise ValueError("backup_retention_days must be at least pitr_window_days (hourly <= daily retention)")
    weeks = max(4, math.ceil(backup_retention_days / 7))
    return BackupPolicy(pitr_window_days, backup_retention_days, weeks, max(12, math.ceil(weeks * 7 / 30)))


def select_private_srv(connection_strings: Mapping[str, Any] | None, vpc_endpoint_id: str) -> str:
    """The ``srvConnectionString`` of the private endpoint whose endpoints include ``vpc_endpoint_id``.

    Accepts the output in either key style (the SDK's snake_case or the wire's camelCase). Empty
    when Atlas does not list that endpoint (yet): it does so only once a private endpoint exists in
    every region of the cluster's nodes, so a second ``up`` after the endpoints connect fills it.
    """
    for entry in _field(connection_strings, "private_endpoints", "privateEndpoints") or []:
        ids = {_field(e, "endpoint_id", "endpointId") for e in _field(entry, "endpoints", "endpoints") or []}
        if vpc_endpoint_id in ids:
            return _field(entry, "srv_connection_string", "srvConnectionString") or ""
    return ""


def _field(value: Mapping[str, Any] | None, snake: str, camel: str) -> Any:
    # Membership first: the SDK's output types log a warning when read by their camelCase key.
    if not value:
        return None
    return value[snake] if snake in value else value.get(camel)

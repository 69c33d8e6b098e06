"""The MongoDB Atlas sections: ``platform:database.atlas`` and each region's ``atlasNodes``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from components.atlas_topology import (
    ATLAS_INSTANCE_SIZES,
    ATLAS_INSTANCE_SIZES_AS_OF,
    MIN_DISK_GB,
    MONGODB_MAJOR_VERSIONS,
)
from infra.config.base import _Model

#: MongoDB Atlas: the tiers, versions and limits of ``components/atlas_cluster.py`` (each with its
#: documentation link there). M10 is the smallest tier there, and the smallest with AWS PrivateLink,
#: customer key management (AWS KMS) and continuous cloud backup
#: (https://www.mongodb.com/docs/atlas/security-cluster-private-endpoint/,
#: https://www.mongodb.com/docs/atlas/security-kms-encryption/); sharding needs M30+
#: (https://www.mongodb.com/docs/atlas/cluster-config/sharded-cluster/). Shards: at most 70 per
#: cluster (https://www.mongodb.com/docs/atlas/global-clusters/), 30 across regions (the component).
ATLAS_MAX_SHARDS = 70


def _atlas_size(value: str) -> str:
    if value not in ATLAS_INSTANCE_SIZES:
        raise ValueError(
            f"not an Atlas cluster tier we accept: {', '.join(ATLAS_INSTANCE_SIZES)} (M0/Flex and M2/M5 have no "
            f"PrivateLink, customer-managed KMS or continuous backup; table as of {ATLAS_INSTANCE_SIZES_AS_OF})"
        )
    return value


#: An Atlas cluster tier of :data:`ATLAS_INSTANCE_SIZES`.
AtlasSize = Annotated[str, AfterValidator(_atlas_size)]


class AtlasNodesConfig(_Model):
    """One region's nodes in the MongoDB Atlas cluster, per shard (Atlas repeats them in every
    shard). ``electable``: voting members that can become primary; ``readOnly``: non-voting
    secondaries for local reads; ``analytics``: secondaries tagged for analytics queries, kept out
    of the apps' reads. Defaults when the key is absent: the primary region 3 electable; an active
    region 1 electable and 1 read-only (2 electable when it is the only other one), so 1, 2 and 3
    serving regions total 3, 5 and 5 electable nodes. Atlas requires 3, 5 or 7 electable nodes in
    all, at most 7 per shard, and electable nodes in the highest-priority (first) region
    (https://www.mongodb.com/docs/atlas/cluster-config/multi-cloud-distribution/,
    https://www.mongodb.com/docs/atlas/reference/atlas-limits/).
    """

    electable: Annotated[int, Field(ge=0, le=7)] = 0
    read_only: Annotated[int, Field(ge=0, le=50)] = 0
    analytics: Annotated[int, Field(ge=0, le=50)] = 0


class AtlasAutoScalingConfig(_Model):
    """Atlas auto-scaling, for a team that stays in a phase; off by default (the example stacks keep
    it off). ``minInstanceSize`` and ``maxInstanceSize``: compute auto-scaling between these tiers
    (both or neither; they must contain ``instanceSize`` and ``analyticsInstanceSize``). Default:
    off, the tier changes only through config. ``disk``: storage grows when 90% full. Default:
    false, ``diskSizeGb`` is the disk and the Atlas disk alert (``alerts.diskPercent``) the guard.

    Either kind needs ``shards: 1``: with more than one replication spec the provider's
    ``use_effective_fields`` has no effect, so the next ``up`` would revert what Atlas scaled. While
    either is on, the provider ignores ``instanceSize``/``analyticsInstanceSize``/``diskSizeGb``:
    to resize (or promote), turn it off with the new sizes in one ``up``, then re-enable it; ``diff``
    refuses promotions that would not apply (docs/architecture.md, "MongoDB Atlas variant")."""

    min_instance_size: AtlasSize | None = None
    max_instance_size: AtlasSize | None = None
    disk: bool = False


class AtlasAlertsConfig(_Model):
    """Atlas alert thresholds, the seed guides' (``components/atlas_alerts.py``): CPU 80% of the
    node, connections 80% of the tier's limit, replication lag 60 s, disk 80% full, and a query
    targeting ratio (documents scanned per document returned) of 1000."""

    cpu_percent: Annotated[float, Field(gt=0, le=100)] = 80
    connections_percent: Annotated[float, Field(gt=0, le=100)] = 80
    replication_lag_seconds: Annotated[float, Field(gt=0)] = 60
    disk_percent: Annotated[float, Field(gt=0, le=100)] = 80
    query_targeting_ratio: Annotated[float, Field(ge=1)] = 1000


class AtlasConfig(_Model):
    """MongoDB Atlas, with ``platform:database.engine: mongodb`` (docs/architecture.md, "MongoDB
    Atlas variant"). The project is named ``platform:name``, the cluster ``<name>-mongo``; both are
    fixed once created.

    ``orgId`` (required): the Atlas organisation (24 hex digits) the project is created in.
    ``instanceSize``: tier of electable and read-only nodes, default M10. ``clusterType``:
    ``REPLICASET`` (default) or ``SHARDED`` (M30+, ``shards`` replica sets, default 1). Atlas turns
    a replica set into a one-shard cluster in place, then adds shards; never back.
    ``analyticsInstanceSize``: tier of analytics nodes, default ``instanceSize``.
    ``mongoMajorVersion``: 7.0 or 8.0 (default); upgrades only. ``diskSizeGb``: storage per node,
    default 10 GB (10 to 4096). ``autoScaling``: see :class:`AtlasAutoScalingConfig`.
    ``backupRetentionDays``: daily snapshots kept, default 7; ``pitrWindowDays``: continuous
    (point-in-time) restore window, default 7, at most ``backupRetentionDays``. ``alerts``: see
    :class:`AtlasAlertsConfig`; they mail ``platform:monitoring.alertEmails``.
    """

    org_id: Annotated[str, Field(pattern=r"^[0-9a-f]{24}$")]
    instance_size: AtlasSize = "M10"
    cluster_type: Literal["REPLICASET", "SHARDED"] = "REPLICASET"
    shards: Annotated[int, Field(ge=1, le=ATLAS_MAX_SHARDS)] = 1
    analytics_instance_size: AtlasSize | None = None
    mongo_major_version: Literal[MONGODB_MAJOR_VERSIONS] = "8.0"  # type: ignore[valid-type]
    disk_size_gb: Annotated[int, Field(ge=MIN_DISK_GB, le=4096)] = 10
    auto_scaling: AtlasAutoScalingConfig = AtlasAutoScalingConfig()
    backup_retention_days: Annotated[int, Field(ge=1, le=365)] = 7
    pitr_window_days: Annotated[int, Field(ge=1, le=365)] = 7
    alerts: AtlasAlertsConfig = AtlasAlertsConfig()

    @property
    def analytics_size(self) -> str:
        """Tier of the analytics nodes."""
        return self.analytics_instance_size or self.instance_size

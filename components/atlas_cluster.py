"""MongoDB Atlas cluster (``mongodbatlas.AdvancedCluster``): backups with point-in-time restore,
our KMS key, termination protection, one replication spec per shard, private connection strings.

Atlas constraints this component relies on (provider 2.x schema as bridged by
pulumi-mongodbatlas 4.18.0; ``internal/service/advancedcluster/schema.go`` and ``resource.go`` of
mongodb/terraform-provider-mongodbatlas; the Atlas pages linked):

- Only ``project_id`` and ``name`` force a new cluster (``RequiresReplace`` plan modifiers); every
  other input, including ``cluster_type`` and ``replication_specs``, is a PATCH of the same cluster.
  https://github.com/mongodb/terraform-provider-mongodbatlas/blob/master/internal/service/advancedcluster/schema.go
- ``replication_specs`` has one object per shard (provider 2.x "independent sharding"); a replica
  set has exactly one. Each holds ``region_configs`` with ``electable_specs``, ``read_only_specs``,
  ``analytics_specs``, ``auto_scaling`` and ``analytics_auto_scaling``; electable and read-only
  nodes of a shard share one instance size, analytics nodes may differ. ``disk_size_gb`` must be
  equal for all shards and node types (minimum 10 GB).
  https://registry.terraform.io/providers/mongodb/mongodbatlas/latest/docs/guides/advanced-cluster-new-sharding-schema
- Priorities: the provider refuses ``region_configs`` whose priorities are not in descending order
  (``RegionSpecPriorityOrderDecreasingValidator``); the highest is 7, the next electable regions 6,
  5, ...; a region with only read-only or analytics nodes has priority 0.
- Electable nodes: 3, 5 or 7 per replica set or shard in total across regions (at most 7, an odd
  count so a majority survives), at least one electable region per shard.
  https://www.mongodb.com/docs/atlas/reference/atlas-limits/
  https://www.mongodb.com/docs/atlas/cluster-config/multi-cloud-distribution/
- Tiers: private endpoints, customer key management (``encryption_at_rest_provider``), continuous
  cloud backup and analytics nodes need a dedicated tier (M10+); a sharded cluster needs M30+.
  Converting a replica set to a sharded cluster is an in-place change; Atlas cannot turn a sharded
  cluster back into a replica set. Shards of a multi-region cluster: at most 30 (limits page).
  https://www.mongodb.com/docs/atlas/scale-cluster/#convert-a-replica-set-to-a-sharded-cluster
  https://www.mongodb.com/docs/atlas/security-private-endpoint/
  https://www.mongodb.com/docs/atlas/security-kms-encryption/
- Major versions go up one at a time (``mongo_db_major_version``, "Increase version only by 1
  major version at a time"); :data:`MONGODB_MAJOR_VERSIONS` lists what M10+ clusters offer.
  https://www.mongodb.com/docs/atlas/cluster-additional-settings/
- Encryption at rest with our key: ``encryption_at_rest_provider = "AWS"`` once the project's
  encryption-at-rest configuration is valid (hence ``depends_on``). The schema's description says
  "backupEnabled false or omitted"; that text is carried over from the legacy API, and the
  provider's own AWS example (``examples/mongodbatlas_encryption_at_rest/aws/atlas-cluster``)
  combines ``backup_enabled = true`` with ``encryption_at_rest_provider = "AWS"``: Atlas encrypts
  the snapshots with the key too (Atlas docs, "Encryption at Rest using Customer Key Management").
- Auto-scaling (compute and/or disk), off by default. While either is on, with
  ``use_effective_fields = true`` Atlas's own scaling causes no drift, but the provider then ignores
  ``instance_size``, ``disk_size_gb`` and ``disk_iops`` in the program ("When either compute or
  disk auto-scaling is enabled (or both), all three fields ... are ignored"): a new tier or disk
  size takes effect only in an update that turns auto-scaling off ("Manually Updating Specs with
  use_effective_fields": auto-scaling off + the sizes, apply; then re-enable it). Atlas validates a
  new compute range against the *effective* tier, so raising ``compute_min_instance_size`` above it
  (or lowering the max below it) fails in one apply, whatever ``instance_size`` says ("Adjusting the
  Auto-Scaling Range with use_effective_fields"). Turning disk auto-scaling off fails with
  ``OPLOG_MIN_RETENTION_HOURS_NO_DISK_AUTO_SCALING`` while ``oplog_min_retention_hours`` is
  non-zero (this component never sets it). ``compute_scale_down_enabled`` needs
  ``compute_min_instance_size``; auto-scaling settings must be the same in every region config.
  https://registry.terraform.io/providers/mongodb/mongodbatlas/latest/docs/resources/advanced_cluster#auto_scaling
  https://registry.terraform.io/providers/mongodb/mongodbatlas/latest/docs/resources/advanced_cluster#auto-scaling-with-effective-fields
- More than one replication spec (shards > 1): ``use_effective_fields`` "currently has no effect"
  and the provider recommends not enabling it; Atlas-scaled tiers or disks would then show as drift
  and the next update would send the program's sizes back. So auto-scaling (compute or disk) is
  refused with more than one shard, and ``use_effective_fields`` is set exactly when auto-scaling
  is on (hence with one replication spec): with fixed sizes the specs are what Atlas runs and the
  flag changes nothing. The update that turns auto-scaling off turns the flag off with it; the
  pinned SDK's description of the flag: "If an update toggles auto-scaling on or off, Atlas
  applies the requested spec values in that update". New shards go after the existing specs,
  which stay unchanged and in order (the update correlates specs to shards by list position).
  A promotion that resizes while either phase auto-scales is refused by ``diff``
  (:func:`infra.offline.diff.atlas_cluster_refusals`), which names the two-step procedure.
  https://registry.terraform.io/providers/mongodb/mongodbatlas/latest/docs/resources/advanced_cluster#multi-shard-clusters-and-topology-changes
- Backups: ``backup_enabled`` (cloud backup) and ``pit_enabled`` (continuous cloud backup); the
  schedule is ``mongodbatlas.CloudBackupSchedule``: hourly every 1/2/4/6/8/12 h, daily every day,
  weekly on a weekday 1-7, monthly on a day 1-28; a less frequent item keeps its snapshots at
  least as long as a more frequent one, and the point-in-time restore window
  (``restore_window_days``, positive) does not exceed the hourly retention.
  https://www.mongodb.com/docs/atlas/backup/cloud-backup/configure-backup-policy/
  https://registry.terraform.io/providers/mongodb/mongodbatlas/latest/docs/resources/cloud_backup_schedule
- Private endpoint connection strings: ``connection_strings.private_endpoint[]`` lists, per
  private endpoint, its ``srv_connection_string`` and ``endpoints[].endpoint_id`` (the VPC
  endpoint IDs); it is returned only once a private endpoint exists in every region of the
  cluster's nodes, so the cluster depends on the endpoint services (the provider's
  ``cluster-geosharded`` example: "Add mongodbatlas_privatelink_endpoint_service explicitly to
  depends_on"). :meth:`AtlasCluster.private_srv_for` picks the string by VPC endpoint ID.
- TLS: ``advanced_configuration.minimum_enabled_tls_protocol = "TLS1_2"``; server-side
  JavaScript off (the provider recommends aggregation operators on 8.0+).
- Termination protection on (Atlas refuses to delete the cluster), snapshots retained if it is
  deleted anyway, and ``protect=True``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_mongodbatlas as atlas

from components.atlas_topology import (
    CLUSTER_NAME_PATTERN,
    CLUSTER_TIMEOUTS,
    HOURLY_INTERVAL,
    MIN_DISK_GB,
    MONGODB_MAJOR_VERSIONS,
    TLS_MINIMUM,
    BackupPolicy,
    ClusterShape,
    RegionNodes,
    atlas_region,
    backup_policy,
    region_priorities,
    select_private_srv,
    size_rank,
    topology_problem,
)
from components.base import child_opts, stateful_opts


@dataclass
class AtlasClusterArgs:
    """Inputs of :class:`AtlasCluster`.

    Attributes:
        project_id: Atlas project (ForceNew). Required.
        cluster_name: Physical name, 1-64 letters, digits, hyphens (ForceNew). Required.
        cluster_type: ``REPLICASET`` or ``SHARDED``. Required.
        instance_size: Tier of electable and read-only nodes, one of :data:`ATLAS_INSTANCE_SIZES`. Required.
        regions: Nodes per region of every shard; the first is the primary region. Required.
        shards: Replication specs; 1 for a replica set. Default: 1.
        analytics_instance_size: Tier of analytics nodes. Default: None (= ``instance_size``).
        mongo_major_version: One of :data:`MONGODB_MAJOR_VERSIONS`. Default: ``8.0``.
        disk_size_gb: Storage per node, equal for every shard and node type, >= 10. Default: 10.
        compute_auto_scaling: (min, max) tiers for compute auto-scaling (also of analytics
            nodes, whose tier must lie inside too); one shard only. None: off. Default: None.
        disk_auto_scaling: Storage auto-scaling (Atlas grows the disk at 90% use); one shard
            only. Default: False (fixed ``disk_size_gb``, applied by every update).
        backup_retention_days: Daily snapshots kept; weekly and monthly follow. Default: 7.
        pitr_window_days: Continuous backup restore window (and hourly retention). Default: 7.
        encryption_at_rest: The project's encryption-at-rest resource, created first. Default: None.
        depends_on_endpoints: The private endpoint services (``AtlasPrivateEndpoint.ready``), so
            the private connection strings exist when the cluster is read. Default: none.
        tags: Atlas resource tags. Default: none.
    """

    project_id: pulumi.Input[str]
    cluster_name: str
    cluster_type: str
    instance_size: str
    regions: list[RegionNodes]
    shards: int = 1
    analytics_instance_size: str | None = None
    mongo_major_version: str = "8.0"
    disk_size_gb: int = 10
    compute_auto_scaling: tuple[str, str] | None = None
    disk_auto_scaling: bool = False
    backup_retention_days: int = 7
    pitr_window_days: int = 7
    encryption_at_rest: pulumi.Resource | None = None
    depends_on_endpoints: list[pulumi.Resource] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not CLUSTER_NAME_PATTERN.match(self.cluster_name):
            raise ValueError(f"cluster_name {self.cluster_name!r}: 1-64 letters, digits and '-', no leading '-'")
        problem = topology_problem(
            self.regions, self.cluster_type, self.instance_size, self.shards, self.analytics_instance_size
        )
        if problem:
            raise ValueError(problem)
        if self.mongo_major_version not in MONGODB_MAJOR_VERSIONS:
            raise ValueError(f"mongo_major_version {self.mongo_major_version!r}: one of {MONGODB_MAJOR_VERSIONS}")
        if self.disk_size_gb < MIN_DISK_GB:
            raise ValueError(f"disk_size_gb {self.disk_size_gb}: at least {MIN_DISK_GB}")
        if self.auto_scaling and self.shards > 1:
            raise ValueError(
                f"auto-scaling with {self.shards} shards: use_effective_fields has no effect with more than one "
                "replication spec, so Atlas-scaled sizes would be reverted; fixed sizes only"
            )
        if self.compute_auto_scaling is not None:
            low, high = self.compute_auto_scaling
            for size in {self.instance_size, self.analytics_instance_size or self.instance_size}:
                if not size_rank(low) <= size_rank(size) <= size_rank(high):
                    raise ValueError(f"compute_auto_scaling {low}..{high} must include {size}")
        backup_policy(self.backup_retention_days, self.pitr_window_days)

    @property
    def auto_scaling(self) -> bool:
        """True when Atlas may change the tier or the disk (compute or disk auto-scaling is on)."""
        return self.compute_auto_scaling is not None or self.disk_auto_scaling

    def shape(self) -> ClusterShape:
        """The :class:`ClusterShape` of these arguments (for :func:`ladder_problem`)."""
        return ClusterShape(
            self.cluster_name,
            self.cluster_type,
            self.instance_size,
            self.shards,
            tuple(r.region for r in self.regions),
            self.mongo_major_version,
        )


def _specs(size: str, count: int, disk_gb: int) -> dict[str, Any]:
    return {"instance_size": size, "node_count": count, "disk_size_gb": disk_gb}


def _auto_scaling(args: AtlasClusterArgs) -> dict[str, Any]:
    scaling: dict[str, Any] = {"disk_gb_enabled": args.disk_auto_scaling, "compute_enabled": False}
    if args.compute_auto_scaling is not None:
        low, high = args.compute_auto_scaling
        scaling.update(
            compute_enabled=True,
            compute_scale_down_enabled=True,
            compute_min_instance_size=low,
            compute_max_instance_size=high,
        )
    return scaling


def replication_specs(args: AtlasClusterArgs) -> list[dict[str, Any]]:
    """One replication spec per shard, each with the same region configs (SDK snake_case keys)."""
    analytics_size = args.analytics_instance_size or args.instance_size
    scaling = _auto_scaling(args)
    configs = []
    for region, priority in zip(args.regions, region_priorities(args.regions), strict=True):
        config: dict[str, Any] = {
            "provider_name": "AWS",
            "region_name": atlas_region(region.region),
            "priority": priority,
            # Zero-count specs stay explicit: removing a block keeps the old nodes (provider docs).
            "electable_specs": _specs(args.instance_size, region.electable, args.disk_size_gb),
            "read_only_specs": _specs(args.instance_size, region.read_only, args.disk_size_gb),
            "analytics_specs": _specs(analytics_size, region.analytics, args.disk_size_gb),
            "auto_scaling": scaling,
            "analytics_auto_scaling": scaling,
        }
        configs.append(config)
    return [{"region_configs": configs} for _ in range(args.shards)]


def backup_schedule_items(policy: BackupPolicy) -> dict[str, Any]:
    """The schedule's policy items (SDK snake_case keys): every 6 h, daily, Sundays, the 1st."""
    return {
        "policy_item_hourly": {
            "frequency_interval": HOURLY_INTERVAL,
            "retention_unit": "days",
            "retention_value": policy.hourly_days,
        },
        "policy_item_daily": {"frequency_interval": 1, "retention_unit": "days", "retention_value": policy.daily_days},
        "policy_item_weeklies": [
            {"frequency_interval": 7, "retention_unit": "weeks", "retention_value": policy.weekly_weeks}
        ],
        "policy_item_monthlies": [
            {"frequency_interval": 1, "retention_unit": "months", "retention_value": policy.monthly_months}
        ],
    }


_OUTPUTS = ("cluster_id", "cluster_name", "connection_strings")


class AtlasCluster(pulumi.ComponentResource):
    """An Atlas cluster that keeps its data: protected, termination-protected, backed up with
    point-in-time restore, encrypted with our key, TLS 1.2+."""

    cluster: atlas.AdvancedCluster
    backup_schedule: atlas.CloudBackupSchedule

    def __init__(self, name: str, args: AtlasClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:data:AtlasCluster", name, None, opts)
        depends_on = [*([args.encryption_at_rest] if args.encryption_at_rest else []), *args.depends_on_endpoints]
        self.cluster = atlas.AdvancedCluster(
            f"{name}-cluster",
            project_id=args.project_id,
            name=args.cluster_name,
            cluster_type=args.cluster_type,
            replication_specs=replication_specs(args),
            mongo_db_major_version=args.mongo_major_version,
            backup_enabled=True,
            pit_enabled=True,
            retain_backups_enabled=True,
            termination_protection_enabled=True,
            encryption_at_rest_provider="AWS",
            redact_client_log_data=True,
            # Only while auto-scaling is on does it matter (fixed specs are what Atlas runs), and
            # auto-scaling implies one replication spec, the only case where it has an effect.
            use_effective_fields=args.auto_scaling,
            advanced_configuration={"minimum_enabled_tls_protocol": TLS_MINIMUM, "javascript_enabled": False},
            tags=args.tags or None,
            opts=stateful_opts(self, depends_on=depends_on, custom_timeouts=CLUSTER_TIMEOUTS),
        )
        policy = backup_policy(args.backup_retention_days, args.pitr_window_days)
        self.backup_schedule = atlas.CloudBackupSchedule(
            f"{name}-backup",
            project_id=self.cluster.project_id,
            cluster_name=self.cluster.name,
            reference_hour_of_day=3,
            reference_minute_of_hour=0,
            restore_window_days=policy.hourly_days,
            **backup_schedule_items(policy),
            opts=child_opts(self),
        )
        self.cluster_id = self.cluster.cluster_id
        self.cluster_name = self.cluster.name
        self.connection_strings = self.cluster.connection_strings
        self.register_outputs({key: getattr(self, key) for key in _OUTPUTS})

    def private_srv_for(self, vpc_endpoint_id: pulumi.Input[str]) -> pulumi.Output[str]:
        """The mongodb+srv connection string of the private endpoint whose endpoints include
        ``vpc_endpoint_id`` (see :func:`select_private_srv`; empty until Atlas lists it)."""
        return pulumi.Output.all(self.cluster.connection_strings, vpc_endpoint_id).apply(
            lambda values: select_private_srv(values[0], values[1])
        )

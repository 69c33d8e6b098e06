"""Rules of the MongoDB Atlas cluster: what the Atlas Admin API refuses, and the Atlas phase targets."""

from __future__ import annotations

from components.atlas_topology import ELECTABLE_TOTALS, MIN_SHARDED_SIZE, RegionNodes, size_rank, topology_problem
from infra.config import AtlasConfig, AtlasNodesConfig, ConfigError, RegionConfig, StackConfig
from infra.rules.targets import (
    PHASE_ATLAS_ANALYTICS,
    PHASE_ATLAS_SHARDED,
    PHASE_MIN_ATLAS_SIZE,
    PHASE_MIN_BACKUP_DAYS,
    PHASE_QUERIES,
)


def atlas_nodes(config: StackConfig) -> list[tuple[int, RegionConfig, AtlasNodesConfig]]:
    """``(index, region, nodes)`` of every region in the Atlas cluster: the serving ones, primary first.

    A region without ``atlasNodes`` gets its role's default (:class:`~infra.config.AtlasNodesConfig`):
    3 electable in the primary region; 1 electable and 1 read-only in an active region, or 2
    electable when it is the only active one (3 + 2 = 5: Atlas needs 3, 5 or 7 electable in all).
    """
    serving = [(i, c) for i, c in enumerate(config.regions) if c.role != "standby"]
    actives = len(serving) - 1
    result = []
    for index, cell in serving:
        nodes = cell.atlas_nodes
        if nodes is None and cell.role == "primary":
            nodes = AtlasNodesConfig(electable=3)
        elif nodes is None:
            nodes = AtlasNodesConfig(electable=2) if actives == 1 else AtlasNodesConfig(electable=1, read_only=1)
        result.append((index, cell, nodes))
    return result


def _check_atlas(config: StackConfig) -> None:
    """What the Atlas Admin API refuses, before anything is registered."""
    atlas = config.database.atlas
    if config.database.engine != "mongodb" or atlas is None:
        return
    for index, cell in enumerate(config.regions):
        if cell.role == "standby" and cell.atlas_nodes is not None:
            raise ConfigError(
                f"platform:regions[{index}].atlasNodes",
                cell.atlas_nodes.model_dump(by_alias=True),
                "a standby region runs no apps and holds no Atlas nodes; only primary and active regions do",
            )
    if not config.monitoring.alert_emails:
        raise ConfigError(
            "platform:monitoring.alertEmails",
            [],
            "Atlas alerts are delivered by e-mail (Atlas cannot publish to SNS): at least one address",
        )
    regions = atlas_nodes(config)
    _check_atlas_nodes(regions)
    _check_atlas_sizes(atlas, sum(n.analytics for _, _, n in regions))
    # What the component refuses besides (region order by priority, shards across regions).
    problem = topology_problem(
        [RegionNodes(c.region, n.electable, n.read_only, n.analytics) for _, c, n in regions],
        atlas.cluster_type,
        atlas.instance_size,
        atlas.shards,
        atlas.analytics_instance_size,
    )
    if problem:
        raise ConfigError(
            "platform:regions[].atlasNodes",
            {c.region: n.model_dump(by_alias=True) for _, c, n in regions},
            f"{problem} (with platform:database.atlas clusterType {atlas.cluster_type}, shards {atlas.shards})",
        )


def _check_atlas_nodes(regions: list[tuple[int, RegionConfig, AtlasNodesConfig]]) -> None:
    for index, _cell, nodes in regions:
        if not (nodes.electable or nodes.read_only or nodes.analytics):
            raise ConfigError(
                f"platform:regions[{index}].atlasNodes",
                nodes.model_dump(by_alias=True),
                "a serving region needs at least one Atlas node (electable, readOnly or analytics)",
            )
    first_index, _, first = regions[0]
    if first.electable < 1:
        raise ConfigError(
            f"platform:regions[{first_index}].atlasNodes.electable",
            first.electable,
            "the primary region is Atlas's highest-priority region: it needs electable nodes (at least 1)",
        )
    total = sum(n.electable for _, _, n in regions)
    if total not in ELECTABLE_TOTALS:
        per_region = {c.region: n.electable for _, c, n in regions}
        raise ConfigError(
            "platform:regions[].atlasNodes.electable",
            per_region,
            f"Atlas needs 3, 5 or 7 electable nodes across all regions; these add up to {total}",
        )


def _check_atlas_sizes(atlas: AtlasConfig, analytics: int) -> None:
    size = atlas.instance_size
    if atlas.cluster_type == "REPLICASET" and atlas.shards != 1:
        raise ConfigError(
            "platform:database.atlas.shards", atlas.shards, "a replica set has 1; set clusterType: SHARDED for more"
        )
    if atlas.cluster_type == "SHARDED" and size_rank(size) < size_rank(MIN_SHARDED_SIZE):
        raise ConfigError(
            "platform:database.atlas.instanceSize",
            size,
            f"Atlas shards clusters of {MIN_SHARDED_SIZE} and larger (clusterType is SHARDED)",
        )
    if atlas.analytics_instance_size is not None and not analytics:
        raise ConfigError(
            "platform:database.atlas.analyticsInstanceSize",
            atlas.analytics_instance_size,
            "there are no analytics nodes (platform:regions[N].atlasNodes.analytics): remove it or add one",
        )
    scaling = atlas.auto_scaling
    low, high = scaling.min_instance_size, scaling.max_instance_size
    if (low is None) != (high is None):
        missing = "minInstanceSize" if low is None else "maxInstanceSize"
        raise ConfigError(
            f"platform:database.atlas.autoScaling.{missing}",
            None,
            "compute auto-scaling needs both minInstanceSize and maxInstanceSize (or neither: off)",
            missing=True,
        )
    # With more than one replication spec the provider's use_effective_fields has no effect (its
    # "Multi-shard clusters and topology changes" note), so Atlas-scaled sizes would show as drift
    # and the next update would send the configured ones back.
    if atlas.shards > 1 and (low is not None or scaling.disk):
        key = "minInstanceSize" if low is not None else "disk"
        raise ConfigError(
            f"platform:database.atlas.autoScaling.{key}",
            low if low is not None else scaling.disk,
            f"auto-scaling with shards {atlas.shards}: the provider's use_effective_fields has no effect with "
            f"more than one shard, so the next up would revert what Atlas scaled; fixed instanceSize and "
            f"diskSizeGb only (no minInstanceSize/maxInstanceSize, disk: false), or shards: 1",
        )
    if low is not None and high is not None:
        if size_rank(high) <= size_rank(low):
            raise ConfigError(
                "platform:database.atlas.autoScaling.maxInstanceSize", high, f"must be a larger tier than {low}"
            )
        if not size_rank(low) <= size_rank(size) <= size_rank(high):
            raise ConfigError(
                "platform:database.atlas.instanceSize",
                size,
                f"compute auto-scaling keeps the tier within autoScaling {low}..{high}: the tier must be inside",
            )
        if analytics and not size_rank(low) <= size_rank(atlas.analytics_size) <= size_rank(high):
            raise ConfigError(
                "platform:database.atlas.analyticsInstanceSize",
                atlas.analytics_size,
                f"analytics nodes auto-scale within the same autoScaling {low}..{high}: the tier must be inside",
            )
        if atlas.cluster_type == "SHARDED" and size_rank(low) < size_rank(MIN_SHARDED_SIZE):
            raise ConfigError(
                "platform:database.atlas.autoScaling.minInstanceSize",
                low,
                f"a sharded cluster cannot scale below {MIN_SHARDED_SIZE}",
            )
    if atlas.pitr_window_days > atlas.backup_retention_days:
        raise ConfigError(
            "platform:database.atlas.pitrWindowDays",
            atlas.pitr_window_days,
            f"point-in-time restore replays the oplog onto a kept snapshot: at most backupRetentionDays "
            f"({atlas.backup_retention_days})",
        )


def _check_atlas_phase(config: StackConfig) -> None:
    """SPEC §3 "MongoDB Atlas": M10 replica set, M30 + analytics node, M60 sharded, multi-region
    sharded (every serving region is in the cluster, so phase 4's three regions make it multi-region)."""
    phase, atlas = config.phase, config.database.atlas
    assert atlas is not None
    minimum = PHASE_MIN_ATLAS_SIZE[phase]
    if size_rank(atlas.instance_size) < size_rank(minimum):
        raise ConfigError(
            "platform:database.atlas.instanceSize",
            atlas.instance_size,
            f"phase {phase} serves {PHASE_QUERIES[phase]:,} queries/s: at least {minimum}",
        )
    if phase >= PHASE_ATLAS_ANALYTICS and not any(n.analytics for _, _, n in atlas_nodes(config)):
        raise ConfigError(
            "platform:regions[0].atlasNodes.analytics",
            0,
            f"phase {phase} isolates analytics queries: at least 1 analytics node",
        )
    if phase >= PHASE_ATLAS_SHARDED and atlas.cluster_type != "SHARDED":
        raise ConfigError(
            "platform:database.atlas.clusterType", atlas.cluster_type, f"phase {phase} runs a sharded cluster: SHARDED"
        )
    for key, days in (("backupRetentionDays", atlas.backup_retention_days), ("pitrWindowDays", atlas.pitr_window_days)):
        if days < PHASE_MIN_BACKUP_DAYS[phase]:
            raise ConfigError(
                f"platform:database.atlas.{key}",
                days,
                f"phase {phase} keeps at least {PHASE_MIN_BACKUP_DAYS[phase]} days of backups/PITR",
            )

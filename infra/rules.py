"""Cross-field rules of the stack config, and the phase targets of SPEC §3.

Each rule raises :class:`~infra.config.ConfigError` naming the one key a user has to change.
Schema-level checks (types, ranges, unknown keys) live in the pydantic model; what needs more
than one field lives here.
"""

from __future__ import annotations

import ipaddress
import math
import re

from components.atlas_topology import ELECTABLE_TOTALS, MIN_SHARDED_SIZE, RegionNodes, size_rank, topology_problem
from components.base import region_code
from components.cluster import EKS_UNSUPPORTED_ZONE_IDS, fits, node_capacity
from components.postgres import max_connections
from infra.config import (
    CACHE_ENGINE_VERSIONS,
    MAX_READ_REPLICAS,
    AtlasConfig,
    AtlasNodesConfig,
    ConfigError,
    DatabaseConfig,
    RegionConfig,
    StackConfig,
)

#: SPEC §3 "MongoDB Atlas" row: the smallest tier per phase (M10 replica set, M30 with an analytics
#: node, M60 sharded, multi-region sharded), and from which phase the cluster is sharded.
PHASE_MIN_ATLAS_SIZE = {1: "M10", 2: "M30", 3: "M60", 4: "M60"}
PHASE_ATLAS_ANALYTICS = 2
PHASE_ATLAS_SHARDED = 3
#: Minimum read replicas in each serving region, by phase (SPEC §3 "PostgreSQL" row).
PHASE_MIN_READERS = {1: 0, 2: 1, 3: 3, 4: 3}
#: Backup retention (days) from which point-in-time recovery meets the phase's target.
PHASE_MIN_BACKUP_DAYS = {1: 1, 2: 30, 3: 30, 4: 30}
#: Initial gp3 storage per phase: RDS for PostgreSQL gp3 volumes of 400 GiB or more get a 12,000
#: IOPS / 500 MiB/s baseline at no IOPS charge, 3,000 / 125 MiB/s below (RDS User Guide, "gp3
#: storage"); phases 3-4 (10,000-50,000 queries/s, with replicas copying the primary's volume) need it.
PHASE_MIN_STORAGE_GB = {1: 20, 2: 20, 3: 400, 4: 400}
#: DB queries/s at peak (SPEC §3).
PHASE_QUERIES = {1: 500, 2: 2000, 3: 10000, 4: 50000}
#: Peak concurrent users (SPEC §3); phase 4 also keeps headroom to 100,000.
PHASE_CONCURRENT_USERS = {1: 1000, 2: 3000, 3: 15000, 4: 50000}
PHASE_HEADROOM_USERS = {4: 100000}
#: Pooled DB connections (SPEC §3; phase 4: "10,000+").
PHASE_POOLED_CONNECTIONS = {1: 500, 2: 2000, 3: 5000, 4: 10000}
#: Availability target in percent (SPEC §3).
PHASE_AVAILABILITY = {1: 99.5, 2: 99.7, 3: 99.9, 4: 99.95}
#: Monthly budget in USD (SPEC §3 "Monthly budget (seed guides)"): (aim, upper end). The seed guides'
#: ranges include SaaS tools, so our aim is the lower end (SPEC §3, issue 12 item 5); ``validate``
#: fails a stack whose ``cost`` total is above it and shows the upper end as information.
#: Phase 1's aim is $600 as issue 12 states it (SPEC §3's table prints the range as $500-800).
PHASE_BUDGET = {1: (600, 800), 2: (1500, 2000), 3: (5000, 7000), 4: (15000, 25000)}
#: Serving regions (primary + active) each phase runs in.
PHASE_SERVING_REGIONS = {1: 1, 2: 1, 3: 1, 4: 3}
#: The api HPA range each phase must at least cover, per serving region (SPEC §3 "Compute" row).
PHASE_API_REPLICAS = {1: (2, 4), 2: (2, 6), 3: (10, 50), 4: (50, 200)}
#: Requests (millicores, MiB) of the cluster's own Deployments, which share the nodes with the apps:
#: CoreDNS, metrics-server, Cluster Autoscaler, the load balancer controller and KEDA; then the
#: kube-prometheus-stack (Prometheus, Alertmanager, Grafana, operator, kube-state-metrics) and the
#: OpenTelemetry collectors. Rounded up from the charts' default requests and our values; includes
#: Cluster Autoscaler's 100m / 600Mi and the two load balancer controller replicas' 100m / 200Mi
#: each (``components.cluster_addons``), 300m / 1000Mi that used to go unrequested.
PLATFORM_PODS = (1300, 2560)
PROMETHEUS_PODS = (1500, 4096)
TRACING_PODS = (500, 1024)


def check_rules(config: StackConfig) -> None:
    """Raise ConfigError for the first cross-field rule ``config`` breaks."""
    _check_engine(config)
    _check_regions(config)
    _check_database(config)
    _check_atlas(config)
    _check_cache(config)
    _check_assets(config)
    _check_dns(config)
    _check_queues(config)
    _check_events(config)
    _check_apps(config)
    _check_capacity(config)
    _check_phase(config)
    _check_search(config)
    _check_edge_phase(config)


def _check_regions(config: StackConfig) -> None:
    seen: dict[str, int] = {}
    networks: list[tuple[int, ipaddress.IPv4Network]] = []
    for index, cell in enumerate(config.regions):
        path = f"platform:regions[{index}]"
        if cell.region in seen:
            raise ConfigError(
                f"{path}.region",
                cell.region,
                f"already used by platform:regions[{seen[cell.region]}]; regions must be distinct",
            )
        seen[cell.region] = index
        if (index == 0) != (cell.role == "primary"):
            raise ConfigError(
                f"{path}.role",
                cell.role,
                "the first region must be 'primary' and no other; others are 'active' or 'standby'",
            )
        _check_zones(path, cell)
        if cell.role == "standby" and cell.read_replicas < 1 and config.database.engine == "postgres":
            raise ConfigError(
                f"{path}.readReplicas", cell.read_replicas, "a standby region exists to hold read replicas: at least 1"
            )
        network = ipaddress.IPv4Network(cell.cidr)
        for other_index, other in networks:
            if network.overlaps(other):
                raise ConfigError(
                    f"{path}.cidr",
                    cell.cidr,
                    f"overlaps platform:regions[{other_index}].cidr {other}; cells must not "
                    "overlap so they can be peered",
                )
        networks.append((index, network))
    _check_replica_topology(config)


def _check_zones(path: str, cell: RegionConfig) -> None:
    """Three distinct zones per cell, by zone ID of the cell's region and never one EKS refuses;
    or, for environments deployed before zone IDs, by the legacy zone names."""
    code = region_code(cell.region)
    example = f"{code}-az1, {code}-az2, {code}-az4"
    if cell.availability_zone_ids is not None and cell.availability_zones is not None:
        raise ConfigError(
            f"{path}.availabilityZones",
            cell.availability_zones,
            "set availabilityZoneIds, or for an environment deployed by zone names the legacy "
            "availabilityZones, not both",
        )
    if cell.availability_zone_ids is None and cell.availability_zones is None:
        raise ConfigError(
            f"{path}.availabilityZoneIds",
            None,
            f"required: three distinct zone IDs of {cell.region} (e.g. {example}; `aws ec2 "
            f"describe-availability-zones --region {cell.region}` lists them). An environment "
            f"deployed before zone IDs sits in the old default {cell.region}a/b/c: set the legacy "
            f"availabilityZones to {cell.region}a, {cell.region}b, {cell.region}c to keep its subnets",
        )
    zones, key = cell.zones, f"{path}.{cell.zones_key}"
    if cell.availability_zones is not None:
        pattern = re.compile(rf"^{re.escape(cell.region)}[a-z]$")
        allowed = f"three distinct zone names of {cell.region} (e.g. {cell.region}a); prefer availabilityZoneIds"
    else:
        pattern = re.compile(rf"^{re.escape(code)}-az\d+$")
        allowed = f"three distinct zone IDs of {cell.region}, e.g. {example}"
    if len(zones) != 3 or len(set(zones)) != 3 or not all(pattern.match(z) for z in zones):
        raise ConfigError(key, zones, allowed)
    refused = sorted(set(zones) & EKS_UNSUPPORTED_ZONE_IDS)
    if refused:
        raise ConfigError(
            key,
            zones,
            f"EKS does not place cluster subnets in {', '.join(refused)} (unsupported zone IDs: "
            f"{', '.join(sorted(EKS_UNSUPPORTED_ZONE_IDS))}); pick three other zone IDs of {cell.region}",
        )


def replica_fan_out(config: StackConfig) -> dict[str, int]:
    """Direct read replicas of each source instance, keyed ``"primary"`` or the remote region.

    The topology the cells build: the primary's region reads from replicas of the primary; every
    other region gets one cross-region replica of the primary (its cascade head) and its other
    replicas replicate from that head.
    """
    remote = [cell for cell in config.regions[1:] if cell.read_replicas > 0]
    fan_out = {"primary": config.primary.read_replicas + len(remote)}
    fan_out.update({cell.region: cell.read_replicas - 1 for cell in remote})
    return fan_out


def _check_replica_topology(config: StackConfig) -> None:
    # RDS allows 15 read replicas per source (USER_PostgreSQL.Replication.ReadReplicas) and
    # guarantees five cross-region ones (USER_ReadRepl.XRgn); StackConfig's five regions at most
    # leave four remote cascade heads, so only the first limit can be reached from config.
    direct = replica_fan_out(config)["primary"]
    if direct > MAX_READ_REPLICAS:
        raise ConfigError(
            "platform:regions[0].readReplicas",
            config.primary.read_replicas,
            f"the primary would feed {direct} replicas (its own plus one head per remote region); "
            f"RDS allows {MAX_READ_REPLICAS} per source",
        )


#: ``platform:database`` keys both engines use; every other key of the section is PostgreSQL's.
_SHARED_DATABASE_KEYS = frozenset({"engine", "database_name", "atlas"})


def _check_engine(config: StackConfig) -> None:
    """Each engine's keys only with that engine: a PostgreSQL key under MongoDB (or the Atlas
    section under PostgreSQL) would be silently ignored, and the reader would believe it applied."""
    database = config.database
    if database.engine == "postgres":
        if database.atlas is not None:
            raise ConfigError(
                "platform:database.atlas",
                "{...}",
                "only with platform:database.engine: mongodb (the engine is postgres)",
            )
        for index, cell in enumerate(config.regions):
            if cell.atlas_nodes is not None:
                raise ConfigError(
                    f"platform:regions[{index}].atlasNodes",
                    cell.atlas_nodes.model_dump(by_alias=True),
                    "only with platform:database.engine: mongodb (the engine is postgres)",
                )
        if config.apps.db_bootstrap is None:
            raise ConfigError(
                "platform:apps.dbBootstrap",
                None,
                "required with PostgreSQL: psqlImage and awsCliImage of the Job that creates the database roles",
                missing=True,
            )
        return
    if database.atlas is None:
        raise ConfigError(
            "platform:database.atlas",
            None,
            "required with platform:database.engine: mongodb: at least orgId, the Atlas organisation (24 hex digits)",
            missing=True,
        )
    fields = DatabaseConfig.model_fields
    for name in sorted(database.model_fields_set - _SHARED_DATABASE_KEYS):
        raise ConfigError(
            f"platform:database.{fields[name].alias}",
            getattr(database, name) if not hasattr(getattr(database, name), "model_dump") else "{...}",
            "PostgreSQL only; with platform:database.engine: mongodb size the cluster in platform:database.atlas",
        )
    for index, cell in enumerate(config.regions):
        if cell.read_replicas:
            raise ConfigError(
                f"platform:regions[{index}].readReplicas",
                cell.read_replicas,
                "PostgreSQL read replicas; with MongoDB Atlas set platform:regions[N].atlasNodes (0 here)",
            )
    if config.apps.db_bootstrap is not None:
        raise ConfigError(
            "platform:apps.dbBootstrap",
            "{...}",
            "PostgreSQL only (the Job creates PostgreSQL roles); Atlas database users come from the API: remove it",
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


def _check_database(config: StackConfig) -> None:
    database = config.database
    if database.engine != "postgres":
        return
    # Alarm thresholds derive from the class's connection limit, so the class must be one we size.
    for key, value in (("instanceClass", database.instance_class), ("replicaInstanceClass", database.replica_class)):
        try:
            max_connections(value)
        except ValueError as error:
            raise ConfigError(f"platform:database.{key}", value, str(error)) from None
    smallest = min((database.instance_class, database.replica_class), key=max_connections)
    if database.max_connections > max_connections(smallest):
        raise ConfigError(
            "platform:database.maxConnections",
            database.max_connections,
            f"a new replica starts on RDS's default parameter group, whose limit for {smallest} is about "
            f"{max_connections(smallest)}, and a hot standby cannot run below its primary's: at most "
            f"{max_connections(smallest)}, or a larger class",
        )
    minimum = math.ceil(database.allocated_storage_gb * 1.1)
    if database.max_allocated_storage_gb < minimum:
        raise ConfigError(
            "platform:database.maxAllocatedStorageGb",
            database.max_allocated_storage_gb,
            f"storage autoscaling needs at least 10% above allocatedStorageGb "
            f"({database.allocated_storage_gb}): {minimum} or more",
        )


def _check_cache(config: StackConfig) -> None:
    cache = config.cache
    if cache.shards > 1 and not cache.cluster_mode:
        raise ConfigError(
            "platform:cache.shards", cache.shards, "more than one shard needs platform:cache.clusterMode = true"
        )
    allowed = CACHE_ENGINE_VERSIONS[cache.engine]
    if cache.engine_version not in allowed:
        raise ConfigError(
            "platform:cache.engineVersion",
            cache.engine_version,
            f"ElastiCache {cache.engine} versions in standard support: {', '.join(allowed)}",
        )


def _check_assets(config: StackConfig) -> None:
    assets = config.assets
    if assets.aliases and not assets.certificate_arn:
        raise ConfigError(
            "platform:assets.certificateArn",
            None,
            "required when platform:assets.aliases is set (an ACM certificate in us-east-1)",
        )


def _check_dns(config: StackConfig) -> None:
    """The names Route 53 records are made for must be inside the managed zone."""
    from components.dns import in_zone

    if config.dns is None:
        return
    zone = config.dns.zone_name
    host = config.apps.api.host
    if host is not None and not in_zone(host, zone):
        raise ConfigError("platform:apps.api.host", host, f"must be inside platform:dns.zoneName {zone!r}")
    for index, alias in enumerate(config.assets.aliases):
        if not in_zone(alias, zone):
            raise ConfigError(
                f"platform:assets.aliases[{index}]", alias, f"must be inside platform:dns.zoneName {zone!r}"
            )


def _check_edge_phase(config: StackConfig) -> None:
    """SPEC §3 "Assets/uploads": signed URLs from phase 2, API edge caching from phase 3."""
    assets = config.assets
    if config.phase >= 2 and not assets.aliases:
        # Private uploads (signed URLs) start in phase 2; they are not served with TLS 1.0.
        raise ConfigError(
            "platform:assets.aliases",
            [],
            f"phase {config.phase} serves the CDN on its own domain (TLS 1.2+): a name covered by certificateArn",
        )
    if config.phase >= 2 and not assets.signing_public_key_pem:
        raise ConfigError(
            "platform:assets.signingPublicKeyPem",
            None,
            f"phase {config.phase} signs private-upload URLs: the PEM public key (RSA 2048 or ECDSA P-256) "
            "whose private key the apps hold",
            missing=True,
        )
    if config.phase >= 3 and not config.apps.api.host:
        raise ConfigError(
            "platform:apps.api.host",
            None,
            f"phase {config.phase} caches public API GETs at the edge: the API's public host name",
            missing=True,
        )


def _check_queues(config: StackConfig) -> None:
    seen: set[str] = set()
    for index, queue in enumerate(config.queues):
        if queue.name in seen:
            raise ConfigError(f"platform:queues[{index}].name", queue.name, "queue names must be distinct")
        seen.add(queue.name)


def _check_events(config: StackConfig) -> None:
    """Event topics: distinct names, subscriptions to distinct standard queues of platform:queues,
    filter policies SNS accepts, physical names within SNS/SQS limits in every serving cell."""
    from components.events import SubscriptionSpec, subscription_dlq_name, topic_physical_name
    from infra.naming import Names

    queues = {q.name: q for q in config.queues}
    seen: set[str] = set()
    for t, topic in enumerate(config.events.topics):
        path = f"platform:events.topics[{t}]"
        if topic.name in seen:
            raise ConfigError(f"{path}.name", topic.name, "topic names must be distinct")
        seen.add(topic.name)
        targets: set[str] = set()
        for s, sub in enumerate(topic.subscriptions):
            key = f"{path}.subscriptions[{s}]"
            if sub.queue not in queues:
                raise ConfigError(f"{key}.queue", sub.queue, f"must be one of platform:queues: {sorted(queues)}")
            if queues[sub.queue].fifo:
                raise ConfigError(f"{key}.queue", sub.queue, "a standard SNS topic delivers to standard queues only")
            if sub.queue in targets:
                raise ConfigError(f"{key}.queue", sub.queue, "the topic already delivers to this queue")
            targets.add(sub.queue)
            try:
                SubscriptionSpec(sub.queue, sub.filter_policy, sub.filter_policy_scope)
            except ValueError as error:
                raise ConfigError(f"{key}.filterPolicy", sub.filter_policy, str(error)) from None
            for cell in config.regions:
                base = Names(config.name).cell(cell.region)
                try:
                    topic_physical_name(base, topic.name)
                    subscription_dlq_name(base, topic.name, sub.queue)
                except ValueError as error:
                    raise ConfigError(f"{path}.name", topic.name, f"{error}; shorten the topic or queue name") from None


def _check_phase(config: StackConfig) -> None:
    phase = config.phase
    serving = [(i, c) for i, c in enumerate(config.regions) if c.role != "standby"]
    standby = [(i, c) for i, c in enumerate(config.regions) if c.role == "standby"]
    wanted = PHASE_SERVING_REGIONS[phase]
    if len(serving) != wanted:
        raise ConfigError(
            "platform:regions",
            [c.region for _, c in serving],
            f"phase {phase} serves from exactly {wanted} region(s) (primary + active); "
            "add or remove regions, or mark extra ones 'standby'",
        )
    if standby and phase < 3:
        index, cell = standby[0]
        raise ConfigError(
            f"platform:regions[{index}].role",
            cell.role,
            f"cross-region standby replicas start in phase 3; phase {phase} has one region",
        )
    if config.database.engine == "mongodb":
        _check_atlas_phase(config)
    else:
        _check_postgres_phase(config, serving, standby)
    _check_platform_phase(config)


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


def _check_postgres_phase(config: StackConfig, serving: list, standby: list) -> None:
    phase = config.phase
    if phase == 3 and not standby:
        raise ConfigError(
            "platform:regions",
            [c.region for c in config.regions],
            "phase 3 adds cross-region read replicas: add a region with role 'standby'",
        )
    minimum = PHASE_MIN_READERS[phase]
    for index, cell in serving:
        if cell.read_replicas < minimum:
            raise ConfigError(
                f"platform:regions[{index}].readReplicas",
                cell.read_replicas,
                f"phase {phase} needs at least {minimum} read replica(s) in each serving region",
            )
    if config.database.backup_retention_days < PHASE_MIN_BACKUP_DAYS[phase]:
        raise ConfigError(
            "platform:database.backupRetentionDays",
            config.database.backup_retention_days,
            f"phase {phase} keeps at least {PHASE_MIN_BACKUP_DAYS[phase]} days of backups/PITR",
        )
    if config.database.allocated_storage_gb < PHASE_MIN_STORAGE_GB[phase]:
        raise ConfigError(
            "platform:database.allocatedStorageGb",
            config.database.allocated_storage_gb,
            f"phase {phase} serves {PHASE_QUERIES[phase]:,} queries/s: RDS gp3 gives 12,000 IOPS from 400 GiB "
            f"(3,000 below), so at least {PHASE_MIN_STORAGE_GB[phase]}",
        )


def _check_platform_phase(config: StackConfig) -> None:
    phase = config.phase
    if phase >= 2 and config.network.nat_gateways != "perAz":
        raise ConfigError(
            "platform:network.natGateways",
            config.network.nat_gateways,
            f"phase {phase} targets >= 99.7% availability: 'perAz', so one zone's outage does not cut the others off",
        )
    api_min, api_max = PHASE_API_REPLICAS[phase]
    if config.apps.api.max_replicas < api_max:
        raise ConfigError(
            "platform:apps.api.maxReplicas",
            config.apps.api.max_replicas,
            f"phase {phase} scales the api to at least {api_max} pods per region",
        )
    if config.apps.api.min_replicas < api_min:
        raise ConfigError(
            "platform:apps.api.minReplicas",
            config.apps.api.min_replicas,
            f"phase {phase} keeps at least {api_min} api pods per region",
        )
    if phase >= 2 and config.apps.worker.scaling != "queue":
        raise ConfigError(
            "platform:apps.worker.scaling",
            config.apps.worker.scaling,
            f"phase {phase} scales workers on queue depth: 'queue'",
        )
    if phase >= 3 and not config.monitoring.prometheus:
        raise ConfigError("platform:monitoring.prometheus", False, f"phase {phase} runs Prometheus/Grafana: true")
    if phase >= 4 and not config.monitoring.tracing:
        raise ConfigError("platform:monitoring.tracing", False, "phase 4 traces every request: true")
    if phase >= 3 and not config.events.topics:
        raise ConfigError(
            "platform:events.topics", [], f"phase {phase} fans events out through SNS: at least one topic"
        )
    if phase >= 4 and config.streaming is None:
        raise ConfigError(
            "platform:streaming", None, "phase 4 streams events (Kinesis): set platform:streaming", missing=True
        )
    if phase >= 3 and config.cache.shards < 2:
        raise ConfigError(
            "platform:cache.shards",
            config.cache.shards,
            f"phase {phase} runs the cache in cluster mode with several shards: at least 2",
        )


def _check_apps(config: StackConfig) -> None:
    apps = config.apps
    for key, app in (("api", apps.api), ("worker", apps.worker)):
        path = f"platform:apps.{key}"
        if app.max_replicas < app.min_replicas:
            raise ConfigError(f"{path}.maxReplicas", app.max_replicas, f"at least minReplicas ({app.min_replicas})")
        if app.memory_limit_mib < app.memory_request_mib:
            raise ConfigError(
                f"{path}.memoryLimitMib", app.memory_limit_mib, f"at least memoryRequestMib ({app.memory_request_mib})"
            )
    queues = [q.name for q in config.queues]
    if apps.worker.queue not in queues:
        raise ConfigError("platform:apps.worker.queue", apps.worker.queue, f"one of platform:queues: {queues}")
    if apps.api.host:
        for index, cell in enumerate(config.regions):
            arn = cell.api_certificate_arn
            if cell.role != "standby" and (not arn or f":acm:{cell.region}:" not in arn):
                raise ConfigError(
                    f"platform:regions[{index}].apiCertificateArn",
                    arn,
                    f"an ACM certificate in {cell.region} for {apps.api.host} (platform:apps.api.host is set)",
                )


def platform_reserve(config: StackConfig) -> tuple[int, int]:
    """Requests (millicores, MiB) of the platform's own pods in each cluster of ``config``."""
    cpu, memory = PLATFORM_PODS
    if config.monitoring.prometheus:
        cpu, memory = cpu + PROMETHEUS_PODS[0], memory + PROMETHEUS_PODS[1]
    if config.monitoring.tracing:
        cpu, memory = cpu + TRACING_PODS[0], memory + TRACING_PODS[1]
    return cpu, memory


def _check_capacity(config: StackConfig) -> None:
    """Every HPA at its maximum, plus the platform's pods, must fit the node groups at their maximum."""
    nodes = config.cluster.nodes
    if nodes.max_per_az < nodes.min_per_az:
        raise ConfigError(
            "platform:cluster.nodes.maxPerAz", nodes.max_per_az, f"at least minPerAz ({nodes.min_per_az})"
        )
    instance_type = nodes.instance_type
    try:
        # Zones are three per region (checked above); node groups are one per zone.
        capacity = node_capacity(instance_type, nodes.max_per_az * 3)
    except ValueError as error:
        raise ConfigError("platform:cluster.nodes.instanceType", instance_type, str(error)) from None
    api, worker = config.apps.api, config.apps.worker
    reserve_cpu, reserve_memory = platform_reserve(config)
    need_cpu = api.cpu_request_m * api.max_replicas + worker.cpu_request_m * worker.max_replicas + reserve_cpu
    need_memory = (
        api.memory_request_mib * api.max_replicas + worker.memory_request_mib * worker.max_replicas + reserve_memory
    )
    if not fits(need_cpu, need_memory, 1, capacity):
        raise ConfigError(
            "platform:cluster.nodes.maxPerAz",
            nodes.max_per_az,
            f"{nodes.max_per_az * 3} x {instance_type} give {capacity.cpu_millicores}m CPU / {capacity.memory_mib} MiB "
            f"for pods, but api and worker at maxReplicas plus the platform's pods request {need_cpu}m / "
            f"{need_memory} MiB: raise maxPerAz, pick a larger instance type or lower the maxima",
        )


def _check_search(config: StackConfig) -> None:
    """SPEC §3: OpenSearch from phase 3; gp3 IOPS and throughput within what EBS provisions."""
    search = config.search
    if config.phase >= 3 and not search.enabled:
        raise ConfigError("platform:search.enabled", search.enabled, f"phase {config.phase} runs OpenSearch: true")
    # gp3: at most 500 IOPS per GiB and 0.25 MiB/s per IOPS (EBS User Guide, gp3 volumes).
    if search.iops > 500 * search.volume_size_gb:
        raise ConfigError(
            "platform:search.iops", search.iops, f"gp3 allows 500 IOPS per GiB: at most {500 * search.volume_size_gb}"
        )
    if search.throughput_mibps > search.iops // 4:
        raise ConfigError(
            "platform:search.throughputMibps",
            search.throughput_mibps,
            f"gp3 allows 0.25 MiB/s per IOPS: at most {search.iops // 4} with iops {search.iops}",
        )

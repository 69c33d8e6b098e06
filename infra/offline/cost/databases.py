"""Pricers of databases: RDS instances (Multi-AZ, replicas, storage, backups, Performance
Insights) and RDS Proxy, ElastiCache replication groups, OpenSearch domains and MongoDB Atlas
clusters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.offline.cost.context import _Context, _monthly, _num, _q, gp3_volume_monthly
from infra.offline.cost.registry import pricer
from infra.offline.cost.report import LineItem
from infra.offline.harness import RecordedResource
from infra.offline.pricing import PriceError
from infra.offline.usage import Usage


def _rds_root(ctx: _Context, r: RecordedResource) -> RecordedResource:
    """The instance at the top of a replica's chain (it holds the storage settings)."""
    seen = {r.urn}
    while r.inputs.get("replicateSourceDb"):
        source = ctx.dependency(r, "replicateSourceDb")
        if source is None or source.urn in seen:
            raise PriceError(f"{r.name}: the source of replicateSourceDb is not in the plan")
        seen.add(source.urn)
        r = source
    return r


def rds_storage_baseline(gb: float) -> tuple[float, float]:
    """RDS gp3 baseline (IOPS, MiB/s) included in the storage price: 3,000 / 125 below 400 GiB,
    12,000 / 500 from 400 GiB (PostgreSQL, MySQL, MariaDB; storage striped over four volumes)."""
    return (12000.0, 500.0) if gb >= 400 else (3000.0, 125.0)


def rds_instance_items(
    ctx: _Context, name: str, region: str, inputs: Mapping[str, Any], storage_gb: float, backup_gb: float | None
) -> list[LineItem]:
    """The month of one RDS instance with ``inputs``, ``storage_gb`` provisioned and ``backup_gb``
    of backups (None: no automated backups)."""
    instance_class = inputs.get("instanceClass")
    engine = inputs.get("engine") or "postgres"
    multi_az = bool(inputs.get("multiAz"))
    copies = 2 if multi_az else 1
    deployment = "Multi-AZ" if multi_az else "Single-AZ"
    items = [
        LineItem(
            f"{instance_class} {engine} {deployment}, 730 h",
            copies * _monthly(ctx, f"rds.{engine}_instance_hour", region, instance_class),
            region,
        )
    ]
    storage_type = inputs.get("storageType") or "gp3"
    if storage_type != "gp3":
        raise PriceError(f"{name}: RDS storage type {storage_type!r} has no price (gp3 only)")
    storage = copies * gp3_volume_monthly(
        ctx, "rds.gp3", region, storage_gb, _num(inputs.get("iops")), _num(inputs.get("storageThroughput")),
        rds_storage_baseline(storage_gb),
    )  # fmt: skip
    items.append(LineItem(f"gp3 {_q(storage_gb)} GB {deployment}", storage, region))
    if backup_gb is not None:
        beyond = max(0.0, backup_gb - storage_gb)
        items.append(
            LineItem(
                f"backup {_q(backup_gb)} GB ({_q(beyond)} beyond 100%)",
                beyond * ctx.rate("rds.backup_gb_month", region),
                region,
            )
        )
    retention = _num(inputs.get("performanceInsightsRetentionPeriod"), 7)
    if inputs.get("performanceInsightsEnabled") and retention > 7:
        vcpus = ctx.table.attribute("rds_vcpus", instance_class)
        items.append(
            LineItem(
                f"Performance Insights {_q(retention)} d, {_q(vcpus)} vCPU",
                vcpus * ctx.rate("rds.performance_insights_vcpu_month", region),
                region,
            )
        )
    return items


@pricer("aws:rds/instance:Instance", "storage_gb", "backup_gb", "monthly_replication_gb")
def _rds_instance(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Instance hours (Multi-AZ: primary and standby), gp3 storage (Multi-AZ: both copies; replicas
    take their chain root's size; ``storage_gb`` is the month's average after autoscaling growth),
    backups beyond 100% of the storage, Performance Insights beyond the free 7 days, and for a
    replica in another region than its source the replicated bytes."""
    root = _rds_root(ctx, r)
    allocated = _num(root.inputs.get("allocatedStorage"))
    storage_gb = max(allocated, u["storage_gb"])
    inputs = {**root.inputs, **r.inputs, "allocatedStorage": allocated}
    if r is not root:
        inputs.setdefault("engine", root.inputs.get("engine"))
    backup = u["backup_gb"] if _num(r.inputs.get("backupRetentionPeriod")) > 0 else None
    items = rds_instance_items(ctx, r.name, region, inputs, storage_gb, backup)
    source = ctx.dependency(r, "replicateSourceDb")
    if source is not None and ctx.region_of(source) != region:
        gb = u["monthly_replication_gb"]
        src = ctx.region_of(source)
        items.append(
            LineItem(f"replication {_q(gb)} GB from {src}", gb * ctx.rate("transfer.inter_region_gb", src), src)
        )
    return items


@pricer("aws:rds/proxy:Proxy")
def _rds_proxy(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Per vCPU-hour of the instances it targets (at least 2 vCPUs)."""
    vcpus = 0.0
    for target in ctx.plan.of_type("aws:rds/proxyTarget:ProxyTarget"):
        if ctx.dependency(target, "dbProxyName") is not r and target.inputs.get("dbProxyName") != r.inputs.get("name"):
            continue
        instance = ctx.dependency(target, "dbInstanceIdentifier")
        if instance is None:
            raise PriceError(f"{r.name}: proxy target {target.name} names no instance of the plan")
        vcpus += ctx.table.attribute("rds_vcpus", instance.inputs.get("instanceClass"))
    billed = max(vcpus, ctx.table.attribute("rds_proxy", "minimum_vcpus"))
    return [
        LineItem(
            f"RDS Proxy, {_q(billed)} vCPU x 730 h", _monthly(ctx, "rds.proxy_vcpu_hour", region, count=billed), region
        )
    ]


def cache_nodes(inputs: Mapping[str, Any]) -> int:
    """Nodes of a replication group: shards x (replicas + 1) in cluster mode, else numCacheClusters."""
    if inputs.get("numNodeGroups") is not None:
        return int(_num(inputs["numNodeGroups"]) * (_num(inputs.get("replicasPerNodeGroup")) + 1))
    return int(_num(inputs.get("numCacheClusters"), 1))


@pricer("aws:elasticache/replicationGroup:ReplicationGroup")
def _cache(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    engine = r.inputs.get("engine") or "redis"
    node_type = r.inputs.get("nodeType")
    nodes = cache_nodes(r.inputs)
    return [
        LineItem(
            f"{nodes} x {node_type} {engine}, 730 h",
            _monthly(ctx, f"elasticache.{engine}_node_hour", region, node_type, count=nodes),
            region,
        )
    ]


@pricer("aws:opensearch/domain:Domain")
def _search(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    cluster = r.inputs.get("clusterConfig") or {}
    if cluster.get("warmEnabled") or (cluster.get("coldStorageOptions") or {}).get("enabled"):
        raise PriceError(f"{r.name}: UltraWarm / cold storage have no price in the table")
    count = _num(cluster.get("instanceCount"), 1)
    data_type = cluster.get("instanceType")
    items = [
        LineItem(
            f"{_q(count)} x {data_type} data, 730 h",
            _monthly(ctx, "opensearch.instance_hour", region, data_type, count=count),
            region,
        )
    ]
    if cluster.get("dedicatedMasterEnabled"):
        masters = _num(cluster.get("dedicatedMasterCount"), 3)
        master_type = cluster.get("dedicatedMasterType")
        items.append(
            LineItem(
                f"{_q(masters)} x {master_type} masters, 730 h",
                _monthly(ctx, "opensearch.instance_hour", region, master_type, count=masters),
                region,
            )
        )
    ebs = r.inputs.get("ebsOptions") or {}
    if ebs.get("ebsEnabled"):
        if (ebs.get("volumeType") or "gp3") != "gp3":
            raise PriceError(f"{r.name}: OpenSearch volume type {ebs.get('volumeType')!r} has no price (gp3 only)")
        gb = _num(ebs.get("volumeSize"))
        per_node = gp3_volume_monthly(
            ctx, "opensearch.gp3", region, gb, _num(ebs.get("iops"), 3000), _num(ebs.get("throughput"), 125),
            (3000, 125),
        )  # fmt: skip
        items.append(LineItem(f"{_q(count)} x {_q(gb)} GB gp3", per_node * count, region))
    return items


# --- MongoDB Atlas -------------------------------------------------------------------------------


def atlas_region(region_name: str) -> str:
    """Atlas's AWS region name (``US_EAST_1``) as the AWS region (``us-east-1``)."""
    return str(region_name).lower().replace("_", "-")


@pricer("mongodbatlas:index/advancedCluster:AdvancedCluster", "backup_gb")
def _atlas_cluster(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Every node of every shard (replication spec) and region config: electable, read-only and
    analytics nodes at their instance size's hourly price in their region; backup snapshots (and
    the oplog kept for point-in-time restore) in the highest-priority region."""
    items = []
    primary, best = "", -1.0
    for shard, spec in enumerate(r.inputs.get("replicationSpecs") or []):
        for config in spec.get("regionConfigs") or []:
            provider = config.get("providerName") or "AWS"
            if provider != "AWS":
                raise PriceError(f"{r.name}: Atlas provider {provider!r} has no price (AWS only)")
            node_region = atlas_region(config.get("regionName"))
            if _num(config.get("priority")) > best:
                primary, best = node_region, _num(config.get("priority"))
            for kind in ("electableSpecs", "readOnlySpecs", "analyticsSpecs"):
                node_spec = config.get(kind) or {}
                count = _num(node_spec.get("nodeCount"))
                if not count:
                    continue
                size = node_spec.get("instanceSize")
                items.append(
                    LineItem(
                        f"shard {shard} {_q(count)} x {size} {kind.removesuffix('Specs')} in {node_region}",
                        _monthly(ctx, "atlas.node_hour", node_region, size, count=count),
                        node_region,
                    )
                )
    if r.inputs.get("backupEnabled") or r.inputs.get("pitEnabled"):
        gb = u["backup_gb"]
        items.append(LineItem(f"cloud backup {_q(gb)} GB", gb * ctx.rate("atlas.backup_gb_month", primary), primary))
    return items

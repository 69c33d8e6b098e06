"""Monthly cost of a plan: every custom resource priced from the dated table and the usage file.

:func:`price_plan` walks the recorded :class:`~infra.offline.harness.PlanResult` and prices each
custom resource with the pricer registered for its type (:data:`PRICERS`); a type the table lists
as ``free`` costs nothing by design; any other type is a :class:`~infra.offline.pricing.PriceError`
naming it. Always-on resources run the table's ``hours_per_month`` (730). Node groups are priced at
their desired size, with the ceiling at their maximum size beside it. Free tiers are not applied
(the estimate is for an account that already uses them elsewhere); allowances that belong to a
resource (RDS backup storage up to 100% of the storage, 7 days of Performance Insights, gp3
baseline IOPS and throughput) are.

Services that bill no region (CloudFront, Route 53, WAF for CloudFront) show as region ``global``.
ALBs are not AWS resources of the program: the AWS Load Balancer Controller creates one per
Kubernetes Ingress group, so they are priced from the Ingress objects.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.offline.harness import PlanResult, RecordedResource
from infra.offline.pricing import PriceError, PriceTable
from infra.offline.usage import Usage, UsageFile

GLOBAL = "global"


@dataclass(frozen=True)
class LineItem:
    """One billed quantity of a resource: what it is, its monthly cost and the region billing it."""

    label: str
    monthly: float
    region: str
    #: The cost at the resource's maximum scale (node groups); the same as ``monthly`` otherwise.
    ceiling: float | None = None

    @property
    def at_max(self) -> float:
        """Monthly cost at maximum scale."""
        return self.monthly if self.ceiling is None else self.ceiling


@dataclass
class ResourceCost:
    """The priced line items of one resource, with where it sits in the component tree."""

    urn: str
    name: str
    type: str
    region: str
    top: str
    component: str
    items: list[LineItem]

    @property
    def monthly(self) -> float:
        """Monthly cost of the resource."""
        return sum(item.monthly for item in self.items)

    @property
    def ceiling(self) -> float:
        """Monthly cost at maximum scale."""
        return sum(item.at_max for item in self.items)


@dataclass
class CostReport:
    """Every priced resource of a stack, with the table and usage it was priced from."""

    stack: str
    table: PriceTable
    usage_file: Path
    resources: list[ResourceCost]
    free: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """Monthly total."""
        return sum(r.monthly for r in self.resources)

    @property
    def ceiling(self) -> float:
        """Monthly total with every node group at its maximum size."""
        return sum(r.ceiling for r in self.resources)

    def by_region(self) -> dict[str, float]:
        """Monthly cost per billing region (line items carry their own region)."""
        totals: dict[str, float] = defaultdict(float)
        for resource in self.resources:
            for item in resource.items:
                totals[item.region] += item.monthly
        return dict(sorted(totals.items()))

    def by_component(self) -> dict[str, float]:
        """Monthly cost per component path (``<top>/<component>``)."""
        totals: dict[str, float] = defaultdict(float)
        for resource in self.resources:
            totals[resource.component] += resource.monthly
        return dict(sorted(totals.items()))

    def by_top(self) -> dict[str, float]:
        """Monthly cost per top-level component of the stack (cells, edge, peering...)."""
        totals: dict[str, float] = defaultdict(float)
        for resource in self.resources:
            totals[resource.top] += resource.monthly
        return dict(sorted(totals.items()))

    def top_resources(self, n: int = 10) -> list[ResourceCost]:
        """The ``n`` most expensive resources."""
        return sorted(self.resources, key=lambda r: (-r.monthly, r.urn))[:n]


class _Context:
    """What pricers need besides the resource: the table, the plan's indexes, regions."""

    def __init__(self, plan: PlanResult, table: PriceTable) -> None:
        self.plan = plan
        self.table = table
        self.hours = table.hours_per_month
        self.by_urn = plan.by_urn()
        self._component_regions = _component_regions(plan)

    def rate(self, item: str, region: str, size: str | None = None) -> float:
        return self.table.price(item, region, size)

    def region_of(self, resource: RecordedResource) -> str:
        """The resource's region; Kubernetes objects take the one region of their nearest component."""
        if resource.region:
            return resource.region
        parent = resource.parent
        while parent in self.by_urn:
            regions = self._component_regions.get(parent, set())
            if len(regions) == 1:
                return next(iter(regions))
            parent = self.by_urn[parent].parent
        return ""

    def dependency(self, resource: RecordedResource, key: str) -> RecordedResource | None:
        """The resource whose output flowed into ``resource``'s input ``key`` (first one)."""
        for urn in resource.property_dependencies.get(key, ()):
            if urn in self.by_urn:
                return self.by_urn[urn]
        return None


def _component_regions(plan: PlanResult) -> dict[str, set[str]]:
    by_urn = plan.by_urn()
    regions: dict[str, set[str]] = defaultdict(set)
    for resource in plan.resources:
        if resource.custom and resource.region:
            parent = resource.parent
            while parent in by_urn:
                regions[parent].add(resource.region)
                parent = by_urn[parent].parent
    return regions


Pricer = Callable[[_Context, RecordedResource, Usage, str], list[LineItem]]


@dataclass(frozen=True)
class _Registration:
    fn: Pricer
    keys: frozenset[str]
    global_region: bool


#: Resource type -> its pricer and the usage keys it may read.
PRICERS: dict[str, _Registration] = {}


def pricer(type_token: str, *keys: str, global_region: bool = False) -> Callable[[Pricer], Pricer]:
    """Register ``fn`` as the pricer of ``type_token``, reading the usage ``keys``."""

    def register(fn: Pricer) -> Pricer:
        PRICERS[type_token] = _Registration(fn, frozenset(keys), global_region)
        return fn

    return register


def _monthly(ctx: _Context, item: str, region: str, size: str | None = None, count: float = 1.0) -> float:
    """An hourly price for ``count`` always-on units over a month."""
    return ctx.rate(item, region, size) * ctx.hours * count


def _q(value: float) -> str:
    """A quantity for a label: ``79,000,000``, ``0.65``."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _num(value: Any, default: float = 0.0) -> float:
    return default if value is None else float(value)


# --- compute -------------------------------------------------------------------------------------


@pricer("aws:eks/cluster:Cluster")
def _eks_cluster(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    return [LineItem("EKS control plane, 730 h", _monthly(ctx, "eks.cluster_hour", region), region)]


def gp3_volume_monthly(
    ctx: _Context, prefix: str, region: str, gb: float, iops: float, throughput: float, base: tuple[float, float]
) -> float:
    """A gp3 volume's month: GB plus the IOPS and MiB/s above the ``base`` (IOPS, MiB/s) included."""
    return (
        gb * ctx.rate(f"{prefix}.gb_month", region)
        + max(0.0, iops - base[0]) * ctx.rate(f"{prefix}.iops_month", region)
        + max(0.0, throughput - base[1]) * ctx.rate(f"{prefix}.throughput_month", region)
    )


@pricer("aws:eks/nodeGroup:NodeGroup")
def _node_group(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    template = ctx.dependency(r, "launchTemplate")
    template_inputs = template.inputs if template else {}
    instance_type = template_inputs.get("instanceType") or (r.inputs.get("instanceTypes") or [None])[0]
    if not instance_type:
        raise PriceError(
            f"{r.name}: node group without an instance type (neither its launch template nor instanceTypes)"
        )
    scaling = r.inputs.get("scalingConfig") or {}
    desired = _num(scaling.get("desiredSize"), _num(scaling.get("minSize")))
    maximum = _num(scaling.get("maxSize"), desired)
    hourly = ctx.rate("ec2.instance_hour", region, instance_type)
    capacity = r.inputs.get("capacityType") or "ON_DEMAND"
    if capacity == "SPOT":
        hourly *= ctx.rate("ec2.spot_fraction", region)
    elif capacity != "ON_DEMAND":
        raise PriceError(f"{r.name}: capacityType {capacity!r} has no price (ON_DEMAND or SPOT)")
    per_node = hourly * ctx.hours
    items = [
        LineItem(
            f"{_q(desired)} x {instance_type} {capacity.lower()} (max {_q(maximum)})",
            per_node * desired,
            region,
            per_node * maximum,
        )
    ]
    disk = 0.0
    for mapping in template_inputs.get("blockDeviceMappings") or []:
        ebs = mapping.get("ebs") or {}
        volume_type = ebs.get("volumeType") or "gp3"
        if volume_type != "gp3":
            raise PriceError(f"{r.name}: node volume type {volume_type!r} has no price (gp3 only)")
        disk += gp3_volume_monthly(
            ctx, "ebs.gp3", region, _num(ebs.get("volumeSize")), _num(ebs.get("iops"), 3000),
            _num(ebs.get("throughput"), 125), (3000, 125),
        )  # fmt: skip
    if disk:
        items.append(LineItem("node root volumes gp3", disk * desired, region, disk * maximum))
    return items


_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$")
#: Kubernetes quantity suffix -> GiB.
_GIB = {"Ki": 2**-20, "Mi": 2**-10, "Gi": 1.0, "Ti": 1024.0, "K": 1e3 / 2**30, "M": 1e6 / 2**30, "G": 1e9 / 2**30}
_GIB["T"] = 1e12 / 2**30


def quantity_gib(value: str) -> float:
    """A Kubernetes storage quantity (``50Gi``, ``1T``) in GiB; PriceError for what it cannot read."""
    match = _QUANTITY.match(str(value))
    if not match:
        raise PriceError(f"storage size {value!r} is not a Kubernetes quantity cost reads (e.g. 50Gi)")
    number, suffix = float(match.group(1)), match.group(2)
    return number * _GIB[suffix] if suffix else number / 2**30


def helm_volumes(values: Any, replicas: float = 1.0) -> list[float]:
    """GiB of every persistent volume a chart's values request: ``volumeClaimTemplate`` specs (times
    the ``replicas`` of the spec holding them, chart default 1) and enabled ``persistence`` blocks."""
    found: list[float] = []
    if isinstance(values, Mapping):
        here = _num(values.get("replicas"), replicas) if "replicas" in values else replicas
        claim = values.get("volumeClaimTemplate")
        if isinstance(claim, Mapping):
            storage = ((claim.get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage")
            if storage:
                found.append(quantity_gib(storage) * here)
        persistence = values.get("persistence")
        if isinstance(persistence, Mapping) and persistence.get("enabled") and persistence.get("size"):
            found.append(quantity_gib(persistence["size"]) * here)
        for key, value in values.items():
            if key not in ("volumeClaimTemplate", "persistence"):
                found.extend(helm_volumes(value, here))
    elif isinstance(values, list):
        for value in values:
            found.extend(helm_volumes(value, replicas))
    return found


@pricer("kubernetes:helm.sh/v3:Release")
def _helm_release(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Charts run on the priced nodes; what they add is the EBS volumes their claims create."""
    gib = sum(helm_volumes(r.inputs.get("values") or {}))
    if not gib:
        return [LineItem("runs on the cluster's nodes; no persistent volumes", 0.0, region)]
    monthly = gp3_volume_monthly(ctx, "ebs.gp3", region, gib, 3000, 125, (3000, 125))
    return [LineItem(f"{_q(gib)} GiB gp3 persistent volumes", monthly, region)]


@pricer("aws:eks/addon:Addon", "monthly_observations_millions")
def _eks_addon(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Add-ons are free, except that the CloudWatch Observability add-on turns on Container
    Insights with enhanced observability, billed per observation."""
    if r.inputs.get("addonName") != "amazon-cloudwatch-observability":
        return [LineItem("EKS add-on: no charge", 0.0, region)]
    observations = u["monthly_observations_millions"]
    return [
        LineItem(
            f"Container Insights, {_q(observations)} M observations",
            observations * ctx.rate("cloudwatch.container_insights_million_observations", region),
            region,
        )
    ]


@pricer("aws:serverlessrepository/cloudFormationStack:CloudFormationStack", "monthly_invocations",
        "average_duration_ms", "memory_mb")  # fmt: skip
def _rotation_lambda(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """The Serverless Application Repository stack is the secret-rotation Lambda function."""
    invocations = u["monthly_invocations"]
    gb_seconds = invocations * u["average_duration_ms"] / 1000 * u["memory_mb"] / 1024
    monthly = invocations / 1e6 * ctx.rate("lambda.million_requests", region) + gb_seconds * ctx.rate(
        "lambda.gb_second", region
    )
    return [LineItem(f"Lambda, {_q(invocations)} invocations", monthly, region)]


# --- network -------------------------------------------------------------------------------------


@pricer("aws:ec2/natGateway:NatGateway", "monthly_gb")
def _nat(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    gb = u["monthly_gb"]
    return [
        LineItem("NAT gateway, 730 h", _monthly(ctx, "vpc.nat_hour", region), region),
        LineItem(f"NAT processing {_q(gb)} GB", gb * ctx.rate("vpc.nat_gb", region), region),
    ]


@pricer("aws:ec2/eip:Eip")
def _eip(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    return [LineItem("public IPv4 address, 730 h", _monthly(ctx, "vpc.public_ipv4_hour", region), region)]


@pricer("aws:ec2/vpcEndpoint:VpcEndpoint", "monthly_gb")
def _vpc_endpoint(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    kind = r.inputs.get("vpcEndpointType") or "Gateway"
    if kind == "Gateway":
        return [LineItem("gateway endpoint: no charge", 0.0, region)]
    if kind != "Interface":
        raise PriceError(f"{r.name}: VPC endpoint type {kind!r} has no price (Gateway or Interface)")
    zones = len(r.inputs.get("subnetIds") or [])
    gb = u["monthly_gb"]
    return [
        LineItem(
            f"interface endpoint, {zones} AZ x 730 h",
            _monthly(ctx, "vpc.endpoint_az_hour", region, count=zones),
            region,
        ),
        LineItem(f"endpoint processing {_q(gb)} GB", gb * ctx.rate("vpc.endpoint_gb", region), region),
    ]


@pricer("aws:ec2/vpc:Vpc", "monthly_inter_az_gb")
def _vpc(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """The VPC itself is free; it carries the cell's traffic between zones (billed out and in)."""
    gb = u["monthly_inter_az_gb"]
    return [
        LineItem(f"inter-AZ transfer {_q(gb)} GB (out + in)", 2 * gb * ctx.rate("transfer.inter_az_gb", region), region)
    ]


@pricer("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "monthly_gb")
def _peering(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    gb = u["monthly_gb"]
    peer = r.inputs.get("peerRegion") or region
    item = "transfer.inter_region_gb" if peer != region else "transfer.inter_az_gb"
    return [LineItem(f"peering transfer {_q(gb)} GB to {peer}", gb * ctx.rate(item, region), region)]


@pricer("aws:ec2/flowLog:FlowLog", "monthly_gb")
def _flow_log(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    destination = r.inputs.get("logDestinationType") or "cloud-watch-logs"
    if destination != "s3":
        raise PriceError(f"{r.name}: flow logs to {destination!r} have no price here (s3 only)")
    gb = u["monthly_gb"]
    return [LineItem(f"flow logs delivered to S3, {_q(gb)} GB", gb * ctx.rate("logs.vended_s3_gb", region), region)]


def _ingress_group(r: RecordedResource) -> str:
    metadata = r.inputs.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    group = annotations.get("alb.ingress.kubernetes.io/group.name")
    # An ingress without a group gets an ALB of its own (the controller's implicit group).
    return f"{r.provider}|{group}" if group else f"{r.provider}|{metadata.get('namespace')}/{metadata.get('name')}"


@pricer("kubernetes:core/v1:Service")
def _service(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Cluster-internal services cost nothing; a LoadBalancer service would be an NLB."""
    kind = (r.inputs.get("spec") or {}).get("type") or "ClusterIP"
    if kind == "LoadBalancer":
        raise PriceError(f"{r.name}: a LoadBalancer Service creates an NLB, which has no price in the table")
    return [LineItem(f"{kind} service: no charge", 0.0, region)]


@pricer("kubernetes:networking.k8s.io/v1:Ingress", "average_lcus", "monthly_gb_out")
def _ingress(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """One ALB per ingress group (the AWS Load Balancer Controller's unit); the group's first
    ingress by URN carries its price, with the bytes it sends to the internet. Internet-facing
    ALBs hold a public IPv4 address per zone."""
    spec = r.inputs.get("spec") or {}
    if spec.get("ingressClassName") not in ("alb", None):
        return [LineItem(f"ingress class {spec.get('ingressClassName')!r}: no AWS load balancer", 0.0, region)]
    group = _ingress_group(r)
    members = sorted(
        x.urn for x in ctx.plan.of_type(r.type) if _ingress_group(x) == group and x.inputs.get("spec", {}).get(
            "ingressClassName") in ("alb", None)
    )  # fmt: skip
    if members[0] != r.urn:
        return [LineItem("shares the ALB of its ingress group", 0.0, region)]
    annotations = (r.inputs.get("metadata") or {}).get("annotations") or {}
    internal = annotations.get("alb.ingress.kubernetes.io/scheme", "internal") == "internal"
    role = "kubernetes.io/role/internal-elb" if internal else "kubernetes.io/role/elb"
    zones = sum(
        1
        for s in ctx.plan.of_type("aws:ec2/subnet:Subnet")
        if s.region == region and (s.inputs.get("tags") or {}).get(role) == "1"
    )
    lcus, gb_out = u["average_lcus"], u["monthly_gb_out"]
    items = [
        LineItem("ALB, 730 h", _monthly(ctx, "elb.alb_hour", region), region),
        LineItem(f"ALB {_q(lcus)} LCU average", _monthly(ctx, "elb.alb_lcu_hour", region, count=lcus), region),
        LineItem(
            f"responses to the internet {_q(gb_out)} GB", gb_out * ctx.rate("transfer.internet_gb_out", region), region
        ),
    ]
    if not internal:
        items.append(
            LineItem(f"ALB public IPv4, {zones} AZ", _monthly(ctx, "vpc.public_ipv4_hour", region, count=zones), region)
        )
    return items


# --- data ----------------------------------------------------------------------------------------


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


@pricer("aws:kinesis/stream:Stream", "monthly_put_units_millions")
def _stream(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    mode = (r.inputs.get("streamModeDetails") or {}).get("streamMode") or "PROVISIONED"
    if mode != "PROVISIONED":
        raise PriceError(f"{r.name}: Kinesis stream mode {mode!r} has no price (PROVISIONED only)")
    shards = _num(r.inputs.get("shardCount"))
    units = u["monthly_put_units_millions"]
    items = [
        LineItem(f"{_q(shards)} shards, 730 h", _monthly(ctx, "kinesis.shard_hour", region, count=shards), region),
        LineItem(f"{_q(units)} M PUT payload units", units * ctx.rate("kinesis.million_put_units", region), region),
    ]
    if _num(r.inputs.get("retentionPeriod"), 24) > 24:
        items.append(
            LineItem(
                "extended retention",
                _monthly(ctx, "kinesis.extended_retention_shard_hour", region, count=shards),
                region,
            )
        )
    return items


@pricer("aws:s3/bucket:Bucket", "storage_gb", "monthly_put_requests", "monthly_get_requests")
def _bucket(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    gb, puts, gets = u["storage_gb"], u["monthly_put_requests"], u["monthly_get_requests"]
    return [
        LineItem(f"S3 Standard {_q(gb)} GB", gb * ctx.rate("s3.standard_gb_month", region), region),
        LineItem(
            f"S3 requests {_q(puts)} PUT, {_q(gets)} GET",
            puts / 1000 * ctx.rate("s3.thousand_put", region) + gets / 1000 * ctx.rate("s3.thousand_get", region),
            region,
        ),
    ]


def _arn_region(arn: str) -> str:
    parts = str(arn).split(":")
    return parts[3] if len(parts) > 3 else ""


@pricer("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "monthly_replicated_gb")
def _bucket_replication(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Every rule's destination receives the replicated bytes (inter-region transfer, plus the
    Replication Time Control fee where a rule turns it on)."""
    gb = u["monthly_replicated_gb"]
    items = []
    for rule in r.inputs.get("rules") or []:
        destination = rule.get("destination") or {}
        target = _arn_region(destination.get("bucket", "")) or region
        cost = gb * (ctx.rate("transfer.inter_region_gb", region) if target != region else 0.0)
        if (destination.get("replicationTime") or {}).get("status") == "Enabled":
            cost += gb * ctx.rate("s3.rtc_gb", region)
        items.append(LineItem(f"replication {_q(gb)} GB to {target}", cost, region))
    return items


@pricer("aws:ecr/replicationConfiguration:ReplicationConfiguration", "image_storage_gb", "monthly_replicated_gb")
def _ecr_replication(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Replicas of the images are stored in every destination region; pushes cross regions."""
    stored, pushed = u["image_storage_gb"], u["monthly_replicated_gb"]
    items = []
    for rule in (r.inputs.get("replicationConfiguration") or {}).get("rules") or []:
        for destination in rule.get("destinations") or []:
            target = destination.get("region") or region
            items.append(
                LineItem(f"ECR replica {_q(stored)} GB in {target}", stored * ctx.rate("ecr.gb_month", target), target)
            )
            items.append(
                LineItem(
                    f"ECR replication {_q(pushed)} GB to {target}",
                    pushed * ctx.rate("transfer.inter_region_gb", region),
                    region,
                )
            )
    return items


# --- security and secrets ------------------------------------------------------------------------


@pricer("aws:kms/key:Key", "monthly_requests")
def _kms(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    requests = u["monthly_requests"]
    return [
        LineItem("KMS key", ctx.rate("kms.key_month", region), region),
        LineItem(
            f"KMS {_q(requests)} requests", requests / 10000 * ctx.rate("kms.ten_thousand_requests", region), region
        ),
    ]


@pricer("aws:secretsmanager/secret:Secret", "monthly_api_calls")
def _secret(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    calls = u["monthly_api_calls"]
    return [
        LineItem("secret", ctx.rate("secretsmanager.secret_month", region), region),
        LineItem(
            f"{_q(calls)} API calls", calls / 10000 * ctx.rate("secretsmanager.ten_thousand_calls", region), region
        ),
    ]


def _waf_region(r: RecordedResource) -> bool:
    return r.inputs.get("scope") == "CLOUDFRONT"


@pricer("aws:wafv2/webAcl:WebAcl", "monthly_requests")
def _web_acl(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """$ per web ACL, per rule (a managed rule group is one rule), per request; managed groups
    with a subscription fee (Bot Control, ATP...) add theirs from the table."""
    region = GLOBAL if _waf_region(r) else region
    price_region = r.region if region == GLOBAL else region
    rules = r.inputs.get("rules") or []
    requests = u["monthly_requests"]
    items = [
        LineItem("web ACL", ctx.rate("waf.web_acl_month", price_region), region),
        LineItem(f"{len(rules)} rules", len(rules) * ctx.rate("waf.rule_month", price_region), region),
        LineItem(f"{_q(requests)} requests", requests / 1e6 * ctx.rate("waf.million_requests", price_region), region),
    ]
    for rule in rules:
        group = (rule.get("statement") or {}).get("managedRuleGroupStatement")
        if group:
            fee = ctx.rate("waf.managed_rule_group_month", price_region, group.get("name"))
            if fee:
                items.append(LineItem(f"managed group {group.get('name')}", fee, region))
    return items


# --- observability -------------------------------------------------------------------------------


@pricer("aws:cloudwatch/metricAlarm:MetricAlarm", "metrics_analyzed")
def _alarm(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Per metric the alarm evaluates: standard (period >= 60 s) or high resolution; a metric-math
    alarm pays for each metric it reads; a Metrics Insights query alarm for each metric it analyzes;
    an anomaly-detection band counts three metrics."""
    queries = r.inputs.get("metricQueries") or []
    if not queries:
        resolution = "high_resolution" if _num(r.inputs.get("period"), 60) < 60 else "standard"
        metrics = 3.0 if r.inputs.get("thresholdMetricId") else 1.0
        return [
            LineItem(
                f"alarm {resolution}", metrics * ctx.rate(f"cloudwatch.alarm_{resolution}_metric_month", region), region
            )
        ]
    periods = [_num((q.get("metric") or {}).get("period"), 60) for q in queries if q.get("metric")]
    periods += [_num(q.get("period"), 60) for q in queries if q.get("expression")]
    resolution = "high_resolution" if periods and min(periods) < 60 else "standard"
    rate = ctx.rate(f"cloudwatch.alarm_{resolution}_metric_month", region)
    if any("SELECT" in str(q.get("expression", "")).upper() for q in queries):
        metrics = u["metrics_analyzed"]
        return [LineItem(f"Metrics Insights alarm, {_q(metrics)} metrics", metrics * rate, region)]
    metrics = sum(1 for q in queries if q.get("metric"))
    bands = sum(1 for q in queries if "ANOMALY_DETECTION_BAND" in str(q.get("expression", "")))
    return [LineItem(f"metric-math alarm, {metrics} metrics", (metrics + 3 * bands) * rate, region)]


@pricer("aws:cloudwatch/dashboard:Dashboard")
def _dashboard(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    return [LineItem("dashboard", ctx.rate("cloudwatch.dashboard_month", region), region)]


@pricer("aws:cloudwatch/logGroup:LogGroup", "monthly_ingestion_gb", "compressed_fraction")
def _log_group(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Ingestion per log class, and storage at steady state: a month's ingestion kept for the
    retention (no retention: one year), billed at its compressed size (``compressed_fraction`` of
    the ingested bytes)."""
    log_class = r.inputs.get("logGroupClass") or "STANDARD"
    gb = u["monthly_ingestion_gb"]
    retention_days = _num(r.inputs.get("retentionInDays"), 365) or 365
    stored = gb * retention_days / 30.4 * u["compressed_fraction"] if gb else 0.0
    ingestion = gb * ctx.rate("logs.ingestion_gb", region, log_class)
    storage = stored * ctx.rate("logs.storage_gb_month", region)
    return [
        LineItem(f"ingestion {_q(gb)} GB {log_class.lower()}", ingestion, region),
        LineItem(f"storage {stored:,.0f} GB compressed ({_q(retention_days)} d)", storage, region),
    ]


# --- messaging -----------------------------------------------------------------------------------


@pricer("aws:sqs/queue:Queue", "monthly_requests")
def _queue(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    kind = "fifo" if r.inputs.get("fifoQueue") else "standard"
    requests = u["monthly_requests"]
    return [
        LineItem(
            f"{_q(requests)} {kind} requests", requests / 1e6 * ctx.rate(f"sqs.{kind}_million_requests", region), region
        )
    ]


@pricer("aws:sns/topic:Topic", "monthly_publishes")
def _topic(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Publishes (deliveries to SQS are free; e-mail alerts are too few to price)."""
    publishes = u["monthly_publishes"]
    return [LineItem(f"{_q(publishes)} publishes", publishes / 1e6 * ctx.rate("sns.million_publishes", region), region)]


# --- edge ----------------------------------------------------------------------------------------


@pricer("aws:cloudfront/distribution:Distribution", "monthly_gb_out", "monthly_requests", global_region=True)
def _distribution(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Transfer out to viewers and HTTPS requests at the North America / Europe rate (where the
    product's viewers are; other continents cost more under PriceClass_All)."""
    gb, requests = u["monthly_gb_out"], u["monthly_requests"]
    price_class = r.inputs.get("priceClass") or "PriceClass_All"
    return [
        LineItem(f"{_q(gb)} GB out ({price_class})", gb * ctx.rate("cloudfront.gb_out", GLOBAL, price_class), GLOBAL),
        LineItem(
            f"{_q(requests)} HTTPS requests",
            requests / 10000 * ctx.rate("cloudfront.ten_thousand_https_requests", GLOBAL, price_class),
            GLOBAL,
        ),
    ]


def health_check_features(inputs: Mapping[str, Any]) -> list[str]:
    """The optional, separately billed features of a Route 53 health check."""
    kind = str(inputs.get("type") or "")
    features = []
    if kind.startswith("HTTPS"):
        features.append("https")
    if kind.endswith("STR_MATCH"):
        features.append("string matching")
    if _num(inputs.get("requestInterval"), 30) < 30:
        features.append("fast interval")
    if inputs.get("measureLatency"):
        features.append("latency measurement")
    return features


@pricer("aws:route53/healthCheck:HealthCheck", global_region=True)
def _health_check(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Endpoints in AWS (an ALB, ``*.amazonaws.com``) price lower than others; each optional
    feature (HTTPS, string matching, 10-s interval, latency graphs) is billed on top."""
    target = str(r.inputs.get("fqdn") or r.inputs.get("ipAddress") or "")
    endpoint = "aws" if target.endswith(".amazonaws.com") else "non_aws"
    features = health_check_features(r.inputs)
    return [
        LineItem(
            f"health check ({endpoint.replace('_', '-')} endpoint)",
            ctx.rate("route53.health_check_month", GLOBAL, endpoint),
            GLOBAL,
        ),
        LineItem(
            f"features: {', '.join(features) or 'none'}",
            len(features) * ctx.rate("route53.health_check_feature_month", GLOBAL, endpoint),
            GLOBAL,
        ),
    ]


def _routing_policy(inputs: Mapping[str, Any]) -> str:
    for key, policy in (("latencyRoutingPolicies", "latency"), ("geolocationRoutingPolicies", "geo")):
        if inputs.get(key):
            return policy
    return "standard"


@pricer("aws:route53/record:Record", "monthly_queries", global_region=True)
def _record(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Queries of alias records to AWS resources (ALB, CloudFront...) are free; others by policy."""
    if r.inputs.get("aliases"):
        return [LineItem("alias record: queries free", 0.0, GLOBAL)]
    policy = _routing_policy(r.inputs)
    queries = u["monthly_queries"]
    return [
        LineItem(
            f"{_q(queries)} {policy} queries",
            queries / 1e6 * ctx.rate("route53.million_queries", GLOBAL, policy),
            GLOBAL,
        )
    ]


@pricer("aws:route53/zone:Zone", global_region=True)
def _zone(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    return [LineItem("hosted zone", ctx.rate("route53.hosted_zone_month", GLOBAL), GLOBAL)]


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


# --- the walk ------------------------------------------------------------------------------------


def _component_path(ctx: _Context, resource: RecordedResource) -> list[str]:
    path = []
    parent = resource.parent
    while parent in ctx.by_urn and ctx.by_urn[parent].type != "pulumi:pulumi:Stack":
        path.append(ctx.by_urn[parent].name)
        parent = ctx.by_urn[parent].parent
    return list(reversed(path))


def check_coverage(types: Iterable[str], table: PriceTable) -> None:
    """PriceError for the first type neither priced nor listed as free (or listed as both)."""
    for type_token in sorted(set(types)):
        if type_token in PRICERS and type_token in table.free:
            raise PriceError(f"resource type {type_token} is both priced and listed as free in {table.path.name}")
        if type_token not in PRICERS and type_token not in table.free:
            raise PriceError(f"resource type {type_token} has no price and is not listed as free in {table.path.name}")


def price_plan(plan: PlanResult, table: PriceTable, usage: UsageFile) -> CostReport:
    """Price every custom resource of ``plan``; PriceError / UsageError name what is missing."""
    ctx = _Context(plan, table)
    custom = [r for r in plan.resources if r.custom]
    usage.check(((r.name, r.type) for r in custom), {t: reg.keys for t, reg in PRICERS.items()})
    costs: list[ResourceCost] = []
    free: dict[str, int] = defaultdict(int)
    for resource in custom:
        registration = PRICERS.get(resource.type)
        if registration is None:
            if resource.type in table.free:
                free[resource.type] += 1
                continue
            raise PriceError(
                f"resource type {resource.type} ({resource.name}) has no price and is not listed as free "
                f"in {table.path.name}"
            )
        region = ctx.region_of(resource)
        values = Usage(usage.for_resource(resource.name, resource.type), resource.name, resource.type, usage.path)
        try:
            items = registration.fn(ctx, resource, values, region)
        except PriceError as error:
            raise PriceError(f"{resource.name} ({resource.type}): {error}") from None
        path = _component_path(ctx, resource) or [plan.stack]
        costs.append(
            ResourceCost(
                urn=resource.urn,
                name=resource.name,
                type=resource.type,
                region=GLOBAL
                if registration.global_region or any(i.region == GLOBAL for i in items)
                else region or (max(items, key=lambda i: i.monthly).region if items else ""),
                top=path[0],
                component="/".join(path[:2]),
                items=items,
            )
        )
    return CostReport(plan.stack, table, usage.path, costs, dict(free))


def to_json(report: CostReport) -> dict[str, Any]:
    """The machine view of ``report`` (figures in USD per month, rounded to cents)."""

    def cents(value: float) -> float:
        return round(value, 2)

    return {
        "stack": report.stack,
        "currency": report.table.currency,
        "price_table": {"path": str(report.table.path), "as_of": report.table.as_of.isoformat()},
        "usage_file": str(report.usage_file),
        "hours_per_month": report.table.hours_per_month,
        "total": cents(report.total),
        "total_at_max_scale": cents(report.ceiling),
        "by_region": {k: cents(v) for k, v in report.by_region().items()},
        "by_top_level": {k: cents(v) for k, v in report.by_top().items()},
        "by_component": {k: cents(v) for k, v in report.by_component().items()},
        "top": [{"name": r.name, "type": r.type, "monthly": cents(r.monthly)} for r in report.top_resources()],
        "resources": [
            {
                "urn": r.urn,
                "name": r.name,
                "type": r.type,
                "region": r.region,
                "component": r.component,
                "monthly": cents(r.monthly),
                "monthly_at_max_scale": cents(r.ceiling),
                "items": [{"label": i.label, "monthly": cents(i.monthly), "region": i.region} for i in r.items],
            }
            for r in sorted(report.resources, key=lambda r: r.urn)
        ],
        "free_resources": dict(sorted(report.free.items())),
    }


@dataclass(frozen=True)
class CostDelta:
    """The monthly cost change from one stack to another, total and per component."""

    source: str
    target: str
    source_total: float
    target_total: float
    components: dict[str, tuple[float, float]]

    @property
    def delta(self) -> float:
        """target total - source total."""
        return self.target_total - self.source_total

    def to_json(self) -> dict[str, Any]:
        """JSON-safe view (USD per month)."""
        return {
            "from": {"stack": self.source, "total": round(self.source_total, 2)},
            "to": {"stack": self.target, "total": round(self.target_total, 2)},
            "delta": round(self.delta, 2),
            "components": {
                name: {"from": round(a, 2), "to": round(b, 2), "delta": round(b - a, 2)}
                for name, (a, b) in self.components.items()
            },
        }


def cost_delta(before: CostReport, after: CostReport) -> CostDelta:
    """Per component path: (before, after) for every component whose monthly cost changes."""
    old, new = before.by_component(), after.by_component()
    changed = {
        name: (old.get(name, 0.0), new.get(name, 0.0))
        for name in sorted(set(old) | set(new))
        if round(old.get(name, 0.0), 2) != round(new.get(name, 0.0), 2)
    }
    return CostDelta(before.stack, after.stack, before.total, after.total, changed)


def money(value: float) -> str:
    """A monthly figure as whole dollars with thousands separators (``$12,345``)."""
    return f"${round(value):,}"


def render(report: CostReport, console: Any, top: int = 10) -> None:
    """The human view: per component and region, per region, the top resources and the totals."""
    from rich.markup import escape
    from rich.table import Table

    table = report.table
    console.print(
        f"[bold]stack {escape(report.stack)}[/bold]: monthly estimate in {table.currency}, "
        f"on-demand list prices as of {table.as_of.isoformat()} ({escape(str(table.path))}), "
        f"usage from {escape(str(report.usage_file))}; always-on at {table.hours_per_month:g} h",
        highlight=False,
    )
    components = Table(title="per component", pad_edge=False)
    for column, justify in (("component", "left"), ("region", "left"), ("monthly", "right"), ("share", "right")):
        components.add_column(column, justify=justify)  # type: ignore[arg-type]
    regions_of: dict[str, set[str]] = defaultdict(set)
    for resource in report.resources:
        regions_of[resource.component] |= {i.region for i in resource.items if i.monthly}
    total = report.total or 1.0
    for name, monthly in sorted(report.by_component().items(), key=lambda kv: -kv[1]):
        components.add_row(
            escape(name), ",".join(sorted(regions_of[name])) or "-", money(monthly), f"{100 * monthly / total:.0f}%"
        )
    console.print(components)
    regions = Table(title="per region", pad_edge=False)
    regions.add_column("region")
    regions.add_column("monthly", justify="right")
    for name, monthly in report.by_region().items():
        regions.add_row(name, money(monthly))
    console.print(regions)
    biggest = Table(title=f"top {top} resources", pad_edge=False)
    for column in ("resource", "type", "monthly", "what"):
        biggest.add_column(column, justify="right" if column == "monthly" else "left")
    for resource in report.top_resources(top):
        main = max(resource.items, key=lambda i: i.monthly)
        biggest.add_row(
            escape(resource.name), resource.type.rsplit(":", 1)[-1], money(resource.monthly), escape(main.label)
        )
    console.print(biggest)
    console.print(
        f"[bold]total {money(report.total)}/month[/bold] ({money(report.ceiling)} with every node group at its "
        f"maximum size); {len(report.resources)} priced resources, {sum(report.free.values())} free",
        highlight=False,
    )


def stack_cost(
    stack: str, plan: PlanResult, root: Path, usage: Path | None = None, table: Path | None = None
) -> CostReport:
    """Price ``plan`` of ``stack`` with the shipped table and ``usage`` (default ``usage/<stack>.yaml``
    under ``root``)."""
    from infra.offline.pricing import DEFAULT_TABLE, load_table
    from infra.offline.usage import load_usage, usage_path

    return price_plan(plan, load_table(table or DEFAULT_TABLE), load_usage(usage or usage_path(stack, root)))

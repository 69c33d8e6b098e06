"""``capacity STACK``: what an offline plan can carry against its phase's SPEC §3 targets.

The numbers come from the plan, i.e. from what ``pulumi up`` would register: the api and worker
Deployments' CPU/memory requests and their autoscalers' maxima (HorizontalPodAutoscaler, KEDA
ScaledObject), the node groups' maximum sizes and instance type, the RDS instances (class,
Multi-AZ, the parameter group's ``max_connections``), the RDS Proxy pool, the ElastiCache
replication groups and the SQS queues, grouped by regional cell. The assumptions (per-vCPU
throughputs, think time, ...) come from ``platform:capacity``; the formulas from
:mod:`infra.offline.capacity` and :mod:`infra.offline.availability`.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from components.atlas_topology import ATLAS_INSTANCE_SIZES, InstanceSize
from components.cluster import node_capacity
from components.postgres import INSTANCE_VCPUS, max_connections
from components.redis import NODE_MEMORY_GIB
from infra.compute import API_NAMESPACE, WORKER_NAMESPACE
from infra.config import CapacityConfig, StackConfig
from infra.offline import availability
from infra.offline import capacity as formulas
from infra.offline.harness import PlanResult, RecordedResource
from infra.rules import (
    PHASE_AVAILABILITY,
    PHASE_CONCURRENT_USERS,
    PHASE_HEADROOM_USERS,
    PHASE_POOLED_CONNECTIONS,
    PHASE_QUERIES,
    atlas_nodes,
    platform_reserve,
)

CELL = "platform:stack:Cell"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
DB_INSTANCE = "aws:rds/instance:Instance"
DB_PARAMETERS = "aws:rds/parameterGroup:ParameterGroup"
PROXY_POOL = "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup"
CACHE_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_PARAMETERS = "aws:elasticache/parameterGroup:ParameterGroup"
QUEUE = "aws:sqs/queue:Queue"
MIB = 2**20


@dataclass(frozen=True)
class App:
    """One Deployment at peak: its pod requests and its autoscaler's maximum."""

    cpu_m: int
    memory_mib: int
    max_replicas: int


@dataclass(frozen=True)
class Database:
    """One RDS instance."""

    instance_class: str
    multi_az: bool
    max_connections: int
    replica: bool

    @property
    def vcpus(self) -> int:
        if self.instance_class not in INSTANCE_VCPUS:
            raise ValueError(f"no vCPU count for {self.instance_class!r}; known: {', '.join(INSTANCE_VCPUS)}")
        return INSTANCE_VCPUS[self.instance_class]


@dataclass(frozen=True)
class Cache:
    """One ElastiCache replication group."""

    node_type: str
    shards: int
    replicas_per_shard: int
    multi_az: bool
    reserved_percent: int


@dataclass
class CellFacts:
    """What one regional cell of the plan deploys, as far as capacity is concerned."""

    name: str
    region: str = ""
    instance_type: str = ""
    max_nodes: int = 0
    zones: int = 0
    apps: dict[str, App] = field(default_factory=dict)
    databases: list[Database] = field(default_factory=list)
    proxy_percent: int | None = None
    cache: Cache | None = None
    fifo_queues: dict[str, bool] = field(default_factory=dict)

    @property
    def serving(self) -> bool:
        """Whether the cell serves the API (a standby cell only holds replicas)."""
        return API_NAMESPACE in self.apps

    @property
    def primary(self) -> Database | None:
        return next((d for d in self.databases if not d.replica), None)

    @property
    def replicas(self) -> list[Database]:
        return [d for d in self.databases if d.replica]


@dataclass(frozen=True)
class Check:
    """One target: what SPEC §3 (or the stack itself) requires, what the plan carries, and why."""

    key: str
    target: str
    required: float
    capacity: float
    unit: str
    limit: str
    formula: str

    @property
    def passed(self) -> bool:
        return self.capacity >= self.required

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "target": self.target,
            "required": _plain(self.required),
            "capacity": _plain(self.capacity),
            "unit": self.unit,
            "passed": self.passed,
            "limit": self.limit,
            "formula": self.formula,
        }


@dataclass(frozen=True)
class CapacityReport:
    """Every check of one stack."""

    stack: str
    phase: int
    checks: list[Check]
    cells: list[CellFacts]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "phase": self.phase,
            "passed": self.passed,
            "checks": [c.to_json() for c in self.checks],
        }


def _plain(value: float) -> float | int | None:
    """JSON numbers: whole values as ints, infinity (no limit) as null."""
    if math.isinf(value):
        return None
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value


def _cpu_m(quantity: str) -> int:
    """A Kubernetes CPU quantity (``250m``, ``1``, ``1.5``) in millicores."""
    text = str(quantity)
    return int(text[:-1]) if text.endswith("m") else round(float(text) * 1000)


def _memory_mib(quantity: str) -> int:
    """A Kubernetes memory quantity in MiB (the ``Mi``/``Gi`` forms our workloads use)."""
    text = str(quantity)
    for suffix, factor in (("Mi", 1), ("Gi", 1024)):
        if text.endswith(suffix):
            return round(float(text[: -len(suffix)]) * factor)
    raise ValueError(f"memory quantity {quantity!r}: expected Mi or Gi")


def _cell_of(resource: RecordedResource, by_urn: dict[str, RecordedResource]) -> str | None:
    """The logical name of the regional cell ``resource`` belongs to, or None (global layer)."""
    urn = resource.parent
    while urn in by_urn:
        parent = by_urn[urn]
        if parent.type == CELL:
            return parent.name
        urn = parent.parent
    return None


def _parameters(resource: RecordedResource) -> dict[str, str]:
    return {p["name"]: p["value"] for p in resource.inputs.get("parameters") or []}


def cell_facts(plan: PlanResult, config: CapacityConfig) -> list[CellFacts]:
    """The capacity-relevant facts of every regional cell in ``plan``, in registration order."""
    by_urn = plan.by_urn()
    cells: dict[str, CellFacts] = {}
    deployments: dict[tuple[str, str], dict] = {}
    maxima: dict[tuple[str, str], int] = {}
    templates = {r.id: r.inputs.get("instanceType") for r in plan.of_type(LAUNCH_TEMPLATE)}
    db_parameters = {r.inputs.get("name"): _parameters(r) for r in plan.of_type(DB_PARAMETERS)}
    cache_parameters = {r.inputs.get("name"): _parameters(r) for r in plan.of_type(CACHE_PARAMETERS)}
    for resource in plan.resources:
        name = _cell_of(resource, by_urn)
        if name is None or not resource.custom:
            continue
        cell = cells.setdefault(name, CellFacts(name))
        cell.region = cell.region or resource.region
        inputs = resource.inputs
        if resource.type == DEPLOYMENT:
            namespace = inputs["metadata"].get("namespace")
            deployments[(name, namespace)] = inputs["spec"]["template"]["spec"]["containers"][0]["resources"]
        elif resource.type == HPA:
            maxima[(name, inputs["metadata"]["namespace"])] = int(inputs["spec"]["maxReplicas"])
        elif resource.type == SCALED_OBJECT:
            maxima[(name, inputs["metadata"]["namespace"])] = int(inputs["spec"]["maxReplicaCount"])
        elif resource.type == NODE_GROUP:
            scaling = inputs["scalingConfig"]
            cell.max_nodes += int(scaling["maxSize"])
            cell.zones += 1 if int(scaling["minSize"]) >= 1 else 0
            cell.instance_type = templates.get(inputs["launchTemplate"]["id"])
        elif resource.type == DB_INSTANCE:
            pinned = db_parameters.get(inputs.get("parameterGroupName"), {}).get("max_connections")
            instance_class = inputs["instanceClass"]
            cell.databases.append(
                Database(
                    instance_class,
                    bool(inputs.get("multiAz")),
                    formulas.effective_max_connections(
                        int(pinned) if pinned is not None else None, max_connections(instance_class)
                    ),
                    replica="replicateSourceDb" in inputs,
                )
            )
        elif resource.type == PROXY_POOL:
            cell.proxy_percent = int(inputs["connectionPoolConfig"]["maxConnectionsPercent"])
        elif resource.type == CACHE_GROUP:
            reserved = cache_parameters.get(inputs.get("parameterGroupName"), {}).get("reserved-memory-percent")
            cell.cache = Cache(
                inputs["nodeType"],
                int(inputs.get("numNodeGroups") or 1),
                int(inputs.get("replicasPerNodeGroup") or 0),
                bool(inputs.get("multiAzEnabled")) and bool(inputs.get("automaticFailoverEnabled")),
                int(reserved) if reserved is not None else config.cache_reserved_memory_percent,
            )
        elif resource.type == QUEUE:
            cell.fifo_queues[resource.name] = bool(inputs.get("fifoQueue"))
    for (name, namespace), resources in deployments.items():
        requests = resources["requests"]
        cells[name].apps[namespace] = App(
            _cpu_m(requests["cpu"]), _memory_mib(requests["memory"]), maxima[(name, namespace)]
        )
    return list(cells.values())


def format_amount(value: float, unit: str, ceiling: bool = False) -> str:
    """A value for people: whole numbers with thousands separators (requirements rounded up,
    capacities down, so a PASS never rests on a rounded figure), percentages with two decimals."""
    if unit == "%":
        return f"{value:.2f}%"
    if math.isinf(value):
        return "unlimited"
    whole = math.ceil(value - 1e-9) if ceiling else math.floor(value + 1e-9)
    return f"{whole:,} {unit}"


def _n(value: float, ceiling: bool = False) -> str:
    """An integer with thousands separators: capacities rounded down, requirements up."""
    if math.isinf(value):
        return "unlimited"
    return f"{math.ceil(value - 1e-9) if ceiling else math.floor(value + 1e-9):,}"


def _counted(items: list[str]) -> str:
    """``a, a, b`` as ``2 × a + b``."""
    counts = Counter(items)
    return " + ".join(f"{n} × {item}" if n > 1 else item for item, n in counts.items()) or "none"


def _api_capacity(cell: CellFacts, config: StackConfig) -> tuple[float, str, str]:
    """Requests/s one serving cell's api carries, what limits it, and how it was reached."""
    api = cell.apps[API_NAMESPACE]
    worker = cell.apps.get(WORKER_NAMESPACE)
    others = (worker.cpu_m * worker.max_replicas, worker.memory_mib * worker.max_replicas) if worker else (0, 0)
    room = node_capacity(cell.instance_type, cell.max_nodes)
    fit = formulas.pods_in_node_room(tuple(room), platform_reserve(config), others, (api.cpu_m, api.memory_mib))
    pods = formulas.api_pods(api.max_replicas, fit)
    per_pod = formulas.per_pod_rps(api.cpu_m, config.capacity.rps_per_vcpu)
    text = (
        f"{cell.name}: {_n(pods.value)} pods ({pods.limit}; {cell.max_nodes} × {cell.instance_type} hold "
        f"{_n(fit)}) × {api.cpu_m}m × {config.capacity.rps_per_vcpu:g} req/s per vCPU"
    )
    return pods.value * per_pod, pods.limit, text


def _db_capacity(cells: list[CellFacts], assumptions: CapacityConfig) -> tuple[formulas.Limited, str]:
    """Queries/s of the primary and the readers of every serving region (standby replicas serve
    no traffic)."""
    primary = next(c.primary for c in cells if c.primary)
    readers = [d for c in cells if c.serving for d in c.replicas]
    result = formulas.db_queries(
        primary.vcpus, [d.vcpus for d in readers], assumptions.db_queries_per_vcpu, assumptions.read_share
    )
    reader_text = _counted([f"{d.instance_class} ({d.vcpus} vCPU)" for d in readers])
    text = (
        f"writer {primary.instance_class} ({primary.vcpus} vCPU), readers {reader_text}; "
        f"{assumptions.db_queries_per_vcpu:,g} queries/s per vCPU; reads {assumptions.read_share:.0%} to readers: "
        f"min(writer / {1 - assumptions.read_share:.2f}, readers / {assumptions.read_share:.2f})"
    )
    return result, text


def build_report(plan: PlanResult, config: StackConfig) -> CapacityReport:
    """Every SPEC §3 target of ``config.phase`` checked against what ``plan`` carries."""
    assumptions = config.capacity
    phase = config.phase
    cells = cell_facts(plan, assumptions)
    serving = [c for c in cells if c.serving]
    per_user = formulas.rps_per_user(assumptions.think_time_seconds, assumptions.requests_per_action)
    user_rule = (
        f"{assumptions.requests_per_action:g} requests per action every {assumptions.think_time_seconds:g} s "
        f"= {per_user:.3f} req/s per user"
    )
    checks: list[Check] = []

    api = [_api_capacity(c, config) for c in serving]
    rps = sum(value for value, _, _ in api)
    api_limit = min(api, key=lambda a: a[0])[1]
    database, db_text = (
        _atlas_queries(config) if config.database.engine == "mongodb" else _db_capacity(cells, assumptions)
    )
    users_by_api = rps / per_user
    users_by_db = database.value / assumptions.queries_per_request / per_user
    users = min(users_by_api, users_by_db)
    users_limit = f"api: {api_limit}" if users_by_api <= users_by_db else f"database: {database.limit}"
    user_formula = (
        f"min(api {_n(rps)} req/s, database {_n(database.value)} queries/s ÷ "
        f"{assumptions.queries_per_request:g} per request) ÷ ({user_rule})"
    )
    targets = [("concurrent_users", "Peak concurrent users", PHASE_CONCURRENT_USERS[phase])]
    if phase in PHASE_HEADROOM_USERS:
        targets.append(("headroom_users", "Concurrent users headroom", PHASE_HEADROOM_USERS[phase]))
    for key, label, required in targets:
        checks.append(Check(key, label, required, users, "users", users_limit, user_formula))

    required_rps = PHASE_CONCURRENT_USERS[phase] * per_user
    checks.append(
        Check(
            "api_rps",
            "API requests/s at peak",
            required_rps,
            rps,
            "req/s",
            api_limit,
            f"{_n(PHASE_CONCURRENT_USERS[phase])} users × {per_user:.3f} req/s required; capacity "
            + " + ".join(text for _, _, text in api),
        )
    )
    checks.append(
        Check("db_queries", "DB queries/s at peak", PHASE_QUERIES[phase], database.value, "queries/s",
              database.limit, db_text)
    )  # fmt: skip
    checks.extend(_connection_checks(cells, serving, config))
    checks.extend(_cache_checks(serving, config, required_rps))
    checks.append(_queue_check(serving, config, required_rps))
    checks.append(_availability_check(cells, serving, config))
    return CapacityReport(plan.stack, phase, checks, cells)


def _atlas_shape(config: StackConfig) -> tuple[InstanceSize, int, int]:
    """The Atlas cluster's tier, OLTP nodes per shard (electable + read-only, all regions) and shards."""
    atlas = config.database.atlas
    nodes = sum(n.electable + n.read_only for _, _, n in atlas_nodes(config))
    return ATLAS_INSTANCE_SIZES[atlas.instance_size], nodes, atlas.shards


def _atlas_queries(config: StackConfig) -> tuple[formulas.Limited, str]:
    """Operations/s of the Atlas cluster's OLTP nodes (analytics nodes excluded)."""
    assumptions = config.capacity
    size, nodes, shards = _atlas_shape(config)
    result = formulas.atlas_ops(size.vcpus, nodes, shards, assumptions.document_ops_per_vcpu, assumptions.read_share)
    text = (
        f"Atlas {config.database.atlas.instance_size} ({size.vcpus} vCPU) × {nodes} OLTP nodes × {shards} shard(s): "
        f"primaries take writes, secondaries reads ({assumptions.read_share:.0%}); "
        f"{assumptions.document_ops_per_vcpu:,g} ops/s per vCPU; analytics nodes excluded"
    )
    return formulas.Limited(
        result.value, result.limit.replace("writer", "primaries'").replace("readers'", "secondaries'")
    ), text


def _connection_checks(cells: list[CellFacts], serving: list[CellFacts], config: StackConfig) -> list[Check]:
    assumptions = config.capacity
    if config.database.engine == "mongodb":
        atlas = config.database.atlas
        size, nodes, shards = _atlas_shape(config)
        sharded = atlas.cluster_type == "SHARDED"
        accepted = formulas.atlas_connections(size.max_connections, nodes, shards, sharded)
        where = f"{nodes * shards} mongos" if sharded else f"{nodes} nodes"
        pool_text = (
            f"Atlas {atlas.instance_size}: {size.max_connections:,} connections per node less "
            f"{formulas.ATLAS_RESERVED_CONNECTIONS} kept by Atlas × {where}"
        )
        return _app_connection_checks(
            serving, config, accepted, pool_text, f"Atlas {atlas.instance_size} connection limit"
        )
    home = next(c for c in cells if c.primary)
    primary = home.primary
    if home.proxy_percent is None:
        pool, pool_text = primary.max_connections, f"no proxy: {primary.instance_class}'s max_connections"
        accepted = pool
    else:
        pool = formulas.proxy_pool(primary.max_connections, home.proxy_percent)
        accepted = formulas.proxy_client_connections(pool, assumptions.clients_per_pooled_connection)
        pool_text = (
            f"RDS Proxy pool {home.proxy_percent}% × max_connections {primary.max_connections:,} = {pool:,} "
            f"database connections × {assumptions.clients_per_pooled_connection:g} clients each"
        )
    return _app_connection_checks(
        serving, config, accepted, pool_text, "proxy pool (max_connections × MaxConnectionsPercent)"
    )


def _app_connection_checks(
    serving: list[CellFacts], config: StackConfig, accepted: int, pool_text: str, limit: str
) -> list[Check]:
    assumptions = config.capacity
    pods = sum(app.max_replicas for c in serving for app in c.apps.values())
    opened = formulas.app_client_connections(assumptions.connection_pool_per_pod, pods)
    return [
        Check("pooled_connections", "Pooled DB connections", PHASE_POOLED_CONNECTIONS[config.phase], accepted,
              "connections", limit, pool_text),
        Check("app_connections", "App connections at max pods", opened, accepted, "connections", limit,
              f"required: {pods} api+worker pods at their maxima × pool of {assumptions.connection_pool_per_pod}; "
              f"capacity: {pool_text}"),
    ]  # fmt: skip


def _cache_checks(serving: list[CellFacts], config: StackConfig, required_rps: float) -> list[Check]:
    assumptions = config.capacity
    caches = [c.cache for c in serving if c.cache]
    memory_mib = sum(
        formulas.cache_memory_gib(NODE_MEMORY_GIB[c.node_type], c.reserved_percent, c.shards) * 1024 for c in caches
    )
    ops = sum(formulas.cache_ops(assumptions.cache_ops_per_node, c.shards) for c in caches)
    users = PHASE_CONCURRENT_USERS[config.phase]
    groups = _counted(
        [
            f"{c.shards} shards × {c.node_type} ({NODE_MEMORY_GIB[c.node_type]:g} GiB, {c.reserved_percent}% reserved)"
            for c in caches
        ]
    )
    return [
        Check("cache_memory", "Cache memory", users * assumptions.cache_bytes_per_user / MIB, memory_mib, "MiB",
              "node memory × shards",
              f"required: {users:,} users × {assumptions.cache_bytes_per_user:,} B; capacity: {groups}"),
        Check("cache_ops", "Cache ops/s", required_rps * assumptions.cache_ops_per_request, ops, "ops/s",
              "shard primaries",
              f"required: {_n(required_rps, True)} req/s × {assumptions.cache_ops_per_request:g}; capacity: "
              f"{sum(c.shards for c in caches)} shard primaries × {assumptions.cache_ops_per_node:,g} ops/s each"),
    ]  # fmt: skip


def _queue_check(serving: list[CellFacts], config: StackConfig, required_rps: float) -> Check:
    assumptions = config.capacity
    queue = config.apps.worker.queue
    workers = sum(c.apps[WORKER_NAMESPACE].max_replicas for c in serving if WORKER_NAMESPACE in c.apps)
    by_workers = formulas.worker_throughput(workers, assumptions.jobs_per_worker_pod_per_second)
    fifo = any(c.fifo_queues.get(f"{c.name}-queues-{queue}", False) for c in serving)
    by_queue = formulas.queue_throughput(fifo) * len(serving)
    capacity = min(by_workers, by_queue)
    kind = "FIFO: 300 calls/s × 10 per batch" if fifo else "standard: nearly unlimited"
    return Check(
        "queue_jobs",
        f"Queue jobs/s ({queue})",
        required_rps * assumptions.jobs_per_request,
        capacity,
        "jobs/s",
        "worker maxReplicas" if by_workers <= by_queue else "SQS FIFO quota",
        f"required: {_n(required_rps, True)} req/s × {assumptions.jobs_per_request:g} jobs; capacity: {workers} worker "
        f"pods × {assumptions.jobs_per_worker_pod_per_second:g} jobs/s (SQS {kind})",
    )


def _availability_check(cells: list[CellFacts], serving: list[CellFacts], config: StackConfig) -> Check:
    if config.database.engine == "mongodb":
        database = availability.sla(availability.ATLAS)
    else:
        database = availability.rds(next(c.primary for c in cells if c.primary).multi_az)
    design = availability.design_availability(
        [availability.Cell(c.zones, c.cache.multi_az if c.cache else None, len(c.replicas)) for c in serving],
        database,
    )
    # SLAs are published to two decimals; more digits would fail 99.95 on the product's rounding.
    percent = round(design.percent, 2)
    weakest = "single primary database (writes)" if len(serving) > 1 else "serial request path"
    return Check("availability", "Availability by design", PHASE_AVAILABILITY[config.phase], percent, "%", weakest,
                 f"{design.text} = {design.percent:.3f}%")  # fmt: skip

"""What a phase can carry: the capacity formulas behind ``python -m infra.cli capacity``.

Plain functions of explicit numbers, no plan and no config: :mod:`infra.offline.capacity_report`
reads the numbers from the offline plan (the Kubernetes objects, RDS, ElastiCache, SQS resources)
and the assumptions from ``platform:capacity`` (:class:`infra.config.CapacityConfig`).

Service facts the formulas rely on:

- RDS for PostgreSQL's default ``max_connections`` is ``LEAST({DBInstanceClassMemory/9531392}, 5000)``
  (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections);
  DBInstanceClassMemory is the class memory less what RDS keeps for the OS, which AWS does not
  publish: :func:`components.postgres.max_connections` takes 10% off, so the figure errs low. A
  parameter group that pins ``max_connections`` (ours does) replaces the formula.
- RDS Proxy opens at most ``MaxConnectionsPercent`` of the target's ``max_connections``
  (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connections.html) and
  multiplexes client connections over them between transactions; its quotas name no limit on
  client connections (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.html).
- ElastiCache keeps ``reserved-memory-percent`` (default 25) of a node's memory for backups and
  failover (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/redis-memory-management.html);
  in cluster mode each shard's primary owns a slice of the keys, so memory and writes add up over
  shards.
- SQS standard queues support "a nearly unlimited number of API calls per second, per API action";
  FIFO queues 300 per second per action, 3,000 messages/s with batches of 10, more in high-throughput
  mode (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
- MongoDB Atlas caps incoming connections per node by cluster tier, and per ``mongos`` on sharded
  clusters, with one ``mongos`` per replica-set node of every shard; Atlas keeps 10 of them per
  node (https://www.mongodb.com/docs/atlas/reference/atlas-limits/, "Connection Limits and Cluster
  Tier").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

#: Connections Atlas keeps on each node for itself (same page: 3 x 1,500 on an M10 leave 2,980 on
#: the two secondaries).
ATLAS_RESERVED_CONNECTIONS = 10
#: SQS FIFO: API calls per second per action without high-throughput mode, and messages per call.
FIFO_CALLS_PER_SECOND = 300
SQS_BATCH = 10


class Limited(NamedTuple):
    """A capacity and what bounds it (a short phrase for the report)."""

    value: float
    limit: str


def per_pod_rps(cpu_request_m: int, rps_per_vcpu: float) -> float:
    """Requests/s one pod serves: its CPU request in vCPUs times the per-vCPU throughput."""
    if cpu_request_m <= 0:
        raise ValueError(f"cpu_request_m {cpu_request_m} must be > 0")
    return cpu_request_m / 1000 * rps_per_vcpu


def pods_in_node_room(
    room: tuple[int, int], reserved: tuple[int, int], others: tuple[int, int], pod: tuple[int, int]
) -> int:
    """How many pods requesting ``pod`` (millicores, MiB) fit in the nodes' allocatable ``room``
    once the platform's pods (``reserved``) and the other workloads at their maxima (``others``)
    have theirs; the scarcer of CPU and memory decides."""
    if pod[0] <= 0 or pod[1] <= 0:
        raise ValueError(f"pod requests {pod} must be > 0")
    cpu = room[0] - reserved[0] - others[0]
    memory = room[1] - reserved[1] - others[1]
    return max(0, min(cpu // pod[0], memory // pod[1]))


def api_pods(hpa_max: int, node_room_pods: int) -> Limited:
    """Pods the api reaches at peak: its autoscaler's maximum, unless the nodes hold fewer."""
    if node_room_pods < hpa_max:
        return Limited(node_room_pods, "node room")
    return Limited(hpa_max, "HPA maxReplicas")


def rps_per_user(think_time_seconds: float, requests_per_action: float) -> float:
    """Requests/s one concurrent user sends: one action per think time, each of several requests."""
    return requests_per_action / think_time_seconds


def users_for_rps(rps: float, think_time_seconds: float, requests_per_action: float) -> float:
    """Concurrent users ``rps`` requests/s carry (RPS x think time / requests per action)."""
    return rps / rps_per_user(think_time_seconds, requests_per_action)


def rps_for_users(users: float, think_time_seconds: float, requests_per_action: float) -> float:
    """Requests/s ``users`` concurrent users send."""
    return users * rps_per_user(think_time_seconds, requests_per_action)


def proxy_pool(max_connections: int, max_connections_percent: int) -> int:
    """Database connections RDS Proxy may open: ``MaxConnectionsPercent`` of ``max_connections``."""
    if not 1 <= max_connections_percent <= 100:
        raise ValueError(f"max_connections_percent {max_connections_percent} must be 1-100")
    return max_connections * max_connections_percent // 100


def proxy_client_connections(pool: int, clients_per_pooled_connection: float) -> int:
    """Client connections the proxy carries by multiplexing them over its ``pool``."""
    return math.floor(pool * clients_per_pooled_connection)


def app_client_connections(pool_per_pod: int, max_pods: int) -> int:
    """Connections the apps open at their maxima: each pod's pool times the pods."""
    return pool_per_pod * max_pods


def effective_max_connections(pinned: int | None, class_default: int) -> int:
    """The ``max_connections`` an instance runs with: the parameter group's pin, else the class's."""
    return class_default if pinned is None else pinned


def db_queries(writer_vcpus: int, reader_vcpus: Sequence[int], per_vcpu: float, read_share: float) -> Limited:
    """Queries/s a primary and its readers serve when reads go to the readers.

    Without readers the writer serves everything. With readers, writes (``1 - read_share``) load
    the writer and reads the readers (spread evenly), so the total is bounded by whichever fills
    first: ``min(writer / (1 - read_share), readers / read_share)``.
    """
    if not 0 <= read_share <= 1:
        raise ValueError(f"read_share {read_share} must be within 0-1")
    writer = writer_vcpus * per_vcpu
    readers = sum(reader_vcpus) * per_vcpu
    if not reader_vcpus:
        return Limited(writer, "writer CPU (no readers)")
    by_writer = math.inf if read_share == 1 else writer / (1 - read_share)
    by_readers = math.inf if read_share == 0 else readers / read_share
    if by_readers < by_writer:
        return Limited(by_readers, "readers' CPU")
    return Limited(by_writer, "writer CPU")


def cache_memory_gib(node_memory_gib: float, reserved_percent: int, shards: int) -> float:
    """Data memory of a cluster: each shard's primary node memory less the reserved share."""
    return node_memory_gib * (100 - reserved_percent) / 100 * shards


def cache_ops(ops_per_node: float, shards: int) -> float:
    """Commands/s a cluster serves on its primaries (replicas only take reads a client sends them
    with READONLY, which this does not count)."""
    return ops_per_node * shards


def queue_throughput(fifo: bool) -> float:
    """Messages/s one SQS queue accepts: standard is nearly unlimited, FIFO 300 calls/s x 10."""
    return FIFO_CALLS_PER_SECOND * SQS_BATCH if fifo else math.inf


def worker_throughput(max_pods: int, jobs_per_pod_per_second: float) -> float:
    """Jobs/s the workers finish at their autoscaler's maximum."""
    return max_pods * jobs_per_pod_per_second


def atlas_connections(per_node: int, nodes_per_shard: int, shards: int = 1, sharded: bool = False) -> int:
    """Client connections an Atlas cluster accepts for the application, ``per_node`` being the
    tier's limit (``components.atlas_topology.ATLAS_INSTANCE_SIZES``).

    Replica set: every OLTP node's limit (drivers reach the secondaries too), less what Atlas
    keeps. Sharded: the apps talk to the ``mongos`` routers, one per replica-set node of every
    shard, each with the tier's limit. Analytics nodes are not counted: OLTP clients do not use them.
    """
    if nodes_per_shard < 1 or shards < 1:
        raise ValueError(f"nodes_per_shard {nodes_per_shard} and shards {shards} must be >= 1")
    routers = nodes_per_shard * shards if sharded else nodes_per_shard
    return (per_node - ATLAS_RESERVED_CONNECTIONS) * routers


def atlas_ops(vcpus_per_node: int, nodes_per_shard: int, shards: int, per_vcpu: float, read_share: float) -> Limited:
    """Operations/s of an Atlas cluster's OLTP nodes: each shard's primary takes the writes, its
    secondaries the reads (read preference ``secondaryPreferred``); analytics nodes are excluded.
    Shards add up (a good shard key spreads the load evenly)."""
    if nodes_per_shard < 1 or shards < 1:
        raise ValueError(f"nodes_per_shard {nodes_per_shard} and shards {shards} must be >= 1")
    secondaries = [vcpus_per_node] * ((nodes_per_shard - 1) * shards)
    return db_queries(vcpus_per_node * shards, secondaries, per_vcpu, read_share)

"""Assumptions of the capacity check (``platform:capacity``) and the approved budget (``platform:budget``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from infra.config.base import _Model


class CapacityConfig(_Model):
    """Assumptions of ``python -m infra.cli capacity`` (``infra/offline/capacity.py``): what one pod,
    one vCPU, one user and one job amount to. None changes what is deployed; each is a guess to
    replace with a load test's figure, and says where its default comes from.

    ``rpsPerVcpu`` (default 200): API requests/s one vCPU of a pod's CPU request serves within the
    300 ms p95 of SPEC §3. Assumption: between what an interpreted runtime (Python, Ruby: ~50-100)
    and a compiled or JIT one (Go, JVM, Node: several hundred) serve per core on endpoints that each
    wait on a few database calls.
    ``thinkTimeSeconds`` (default 30) and ``requestsPerAction`` (default 5): a concurrent user acts
    every 30 s, each action (a page or screen) costing 5 API calls, so one user sends 1/6 request/s.
    Assumption, checked against the seed guides: their 100-500 concurrent users at 100-200 req/s
    is 0.2-2 req/s per user for a chatty single-page app; 1/6 is the lower, steady-state end.
    ``queriesPerRequest`` (default 3): database queries per API request. Assumption; SPEC §3's
    targets pair 1,000 users (167 req/s at the defaults) with 500 queries/s, i.e. 3 per request.
    ``readShare`` (default 0.8): share of queries that are reads sent to replicas when the phase
    has any. Assumption: the usual 80/20 read-heavy web workload (seed guides: CQRS for reads).
    ``dbQueriesPerVcpu`` (default 1000): queries/s one database vCPU runs at the CPU alarm's 70%.
    Assumption: pgbench's read-only point lookups reach several thousand per core; real queries
    (joins, writes with WAL and fsync) a fraction of that.
    ``connectionPoolPerPod`` (default 10): connections each api or worker pod keeps to the
    database. The default of the common pools: HikariCP ``maximumPoolSize`` 10, node-postgres
    ``max`` 10, SQLAlchemy ``pool_size`` 5 + ``max_overflow`` 10.
    ``clientsPerPooledConnection`` (default 10): client connections the RDS Proxy serves per
    database connection in its pool. RDS Proxy multiplexes at transaction boundaries (a client
    holds a database connection only while in a transaction, unless pinned:
    https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-pinning.html) and its quotas
    name no client-connection limit (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.html, "Quotas and
    limitations");
    10 assumes clients spend a tenth of their time in transactions and few sessions get pinned.
    ``cacheBytesPerUser`` (default 65536): cache memory per concurrent user, a session of a few
    KiB plus the user's share of cached objects. Assumption.
    ``cacheReservedMemoryPercent`` (default 25): memory ElastiCache keeps for backups and
    failover, the ``reserved-memory-percent`` default (our parameter group keeps it;
    https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/redis-memory-management.html).
    ``cacheOpsPerRequest`` (default 2): cache commands per API request (session read, one lookup).
    Assumption. ``cacheOpsPerNode`` (default 50000): commands/s one shard's primary serves with
    TLS. Assumption: ``valkey-benchmark`` reaches 100,000+ GET/SET per second on one core without
    TLS; halved for TLS and larger values.
    ``jobsPerRequest`` (default 0.1): queue jobs one API request enqueues. Assumption.
    ``jobsPerWorkerPodPerSecond`` (default 10): jobs one worker pod finishes per second (jobs of
    ~100 ms). Assumption.
    ``documentOpsPerVcpu`` (default 2000): MongoDB operations/s one Atlas vCPU serves (point reads
    and single-document writes on a working set in the WiredTiger cache). Assumption.
    """

    rps_per_vcpu: Annotated[float, Field(gt=0)] = 200
    think_time_seconds: Annotated[float, Field(gt=0)] = 30
    requests_per_action: Annotated[float, Field(gt=0)] = 5
    queries_per_request: Annotated[float, Field(gt=0)] = 3
    read_share: Annotated[float, Field(ge=0, le=1)] = 0.8
    db_queries_per_vcpu: Annotated[float, Field(gt=0)] = 1000
    connection_pool_per_pod: Annotated[int, Field(ge=1, le=10000)] = 10
    clients_per_pooled_connection: Annotated[float, Field(ge=1)] = 10
    cache_bytes_per_user: Annotated[int, Field(ge=1)] = 65536
    cache_reserved_memory_percent: Annotated[int, Field(ge=0, le=100)] = 25
    cache_ops_per_request: Annotated[float, Field(ge=0)] = 2
    cache_ops_per_node: Annotated[float, Field(gt=0)] = 50000
    jobs_per_request: Annotated[float, Field(ge=0)] = 0.1
    jobs_per_worker_pod_per_second: Annotated[float, Field(gt=0)] = 10
    document_ops_per_vcpu: Annotated[float, Field(gt=0)] = 2000


class BudgetConfig(_Model):
    """What the environment may cost a month, for ``python -m infra.cli validate``.

    ``monthlyUsd`` (default: none): the budget the environment's owner approved. ``validate`` fails
    a stack whose ``cost`` estimate is above it. Without it the phase's aim applies: the lower end
    of SPEC §3's budget ($600 / $1,500 / $5,000 / $15,000, ``infra.rules.PHASE_BUDGET``). Either way
    ``validate`` reports the estimate against that aim, so an approved budget above it stays visible.
    """

    monthly_usd: Annotated[int, Field(ge=1, le=10_000_000)] | None = None

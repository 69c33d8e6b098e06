"""The data stores: PostgreSQL on RDS with its proxy (``platform:database``), the ElastiCache
cache (``platform:cache``) and OpenSearch (``platform:search``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from components.redis import NODE_MEMORY_GIB
from infra.config.atlas import AtlasConfig
from infra.config.base import _ROLE_ARN, _Model


class ProxyConfig(_Model):
    """RDS Proxy pooling (the seed guides' PgBouncer, managed). Defaults: 90% of the database's
    connections for the pool, 50% kept idle, clients idle 30 minutes are dropped."""

    max_connections_percent: Annotated[int, Field(ge=1, le=100)] = 90
    max_idle_connections_percent: Annotated[int, Field(ge=0, le=100)] = 50
    idle_client_timeout_seconds: Annotated[int, Field(ge=1, le=28800)] = 1800


#: RDS for PostgreSQL major versions in standard support (RDS release calendar,
#: https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-release-calendar.html).
#: 13 left standard support on 2026-02-28 (after that RDS bills Extended Support or upgrades it);
#: 14.1+ is also what cascading read replicas need (phase 4).
POSTGRES_MAJOR_VERSIONS = ("14", "15", "16", "17", "18")
#: ElastiCache versions accepted per engine: Valkey 7.2 and 8.x (there is no Valkey 7.0/7.1 on
#: ElastiCache) and Redis OSS 7.x, the line in standard support
#: (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html).
CACHE_ENGINE_VERSIONS = {"valkey": ("7.2", "8.0", "8.1", "8.2"), "redis": ("7.0", "7.1")}


class DatabaseConfig(_Model):
    """PostgreSQL on RDS. Defaults: PostgreSQL 16 on db.m7g.large (Graviton, no burst credits to
    run out of at peak), 100 GiB gp3 growing to 1 TiB, 7-day backups, Performance Insights 7 days,
    enhanced monitoring every 60 s, statements slower than 500 ms logged. ``replicaInstanceClass``
    defaults to ``instanceClass``.

    Credentials (SPEC §4 decision 9): ``masterUsername`` (default ``app_admin``) signs in with a
    password we generate, keep in our own KMS-encrypted secret and rotate every
    ``passwordRotationDays`` (default 30); apps never use it. They sign in as ``appUsername``
    (default ``app``: DML and DDL in ``appSchema``, default ``app``) through the proxy, and as
    ``readerUsername`` (default ``app_reader``: SELECT only, IAM) on the replicas.

    ``maxConnections`` (default 800) is pinned on the primary and every replica and must stay the
    same in every phase: a hot standby refuses to replay WAL from a primary with a higher limit,
    a new replica starts on RDS's default group (whose limit derives from the class's memory)
    before ours is applied, and a changed value reboots instances in no guaranteed order. It must
    therefore fit the smallest class of the chain (the config refuses one that does not).

    ``engine``: ``postgres`` (default: RDS, the keys above) or ``mongodb`` (MongoDB Atlas, sized in
    ``atlas``; the PostgreSQL-only keys above are then refused, not ignored). ``databaseName`` names
    the application database in both. Changing the engine of a running environment is a
    migration, which promotion refuses.
    """

    engine: Literal["postgres", "mongodb"] = "postgres"
    engine_version: str = "16"
    instance_class: Annotated[str, Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")] = "db.m7g.large"
    replica_instance_class: Annotated[str, Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")] | None = None
    allocated_storage_gb: Annotated[int, Field(ge=20, le=65536)] = 100
    max_allocated_storage_gb: Annotated[int, Field(ge=22, le=65536)] = 1000
    backup_retention_days: Annotated[int, Field(ge=1, le=35)] = 7
    performance_insights_retention_days: int = 7
    monitoring_interval_seconds: Literal[1, 5, 10, 15, 30, 60] = 60
    slow_query_ms: Annotated[int, Field(ge=0, le=60000)] = 500
    database_name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = "app"
    master_username: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,15}$")] = "app_admin"
    app_username: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = "app"
    reader_username: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = "app_reader"
    app_schema: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = "app"
    password_rotation_days: Annotated[int, Field(ge=1, le=365)] = 30
    max_connections: Annotated[int, Field(ge=100, le=5000)] = 800
    proxy: ProxyConfig = ProxyConfig()
    atlas: AtlasConfig | None = None

    @field_validator("engine_version")
    @classmethod
    def _supported_major(cls, value: str) -> str:
        if value not in POSTGRES_MAJOR_VERSIONS:
            raise ValueError(
                f"must be an RDS for PostgreSQL major version in standard support: {', '.join(POSTGRES_MAJOR_VERSIONS)}"
                " (13 and older run on paid Extended Support; cascading replicas need 14.1+)"
            )
        return value

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, value: int) -> int:
        if value not in (7, 731) and not (value % 31 == 0 and 1 <= value // 31 <= 23):
            raise ValueError("must be 7, a multiple of 31 up to 713 (months), or 731")
        return value

    @property
    def replica_class(self) -> str:
        """Instance class of read replicas."""
        return self.replica_instance_class or self.instance_class


class CacheConfig(_Model):
    """ElastiCache replication group per active cell. Defaults: Valkey 8.0 on cache.t4g.small,
    cluster mode on with 1 shard and 1 replica (resharding a cluster-mode group is online, turning
    cluster mode on later is a migration), snapshots kept 7 days."""

    engine: Literal["valkey", "redis"] = "valkey"
    engine_version: str = "8.0"
    node_type: str = "cache.t4g.small"
    cluster_mode: bool = True
    shards: Annotated[int, Field(ge=1, le=500)] = 1
    replicas_per_shard: Annotated[int, Field(ge=1, le=5)] = 1
    snapshot_retention_days: Annotated[int, Field(ge=1, le=35)] = 7

    @field_validator("node_type")
    @classmethod
    def _known_node_type(cls, value: str) -> str:
        if value not in NODE_MEMORY_GIB:
            raise ValueError(f"not a node type we size (Graviton, current generation): {', '.join(NODE_MEMORY_GIB)}")
        return value


#: OpenSearch Service engine versions we accept, as of 2026-12-01: 2.19, the last 2.x minor (the
#: OpenSearch project's 2.x line is in maintenance), and 2.17 before it
#: (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/release-notes.html).
#: A version change is an in-place upgrade only where GetCompatibleVersions lists it (infra/offline/forcenew.py
#: guards every change), so phases keep one version.
SEARCH_ENGINE_VERSIONS = ("OpenSearch_2.17", "OpenSearch_2.19")
#: Graviton instance types we size OpenSearch with, data and dedicated master nodes alike, as of
#: 2026-12-01 (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/supported-instance-types.html;
#: not every Region offers every type: check https://aws.amazon.com/opensearch-service/pricing/).
SEARCH_INSTANCE_TYPES = frozenset(
    f"{family}.{size}.search"
    for family in ("m6g", "r6g", "m7g", "r7g")
    for size in ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge")
)


class SearchConfig(_Model):
    """OpenSearch Service in the primary cell (SPEC §3: phase 3+, ``components/search.py``).

    Defaults: off (``enabled``, required from phase 3); ``engineVersion`` ``OpenSearch_2.19``;
    ``instanceType`` ``r7g.large.search`` x ``instanceCount`` 3 (a multiple of 3: one per zone);
    three ``masterInstanceType`` ``m7g.large.search`` dedicated masters; ``volumeSizeGb`` 100 GiB gp3
    per data node with ``iops`` 3000 and ``throughputMibps`` 125 (gp3: at most 500 IOPS per GiB and
    IOPS / 4 MiB/s); ``masterUserRoleArn``: the IAM role that is the security plugin's master user,
    default the first of ``platform:cluster.adminRoleArns``. Size, type and count change in place
    (blue/green); ``engineVersion`` must stay the same across phases.
    """

    enabled: bool = False
    engine_version: str = "OpenSearch_2.19"
    instance_type: str = "r7g.large.search"
    instance_count: Annotated[int, Field(ge=3, le=78, multiple_of=3)] = 3
    master_instance_type: str = "m7g.large.search"
    volume_size_gb: Annotated[int, Field(ge=10, le=3072)] = 100
    iops: Annotated[int, Field(ge=3000, le=16000)] = 3000
    throughput_mibps: Annotated[int, Field(ge=125, le=1000)] = 125
    master_user_role_arn: Annotated[str, Field(pattern=_ROLE_ARN)] | None = None

    @field_validator("engine_version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        if value not in SEARCH_ENGINE_VERSIONS:
            raise ValueError(f"not an OpenSearch version we accept: {', '.join(SEARCH_ENGINE_VERSIONS)}")
        return value

    @field_validator("instance_type", "master_instance_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in SEARCH_INSTANCE_TYPES:
            raise ValueError(f"not a Graviton OpenSearch type we size: {', '.join(sorted(SEARCH_INSTANCE_TYPES))}")
        return value

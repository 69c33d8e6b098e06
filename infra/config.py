"""The stack configuration: one pydantic model for every key under the ``platform:`` namespace.

All defaults live here. ``load_config`` turns the engine's flat string map into a validated
:class:`StackConfig` or raises :class:`ConfigError` (a ``pulumi.RunError``, so the CLI shows a
one-line message instead of a traceback) naming the key path, the bad value and what is allowed.
It runs before any resource is registered.
"""

from __future__ import annotations

import datetime
import difflib
import ipaddress
import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import pulumi
import pulumi_aws as aws
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.assets import VIEWER_TLS_POLICIES, signing_key_problem
from components.atlas_topology import (
    ATLAS_INSTANCE_SIZES,
    ATLAS_INSTANCE_SIZES_AS_OF,
    MIN_DISK_GB,
    MONGODB_MAJOR_VERSIONS,
)
from components.base import YEAR_LOG_RETENTION_DAYS
from components.dns import CHECKER_REGIONS
from components.redis import NODE_MEMORY_GIB

NAMESPACE = "platform"
#: Config namespaces a stack file may use besides ours: the providers' own and Pulumi's.
OTHER_NAMESPACES = ("aws", "kubernetes", "random", "pulumi", "mongodbatlas")
#: Regions the installed AWS provider knows (its ``Region`` enum, maintained with the provider).
AWS_REGIONS = frozenset(region.value for region in aws.Region)
#: EKS end of standard support per Kubernetes minor, from the EKS release calendar
#: (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html), as of 2026-12-01.
#: A version is accepted while at least :data:`K8S_MIN_SUPPORT_DAYS` of standard support remain.
EKS_STANDARD_SUPPORT_ENDS = {"1.34": datetime.date(2026, 12, 2), "1.35": datetime.date(2027, 3, 27)}
K8S_MIN_SUPPORT_DAYS = 30

# RDS for PostgreSQL allows 15 read replicas per source instance and guarantees at most five
# cross-region ones (RDS User Guide: USER_PostgreSQL.Replication.ReadReplicas, USER_ReadRepl.XRgn).
MAX_READ_REPLICAS = 15
MAX_CROSS_REGION_REPLICAS = 5
#: At most five regions: one primary and four remote ones, each with one cross-region replica of
#: the primary, stays inside the five guaranteed cross-region replicas.
MAX_REGIONS = MAX_CROSS_REGION_REPLICAS
_REGION = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; the message names the key path, the value and what is allowed."""

    def __init__(self, path: str, value: Any, allowed: str, *, missing: bool = False):
        self.path, self.value, self.allowed = path, value, allowed
        if missing:
            super().__init__(f"missing config {path}: {allowed}")
        else:
            super().__init__(f"invalid config {path} = {json.dumps(value, default=str)}: {allowed}")


def _cidr(value: str) -> str:
    """An IPv4 network without host bits, never the whole internet; ValueError says what is wrong."""
    try:
        network = ipaddress.IPv4Network(value)
    except ValueError as error:
        raise ValueError(f"must be an IPv4 network in CIDR notation without host bits ({error})") from None
    if network.prefixlen == 0:
        raise ValueError("must not be 0.0.0.0/0: that opens it to the whole internet")
    return str(network)


def _year_retention(value: int) -> int:
    """A CloudWatch Logs retention that keeps at least a year (FSBP), or ValueError naming the choices."""
    if value not in YEAR_LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in sorted(YEAR_LOG_RETENTION_DAYS))
        raise ValueError(f"must be a CloudWatch retention of at least a year: one of {allowed}")
    return value


class _Model(BaseModel):
    """Base for config sections: camelCase keys as in the stack YAML, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


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


class RegionConfig(_Model):
    """One regional cell.

    ``role``: ``primary`` holds the writable database (exactly one, listed first); ``active``
    serves traffic with its own cluster, cache and queues (phase 4); ``standby`` holds only the
    network and cross-region read replicas (phase 3 disaster recovery). Default: ``active``.
    ``cidr``: the cell's VPC range, a private /16 to /20. ``availabilityZoneIds``: the three
    zones of the cell's subnets by zone ID (``use1-az1``), in subnet order; required. Zone *names*
    (``us-east-1a``) map to different physical zones in each account, IDs do not, and EKS refuses
    control-plane subnets in a few IDs (``use1-az3``, ``usw1-az2``, ``cac1-az3``:
    https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html#cluster-subnets).
    ``availabilityZones``: legacy, zone names instead of IDs, for environments deployed before
    zone IDs (which used ``<region>a/b/c``); a subnet's zone forces its replacement, so such an
    environment keeps its names until it is migrated (docs/promotion.md, "Zone IDs"). Exactly
    one of the two. ``readReplicas``: PostgreSQL read replicas in this region. Default: 0.
    ``apiCertificateArn``: ACM certificate (in this region) of the API's load balancer; needed in
    serving regions when ``platform:apps.api.host`` is set. ``atlasNodes``: this region's nodes of
    the MongoDB Atlas cluster (``platform:database.engine: mongodb``, serving regions only); default
    by role, see :class:`AtlasNodesConfig`.
    """

    region: Annotated[str, Field(pattern=_REGION)]
    role: Literal["primary", "active", "standby"] = "active"
    cidr: str
    availability_zone_ids: list[str] | None = None
    #: Legacy: zone names, for environments whose subnets were placed by name.
    availability_zones: list[str] | None = None
    read_replicas: Annotated[int, Field(ge=0, le=MAX_READ_REPLICAS)] = 0
    api_certificate_arn: Annotated[str, Field(pattern=r"^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[\w-]+$")] | None = (
        None
    )
    atlas_nodes: AtlasNodesConfig | None = None

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value not in AWS_REGIONS:
            close = difflib.get_close_matches(value, sorted(AWS_REGIONS), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"not an AWS region the provider knows{hint}; e.g. us-east-1, eu-west-1")
        return value

    @field_validator("cidr")
    @classmethod
    def _private_cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value)
        except ValueError as error:
            raise ValueError(f"must be an IPv4 network in CIDR notation ({error})") from None
        rfc1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
        if not any(network.subnet_of(ipaddress.IPv4Network(r)) for r in rfc1918) or not 16 <= network.prefixlen <= 20:
            raise ValueError("must be a private (RFC 1918) network with a prefix from /16 to /20")
        return str(network)

    @property
    def zones(self) -> list[str]:
        """The cell's zones in subnet order: zone IDs, or the legacy zone names."""
        return list(self.availability_zone_ids or self.availability_zones or [])

    @property
    def zones_key(self) -> str:
        """The config key the cell's zones come from (``availabilityZoneIds`` unless legacy)."""
        return "availabilityZones" if self.availability_zones is not None else "availabilityZoneIds"


class NetworkConfig(_Model):
    """VPC settings shared by every cell.

    ``natGateways``: ``single`` (one NAT for the VPC, phase 1) or ``perAz`` (one per zone, so a
    zone outage does not cut the others off). Default: ``single``. ``flowLogRetentionDays``: days
    the flow-log files stay in the cell's S3 bucket, at least a year (FSBP / CIS). Default: 365.
    """

    nat_gateways: Literal["single", "perAz"] = "single"
    # An S3 lifecycle expiry takes any day count, not only CloudWatch's retention values.
    flow_log_retention_days: Annotated[int, Field(ge=365)] = 365


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


class AssetsConfig(_Model):
    """S3 + CloudFront for uploads and static assets (``components/assets.py``). Defaults: price
    class 100 (North America and Europe edges), objects to Standard-IA after 30 days, old versions
    kept 90 days, WAF rate limit 2000 requests per 5 minutes per IP.

    ``aliases`` + ``certificateArn`` (an ACM certificate in us-east-1): the CDN's own domain;
    required from phase 2 (default: none, the ``*.cloudfront.net`` certificate, which negotiates
    TLS 1.0). ``minimumProtocolVersion``: viewer security policy, ``TLSv1.2_2021`` (default),
    ``TLSv1.2_2025`` or ``TLSv1.3_2025``. ``signingPublicKeyPem``: the public half (RSA 2048 or
    ECDSA P-256, PEM) of the key the apps sign private-upload URLs with; required from phase 2
    (SPEC §3 signed URLs); the private key stays with the app team. ``uploadsPathPattern``: the
    paths that need a signed URL (default ``/uploads/*``). ``apiCachePathPattern``: public API
    GETs cached at the edge from phase 3 (default ``/api/public/*``), at most
    ``apiCacheMaxTtlSeconds`` (default 300) and only as long as the API's ``Cache-Control`` says."""

    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = "PriceClass_100"
    transition_to_ia_days: Annotated[int, Field(ge=30, le=3650)] = 30
    noncurrent_version_expiration_days: Annotated[int, Field(ge=1, le=3650)] = 90
    waf_rate_limit: Annotated[int, Field(ge=100, le=2_000_000_000)] = 2000
    aliases: list[Annotated[str, Field(pattern=r"^[a-z0-9*][a-z0-9.-]+\.[a-z]{2,}$")]] = []
    certificate_arn: Annotated[str, Field(pattern=r"^arn:aws:acm:us-east-1:\d{12}:certificate/")] | None = None
    minimum_protocol_version: Literal[VIEWER_TLS_POLICIES] = "TLSv1.2_2021"  # type: ignore[valid-type]
    signing_public_key_pem: str | None = None
    uploads_path_pattern: Annotated[str, Field(pattern=r"^/[\w.-]+(/[\w.-]+)*/\*$")] = "/uploads/*"
    api_cache_path_pattern: Annotated[str, Field(pattern=r"^/[\w.-]+(/[\w.-]+)*/\*$")] = "/api/public/*"
    api_cache_max_ttl_seconds: Annotated[int, Field(ge=1, le=86400)] = 300

    @field_validator("signing_public_key_pem")
    @classmethod
    def _signing_key(cls, value: str | None) -> str | None:
        problem = signing_key_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value


class QueueConfig(_Model):
    """One SQS job queue (with its dead-letter queue). Defaults: 60 s visibility timeout, 4 days
    retention, moved to the DLQ after 5 failed receives, standard (not FIFO)."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,29}$")]
    visibility_timeout_seconds: Annotated[int, Field(ge=0, le=43200)] = 60
    message_retention_seconds: Annotated[int, Field(ge=60, le=1209600)] = 345600
    max_receive_count: Annotated[int, Field(ge=1, le=1000)] = 5
    fifo: bool = False


class SubscriptionConfig(_Model):
    """One SQS subscription of an event topic. ``queue``: a ``platform:queues`` name (a standard
    queue). ``filterPolicy``: SNS filter policy (at most 5 keys, 150 value combinations).
    Default: none, every message. ``filterPolicyScope``: ``MessageAttributes`` (default) or
    ``MessageBody``."""

    queue: str
    filter_policy: dict[str, Any] | None = None
    filter_policy_scope: Literal["MessageAttributes", "MessageBody"] = "MessageAttributes"


class TopicConfig(_Model):
    """One SNS event topic (standard, KMS-encrypted with the cell key) and its subscriptions (at
    least one). Each subscription delivers raw messages and has its own dead-letter queue."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,19}$")]
    subscriptions: Annotated[list[SubscriptionConfig], Field(min_length=1)]


class EventsConfig(_Model):
    """SNS fan-out to SQS in every serving cell (SPEC phase 3+). ``topics``: default none; phase 3
    and 4 need at least one. Publishers are the api and worker roles."""

    topics: list[TopicConfig] = []


class StreamingConfig(_Model):
    """Event streaming on Kinesis Data Streams in every serving cell (SPEC phase 4; the choice and
    its numbers: docs/architecture.md). Defaults: 4 provisioned shards (4 MiB/s or 4,000 records/s
    of writes: 2x a 2,000 events/s x 1 KB peak), 24 h retention (included in the shard price), no
    shard-level metrics (billed), page when consumers lag 300 s or writes are throttled for 5 min.
    Change ``shards`` in steps of at most x2 (UpdateShardCount)."""

    shards: Annotated[int, Field(ge=1, le=500)] = 4
    retention_hours: Annotated[int, Field(ge=24, le=8760)] = 24
    shard_level_metrics: list[
        Literal[
            "IncomingBytes",
            "IncomingRecords",
            "OutgoingBytes",
            "OutgoingRecords",
            "WriteProvisionedThroughputExceeded",
            "ReadProvisionedThroughputExceeded",
            "IteratorAgeMilliseconds",
            "ALL",
        ]
    ] = []
    iterator_age_alarm_seconds: Annotated[int, Field(ge=1, le=604800)] = 300
    write_throttle_alarm_records: Annotated[int, Field(ge=0)] = 0


class ThresholdsConfig(_Model):
    """Alarm thresholds; defaults are the seed guides' (CPU 70%, connections and memory 80%).

    ``db_free_storage_floor_percent`` (default 5): free-storage alarm floor, in percent of the
    *initial* allocated storage; below 10, storage autoscaling's trigger, so it only fires once
    autoscaling has acted without effect. ``alb_p95_seconds`` (default 0.3, SPEC §3's 300 ms),
    ``alb_5xx_rate_percent`` (default 1, of requests) and ``alb_unhealthy_hosts`` (default 0) are
    the per-region API alarms.
    """

    db_cpu_percent: Annotated[float, Field(gt=0, le=100)] = 70
    db_connections_percent: Annotated[float, Field(gt=0, le=100)] = 80
    replica_lag_seconds: Annotated[float, Field(gt=0)] = 30
    db_free_storage_floor_percent: Annotated[float, Field(gt=0, lt=10)] = 5
    cache_cpu_percent: Annotated[float, Field(gt=0, le=100)] = 70
    cache_memory_percent: Annotated[float, Field(gt=0, le=100)] = 80
    cache_evictions: Annotated[float, Field(ge=0)] = 0
    queue_oldest_message_seconds: Annotated[float, Field(gt=0)] = 300
    dlq_depth: Annotated[float, Field(ge=0)] = 0
    cdn_5xx_rate_percent: Annotated[float, Field(gt=0, le=100)] = 1
    alb_p95_seconds: Annotated[float, Field(gt=0, le=60)] = 0.3
    alb_5xx_rate_percent: Annotated[float, Field(gt=0, le=100)] = 1
    alb_unhealthy_hosts: Annotated[float, Field(ge=0)] = 0


class MonitoringConfig(_Model):
    """Alerting and dashboards. Defaults: no e-mail subscribers, dashboards on, logs kept 365 days
    (the FSBP minimum of one year), no in-cluster Prometheus/Grafana (``prometheus``, SPEC phase 3+)
    and no OpenTelemetry tracing (``tracing``, phase 4). ``wafLogAllowedRequests`` (default false):
    the WAF logs keep only requests a rule acted on (blocked, counted, challenged); true logs every
    request, at about 1.5 KB each (the largest log bill of every phase)."""

    prometheus: bool = False
    tracing: bool = False
    alert_emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = []
    dashboard: bool = True
    log_retention_days: int = 365
    waf_log_allowed_requests: bool = False
    thresholds: ThresholdsConfig = ThresholdsConfig()

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return _year_retention(value)


_ROLE_ARN = r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]+$"
_IMAGE = r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)+(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$"


class NodeGroupConfig(_Model):
    """EKS managed node groups, one per zone. Defaults: Graviton m7g.large, 1 to 3 nodes per zone,
    50 GiB encrypted gp3 root volumes. One instance type: it lives in the launch template, so
    changing it rolls the nodes in place instead of replacing the node groups."""

    instance_type: Annotated[str, Field(pattern=r"^[a-z][0-9][a-z]*g[a-z]*\.[a-z0-9]+$")] = "m7g.large"
    min_per_az: Annotated[int, Field(ge=1, le=100)] = 1
    max_per_az: Annotated[int, Field(ge=1, le=450)] = 3
    disk_gb: Annotated[int, Field(ge=20, le=1000)] = 50

    @field_validator("instance_type")
    @classmethod
    def _known_instance_type(cls, value: str) -> str:
        if value not in _EC2_TYPES:
            raise ValueError("not an EC2 instance type the AWS provider knows (a Graviton type, e.g. m7g.large)")
        return value


_EC2_TYPES = frozenset(t.value for t in aws.ec2.InstanceType)


class ClusterConfig(_Model):
    """EKS in every serving region. ``adminRoleArns`` (required) are the IAM roles given cluster
    admin through access entries: the role that runs ``pulumi up`` must be one of them.
    Defaults: Kubernetes 1.35, private API endpoint (``publicAccessCidrs`` empty)."""

    kubernetes_version: str = "1.35"
    admin_role_arns: Annotated[list[Annotated[str, Field(pattern=_ROLE_ARN)]], Field(min_length=1)]
    public_access_cidrs: list[str] = []
    nodes: NodeGroupConfig = NodeGroupConfig()

    @field_validator("kubernetes_version")
    @classmethod
    def _in_standard_support(cls, value: str) -> str:
        return kubernetes_version_in_support(value, datetime.date.today())

    @field_validator("public_access_cidrs")
    @classmethod
    def _public_cidrs(cls, value: list[str]) -> list[str]:
        return [_cidr(cidr) for cidr in value]


def kubernetes_version_in_support(version: str, today: datetime.date) -> str:
    """``version`` if EKS offers it in standard support for at least a month after ``today``."""
    supported = {v: end for v, end in EKS_STANDARD_SUPPORT_ENDS.items() if (end - today).days >= K8S_MIN_SUPPORT_DAYS}
    if version not in supported:
        known = EKS_STANDARD_SUPPORT_ENDS.get(version)
        why = f"its EKS standard support ends {known.isoformat()}" if known else "not in our EKS release table"
        raise ValueError(f"{why}; use one of {', '.join(sorted(supported)) or 'none (update the table)'}")
    return version


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


def _pinned(value: str) -> str:
    """A moving tag makes a rollout or a node replacement silently run different code."""
    if value.endswith(":latest"):
        raise ValueError("must be pinned to a version tag or digest, not 'latest'")
    return value


#: A container image reference pinned to a tag other than ``latest`` or to a digest.
PinnedImage = Annotated[str, Field(pattern=_IMAGE), AfterValidator(_pinned)]


class AppConfig(_Model):
    """One autoscaled Deployment. ``image`` must be pinned (a tag other than ``latest``, or a
    digest). Defaults: 2 to 4 pods requesting 250m CPU and 512 MiB, memory limited to 1 GiB."""

    image: PinnedImage
    min_replicas: Annotated[int, Field(ge=2, le=1000)] = 2
    max_replicas: Annotated[int, Field(ge=2, le=1000)] = 4
    cpu_request_m: Annotated[int, Field(ge=10, le=64000)] = 250
    memory_request_mib: Annotated[int, Field(ge=16, le=262144)] = 512
    memory_limit_mib: Annotated[int, Field(ge=16, le=262144)] = 1024


class ApiConfig(AppConfig):
    """The HTTP API behind an ALB. ``host``: its public name; with it every serving region needs
    ``apiCertificateArn``. Default: no host, no load balancer. ``maxBodyKb``: largest request body
    in KiB, refused with 413 by the API's WAF (declared ``Content-Length``; the app gets it as
    ``MAX_BODY_BYTES`` for bodies WAF cannot measure). Default: 1024 (1 MiB); at most 10240: larger
    payloads belong in the asset bucket, not in API requests."""

    host: Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")] | None = (
        None
    )
    port: Annotated[int, Field(ge=1024, le=65535)] = 8080
    health_path: Annotated[str, Field(pattern=r"^/[\w./-]*$")] = "/healthz"
    max_body_kb: Annotated[int, Field(ge=1, le=10240)] = 1024


class WorkerConfig(AppConfig):
    """The queue consumer. ``scaling``: ``cpu`` (HPA on CPU/memory) or ``queue`` (KEDA on the SQS
    depth of ``queue``, CPU as the floor; SPEC phase 2+). ``livenessCommand`` (required): the
    image's health check. Defaults: ``cpu``, queue ``jobs``, 20 messages per pod."""

    scaling: Literal["cpu", "queue"] = "cpu"
    queue: str = "jobs"
    messages_per_pod: Annotated[int, Field(ge=1, le=100000)] = 20
    liveness_command: Annotated[list[str], Field(min_length=1)]


class DbBootstrapConfig(_Model):
    """The in-cluster Job that creates the database's application roles (``components/db_bootstrap.py``).
    ``psqlImage`` (psql 16 or newer) and ``awsCliImage`` (AWS CLI v2) are required and pinned, like
    the apps' images (mirror the public ones into your registry). PostgreSQL only: required with
    ``platform:database.engine: postgres``, refused with ``mongodb`` (Atlas users are API objects)."""

    psql_image: PinnedImage
    aws_cli_image: PinnedImage


class AppsConfig(_Model):
    """The backend's two Deployments, and the database bootstrap Job (PostgreSQL)."""

    api: ApiConfig
    worker: WorkerConfig
    db_bootstrap: DbBootstrapConfig | None = None


class DnsConfig(_Model):
    """Global routing of the API through Route 53 (``components/dns.py``); without this section no
    DNS is managed.

    ``zoneName`` (required): the public zone's domain; ``platform:apps.api.host`` and every
    ``platform:assets.aliases`` name must be inside it. The zone is an existing one,
    ``hostedZoneId`` (``Z`` + up to 31 capital letters/digits; it must be public and named
    ``zoneName``), or ``createZone: true`` creates it (protected: its NS delegation lives in the
    parent zone, outside this program); exactly one of the two. Health checks of each serving
    region's ALB: ``healthCheckIntervalSeconds`` 10 or 30 (default 30; fixed once created),
    ``healthCheckFailureThreshold`` 1-10 (default 3: a region leaves DNS answers about 90 s after
    it fails), ``healthCheckRegions`` at least three Route 53 checker regions (default: empty =
    all of them).
    """

    zone_name: Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")]
    hosted_zone_id: Annotated[str, Field(pattern=r"^Z[0-9A-Z]{1,31}$")] | None = None
    create_zone: bool = False
    health_check_interval_seconds: Literal[10, 30] = 30
    health_check_failure_threshold: Annotated[int, Field(ge=1, le=10)] = 3
    health_check_regions: list[Literal[CHECKER_REGIONS]] = []

    @field_validator("health_check_regions")
    @classmethod
    def _three_checker_regions(cls, value: list[str]) -> list[str]:
        if value and len(set(value)) < 3:
            raise ValueError("needs at least three distinct checker regions (or none: all of them)")
        return value

    @model_validator(mode="after")
    def _one_zone_source(self) -> DnsConfig:
        if self.create_zone == (self.hosted_zone_id is not None):
            raise ValueError("give exactly one of hostedZoneId (an existing zone) and createZone: true")
        return self


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


class StackConfig(_Model):
    """The whole ``platform:`` namespace of one stack.

    ``name``: the environment's name and the root of every physical name (``acme-prod``); it
    must stay the same across phases, which is what makes promotion an in-place update.
    ``phase``: the scaling phase (1-4) whose targets the config must meet. ``tags``: added to
    every resource. Other keys: see each section's model.
    """

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$", min_length=3, max_length=20)]
    phase: Annotated[int, Field(ge=1, le=4)]
    regions: Annotated[list[RegionConfig], Field(min_length=1, max_length=MAX_REGIONS)]
    tags: dict[Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]] = {}
    network: NetworkConfig = NetworkConfig()
    database: DatabaseConfig = DatabaseConfig()
    cache: CacheConfig = CacheConfig()
    assets: AssetsConfig = AssetsConfig()
    queues: list[QueueConfig] = [QueueConfig(name="jobs")]
    events: EventsConfig = EventsConfig()
    streaming: StreamingConfig | None = None
    monitoring: MonitoringConfig = MonitoringConfig()
    search: SearchConfig = SearchConfig()
    cluster: ClusterConfig
    apps: AppsConfig
    dns: DnsConfig | None = None
    capacity: CapacityConfig = CapacityConfig()
    budget: BudgetConfig = BudgetConfig()

    @field_validator("tags")
    @classmethod
    def _user_tags(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if key.lower().startswith("aws:"):
                raise ValueError(f"tag key {key!r}: the aws: prefix is reserved for AWS")
        return value

    @property
    def primary(self) -> RegionConfig:
        """The cell holding the writable database."""
        return self.regions[0]


def _key_path(loc: tuple) -> str:
    path = f"{NAMESPACE}:{loc[0]}" if loc else NAMESPACE
    for part in loc[1:]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _allowed_keys(model: type[BaseModel]) -> str:
    return ", ".join(sorted(field.alias or name for name, field in model.model_fields.items()))


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The config section model inside a field annotation (``X``, ``X | None``, ``list[X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The section model that owns the key at ``loc`` (for 'unknown key' messages)."""
    model: type[BaseModel] | None = StackConfig
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        model = _submodel(field.annotation) if field else None
    return model


def _from_validation_error(error: ValidationError) -> ConfigError:
    first = error.errors()[0]
    loc = first["loc"]
    if first["type"] == "extra_forbidden":
        owner = _model_at(loc)
        allowed = f"unknown key; allowed keys: {_allowed_keys(owner)}" if owner else "unknown key"
        return ConfigError(_key_path(loc), first["input"], allowed)
    if first["type"] == "missing":
        return ConfigError(_key_path(loc), None, "required; see the section's docs in infra/config.py", missing=True)
    message = first["msg"].removeprefix("Value error, ")
    return ConfigError(_key_path(loc), first.get("input"), message)


def parse_value(raw: str) -> Any:
    """Decode one engine config value: objects and lists arrive as JSON text, scalars as text."""
    text = raw.strip()
    if text[:1] in "{[":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return raw
    return raw


def raw_namespace(flat: Mapping[str, str]) -> dict[str, Any]:
    """Pick the ``platform:`` keys out of the engine's flat config map, values decoded."""
    prefix = f"{NAMESPACE}:"
    return {key[len(prefix) :]: parse_value(value) for key, value in flat.items() if key.startswith(prefix)}


def load_config(flat: Mapping[str, str]) -> StackConfig:
    """Validate a stack's flat config map (``{"platform:name": "acme-prod", ...}``).

    Raises ConfigError for the first problem found: a schema error, or a cross-field rule
    from :mod:`infra.rules`.
    """
    from infra.rules import check_rules

    _check_namespaces(flat)
    try:
        config = StackConfig.model_validate(raw_namespace(flat))
    except ValidationError as error:
        raise _from_validation_error(error) from None
    check_rules(config)
    return config


def _check_namespaces(flat: Mapping[str, str]) -> None:
    """Refuse keys of any namespace but ours and the providers' (a typo would be silently ignored)."""
    allowed = (NAMESPACE, *OTHER_NAMESPACES)
    for key in sorted(flat):
        namespace = key.split(":", 1)[0]
        if namespace not in allowed:
            close = difflib.get_close_matches(namespace, allowed, n=1)
            hint = f" (did you mean {close[0]}:?)" if close else ""
            raise ConfigError(
                key, flat[key], f"unknown config namespace {namespace!r}{hint}; allowed: {', '.join(allowed)}"
            )


def current_config() -> dict[str, str]:
    """The flat config map of the running Pulumi program (engine-provided or mocked)."""
    from pulumi.runtime import config as runtime_config

    flat = dict(runtime_config.get_config_env())
    flat.update(runtime_config.CONFIG.get())
    return {key: value for key, value in flat.items() if isinstance(value, str)}

"""A regional cell: everything the platform runs in one region, assembled from the components.

Every region gets a KMS key, a network, read replicas and monitoring. A serving cell (role
``primary`` or ``active``) adds the cache and the job queues; the primary cell also holds the
writable database, because it needs that cell's VPC. A ``standby`` cell (phase 3) holds only
cross-region replicas, and keeps every logical name when phase 4 turns it ``active``.

With ``platform:database.engine: mongodb`` there is no RDS at all: the primary cell creates the
MongoDB Atlas project (encryption at rest under its KMS key), the one cluster spanning every
serving region and its alerts; every serving cell gets a PrivateLink endpoint to it and the
Atlas users of its apps' Pod Identity roles. Their logical names do not depend on the phase, so
replica set -> sharded -> multi-region are updates of the same resources.

The EKS cluster and workloads plug in here for serving cells: they take ``network`` (private
subnets), and the endpoints in ``endpoints``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components.alb_alarms import controller_alb_tags, lookup_alb
from components.atlas_topology import RegionNodes
from components.base import region_code
from components.events import Events, EventsArgs, SubscriptionSpec, TopicSpec
from components.kms import (
    CLOUDWATCH_ALARMS_GRANT,
    EVENTBRIDGE_GRANT,
    KmsKey,
    KmsKeyArgs,
    log_delivery_grant,
    logs_grant,
    sns_delivery_grant,
)
from components.monitoring import DbTarget, Monitoring, MonitoringArgs
from components.network import Network, NetworkArgs, subnet_layout
from components.postgres import Postgres, PostgresArgs
from components.postgres_replicas import PostgresReplicas, PostgresReplicasArgs, replica_identifier
from components.queues import Queues, QueuesArgs, QueueSpec
from components.redis import Redis, RedisArgs
from components.search import SearchDomain, SearchDomainArgs
from components.streaming import EventStream, StreamArgs
from infra.alerts import alarm_thresholds
from infra.compute import API_NAMESPACE, CellServices, create_compute
from infra.config import RegionConfig, StackConfig
from infra.edge import EdgeLayer
from infra.failfast import deferred_output
from infra.naming import Names

if TYPE_CHECKING:
    # The Atlas components are imported where a MongoDB stack builds them: the Atlas SDK's import
    # would otherwise cost every PostgreSQL run about a third of a second.
    from components.atlas_cluster import AtlasCluster
    from components.atlas_private_endpoint import AtlasPrivateEndpoint
    from components.atlas_project import AtlasProject
    from components.atlas_users import AtlasDatabaseUsers
from infra.rules import atlas_nodes


def writer_connections(config: StackConfig) -> int:
    """``max_connections`` of the primary and every replica: ``platform:database.maxConnections``.

    One value for the whole chain and every phase: a PostgreSQL hot standby refuses to replay WAL
    from a primary with a higher limit, a new replica first runs on RDS's default group (the
    config keeps the value within its memory-derived limit), and a changed value would apply at
    reboots whose order nobody controls.
    """
    return config.database.max_connections


def _nat_strategy(config: StackConfig, cell: RegionConfig) -> str:
    """Standby cells run no workloads, so they pay for no NAT; the move to active adds it."""
    if cell.role == "standby":
        return "none"
    return "per_az" if config.network.nat_gateways == "perAz" else "single"


class RegionalCell(pulumi.ComponentResource):
    """One region of the environment. ``name`` is the region's short code (``use1``)."""

    def __init__(
        self,
        name: str,
        config: StackConfig,
        cell: RegionConfig,
        account_id: pulumi.Input[str],
        edge: EdgeLayer,
        primary: RegionalCell | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:stack:Cell", name, None, opts)
        names = Names(config.name)
        base = names.cell(cell.region)
        tags = {"PlatformEnvironment": config.name, **config.tags}
        self.region = cell.region
        self.serving = cell.role != "standby"
        child = pulumi.ResourceOptions(parent=self)
        fan_out = self.serving and bool(config.events.topics)

        self.key = KmsKey(
            f"{name}-key",
            KmsKeyArgs(
                account_id=account_id,
                alias=base,
                description=f"Data, logs and alerts of {base}",
                # The alert topic is under this key: alarms and RDS event rules publish through it;
                # VPC flow-log delivery writes SSE-KMS objects with it.
                service_grants=[
                    logs_grant(cell.region),
                    CLOUDWATCH_ALARMS_GRANT,
                    EVENTBRIDGE_GRANT,
                    log_delivery_grant(cell.region),
                    # SNS writes this cell's event fan-out into its SSE-KMS queues (phase 3+).
                    *([sns_delivery_grant(cell.region, base)] if fan_out else []),
                ],
                tags=tags,
            ),
            opts=child,
        )
        self.network = Network(
            f"{name}-network",
            NetworkArgs(
                name=base,
                cidr_block=cell.cidr,
                availability_zone_ids=list(cell.availability_zone_ids or []),
                availability_zones=list(cell.availability_zones or []),
                region=cell.region,
                nat_strategy=_nat_strategy(config, cell),
                account_id=account_id,
                flow_logs_kms_key_arn=self.key.arn,
                flow_logs_retention_days=config.network.flow_log_retention_days,
                tags=tags,
            ),
            opts=child,
        )
        # Apps run in the private subnets; only they may reach the data stores.
        clients = list(self.network.layout.private)
        # The writer's IAM login lives with the primary: apps sign tokens for its region.
        self.writer_region = primary.region if primary is not None else cell.region
        self.mongodb = config.database.engine == "mongodb"
        self.database: Postgres | None = None
        self.replicas: PostgresReplicas | None = None
        self.atlas_project: AtlasProject | None = None
        self.atlas_cluster: AtlasCluster | None = None
        self.atlas_endpoint: AtlasPrivateEndpoint | None = None
        self.atlas_users: AtlasDatabaseUsers | None = None
        self.mongodb_uri: pulumi.Output[str] | None = None
        self._resolve_mongodb_uri = None
        if self.mongodb:
            self.atlas_project = (
                self._create_atlas_project(name, config, cell, account_id, tags)
                if primary is None
                else primary.atlas_project
            )
            if self.serving:
                self.atlas_endpoint = self._create_atlas_endpoint(name, config, cell, clients, tags)
                # The cluster waits for every region's endpoint (so its private connection strings
                # exist), and this cell's apps need the string of theirs: the program creates the
                # cluster after all cells (add_atlas_cluster) and resolves this then.
                self.mongodb_uri, self._resolve_mongodb_uri = deferred_output()
        else:
            self._create_postgres(name, config, cell, clients, primary, tags)
        writer = self.database if primary is None else primary.database
        self.cache = self._create_cache(name, config, cell, clients, tags) if self.serving else None
        # Search lives with the primary (its index is rebuilt from the database); the alarms need
        # the monitoring topic, which is created last, so it arrives as a deferred output.
        self.search, resolve_search_topic = None, None
        if primary is None and config.search.enabled:
            search_topic, resolve_search_topic = deferred_output()
            self.search = self._create_search(name, config, cell, account_id, clients, search_topic, tags)
        self.queues, self.cluster, self.workloads = None, None, []
        self.events: Events | None = None
        self.stream: EventStream | None = None
        resolve_alerts = None
        if self.serving:
            # The queue policies name the apps' Pod Identity roles, which the compute part creates
            # further down (it needs the queues first); deferred outputs close that loop and make each
            # policy wait until its roles exist (SQS rejects a policy naming a role that does not).
            # Every deferred output must be resolved, or the program never finishes.
            producers, resolve_producers = deferred_output()
            consumers, resolve_consumers = deferred_output()
            # The target queues admit the topics delivering to them, and the topics need the queues'
            # ARNs; the event alarms need the alert topic, created last (monitoring).
            sources, resolve_sources = deferred_output() if fan_out else ({}, None)
            if fan_out or config.streaming is not None:
                alerts, resolve_alerts = deferred_output()
            self.queues = self._create_queues(name, config, base, account_id, producers, consumers, sources, tags)
            if resolve_sources is not None:
                self.events = self._create_events(name, config, base, account_id, producers, alerts, tags)
                resolve_sources(self.events.sources)
            if config.streaming is not None:
                self.stream = self._create_stream(name, config, base, alerts, tags)
            services = self._services(config, cell, writer, edge)
            self.cluster, self.workloads = create_compute(self, name, base, config, cell, account_id, services, tags)
            api, worker = self.workloads
            # The api produces; the worker consumes and may enqueue follow-up jobs.
            resolve_producers(pulumi.Output.all(api.role_arn, worker.role_arn))
            resolve_consumers(pulumi.Output.all(worker.role_arn))
        # The API's ALB, once its Ingress has one (None without an Ingress): alarms and DNS use it.
        self.api_alb = self._lookup_api_alb(base)
        self.monitoring = self._create_monitoring(name, config, cell, base, account_id, tags)
        if resolve_search_topic is not None:
            resolve_search_topic(self.monitoring.topic_arn)
        if resolve_alerts is not None:
            resolve_alerts(self.monitoring.topic_arn)
        self.endpoints = self._endpoints(writer)
        self.register_outputs({"endpoints": self.endpoints, "region": self.region})

    def _create_postgres(
        self,
        name: str,
        config: StackConfig,
        cell: RegionConfig,
        clients: list[str],
        primary: RegionalCell | None,
        tags: dict[str, str],
    ) -> None:
        """The writable RDS instance (primary cell) and the cell's read replicas of it."""
        names = Names(config.name)
        self.database = self._create_primary(name, config, cell, clients, tags) if primary is None else None
        source = primary.database if primary is not None else self.database
        assert source is not None
        self.replicas = PostgresReplicas(
            f"{name}-db-replicas",
            PostgresReplicasArgs(
                identifier_prefix=names.replicas(cell.region),
                count=cell.read_replicas,
                source_db_arn=source.arn,
                cross_region=primary is not None,
                instance_class=config.database.replica_class,
                engine_version=config.database.engine_version,
                kms_key_arn=self.key.arn,
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.isolated_subnet_ids,
                client_cidr_blocks=clients,
                monitoring_role_arn=source.monitoring_role_arn,
                performance_insights_retention_days=config.database.performance_insights_retention_days,
                monitoring_interval_seconds=config.database.monitoring_interval_seconds,
                slow_query_ms=config.database.slow_query_ms,
                max_allocated_storage_gb=config.database.max_allocated_storage_gb,
                max_connections=writer_connections(config),
                log_retention_days=config.monitoring.log_retention_days,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _services(
        self, config: StackConfig, cell: RegionConfig, writer: Postgres | None, edge: EdgeLayer
    ) -> CellServices:
        """What the cell's apps connect to: plain values and outputs of the data components."""
        assert self.cache is not None and self.queues is not None
        bucket_name, bucket_arn, bucket_key_arn = edge.assets_bucket(cell.region)
        app_config: dict[str, pulumi.Input[str]] = {
            "AWS_REGION": cell.region,
            **(self._mongodb_config(config) if writer is None else self._postgres_config(config, writer)),
            "CACHE_ENDPOINT": self.cache.endpoint,
            "CACHE_PORT": "6379",
            # The region's own bucket (phase 4, replicated), reached through the S3 gateway endpoint.
            "ASSETS_BUCKET": bucket_name,
            "CDN_DOMAIN": edge.cdn_domain,
        }
        if edge.assets.public_key_id is not None:
            # Which public key CloudFront checks signed upload URLs with; the private key is the app team's.
            app_config["CDN_SIGNING_KEY_ID"] = edge.assets.public_key_id
        for queue, url in sorted(self.queues.queue_urls.items()):
            app_config[f"QUEUE_URL_{queue.upper().replace('-', '_')}"] = url
        if self.search is not None:
            # Host name of the VPC endpoint: https://<it>, requests SigV4-signed for service "es".
            app_config["SEARCH_ENDPOINT"] = self.search.endpoint
        topics = dict(self.events.topic_arns) if self.events else {}
        for topic, arn in sorted(topics.items()):
            app_config[f"EVENTS_TOPIC_ARN_{topic.upper().replace('-', '_')}"] = arn
        if self.stream is not None:
            app_config["EVENTS_STREAM_NAME"] = self.stream.stream_name
        return CellServices(
            vpc_cidr=cell.cidr,
            private_subnet_ids=list(self.network.private_subnet_ids),
            zone_names=list(self.network.availability_zones),
            vpc_id=self.network.vpc_id,
            key_arn=self.key.arn,
            writer_region=self.writer_region,
            # Atlas takes writes through the cell's own endpoint; RDS writes cross to the primary's VPC.
            writer_cidr=cell.cidr if writer is None else config.primary.cidr,
            config=app_config,
            # Apps sign in to the database with IAM (tokens, or MONGODB-AWS); no database secret is theirs.
            secret_arns={"CACHE_AUTH": self.cache.auth_secret_arn},
            writer_proxy_id=None if writer is None else writer.proxy_id,
            replica_resource_ids=[] if self.replicas is None else list(self.replicas.resource_ids),
            bootstrap=writer if self.database is not None else None,
            queue_arns=dict(self.queues.queue_arns),
            queue_urls=dict(self.queues.queue_urls),
            bucket_arn=bucket_arn,
            bucket_key_arn=bucket_key_arn,
            search_domain_arn=self.search.arn if self.search is not None else None,
            topic_arns=topics,
            stream_arn=self.stream.stream_arn if self.stream else None,
        )

    def _postgres_config(self, config: StackConfig, writer: Postgres) -> dict[str, pulumi.Input[str]]:
        """The apps' PostgreSQL keys: the writer's proxy, this region's replicas, the IAM logins."""
        assert self.replicas is not None
        db = config.database
        return {
            # IAM tokens are signed for the host's region: the writer proxy lives in the primary's.
            "DB_WRITER_ENDPOINT": writer.proxy_endpoint,
            "DB_WRITER_REGION": self.writer_region,
            "DB_READER_ENDPOINTS": pulumi.Output.all(*self.replicas.endpoints).apply(",".join),
            "DB_READER_REGION": self.region,
            "DB_PORT": "5432",
            "DB_NAME": db.database_name,
            "DB_USER": db.app_username,
            "DB_READER_USER": db.reader_username,
        }

    def _mongodb_config(self, config: StackConfig) -> dict[str, pulumi.Input[str]]:
        """The apps' MongoDB keys: the SRV string of this cell's own private endpoint (no credentials:
        the driver signs in as the pod's IAM role, MONGODB-AWS in ``$external``)."""
        assert self.mongodb_uri is not None
        multi_region = len(atlas_nodes(config)) > 1
        return {
            "DB_ENGINE": "mongodb",
            "MONGODB_URI": self.mongodb_uri,
            "MONGODB_AUTH_MECHANISM": "MONGODB-AWS",
            "MONGODB_DATABASE": config.database.database_name,
            # Reads go to the closest member (this region's, over its endpoint) when the cluster
            # spans regions; in one region they spare the primary. Writes always reach the primary.
            "MONGODB_READ_PREFERENCE": "nearest" if multi_region else "secondaryPreferred",
        }

    def _create_atlas_project(
        self, name: str, config: StackConfig, cell: RegionConfig, account_id: pulumi.Input[str], tags: dict[str, str]
    ) -> AtlasProject:
        """The Atlas project, with encryption at rest under this (the primary) cell's KMS key."""
        from components.atlas_project import AtlasProject, AtlasProjectArgs

        atlas = config.database.atlas
        assert atlas is not None
        sharded_across_regions = atlas.cluster_type == "SHARDED" and len(atlas_nodes(config)) > 1
        return AtlasProject(
            f"{name}-atlas-project",
            AtlasProjectArgs(
                org_id=atlas.org_id,
                project_name=Names(config.name).atlas_project(),
                account_id=account_id,
                # The key's ARN in KMS's documented form (arn:aws:kms:<region>:<account>:key/<id>, what
                # key.arn is), from its ID: Atlas is given the ID, the role's policy the ARN.
                kms_key_arn=pulumi.Output.concat(
                    "arn:aws:kms:", cell.region, ":", account_id, ":key/", self.key.key_id
                ),
                kms_region=cell.region,
                # A multi-region sharded cluster is reached over PrivateLink only in regionalized mode.
                regionalized_private_endpoints=sharded_across_regions,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def add_atlas_cluster(self, config: StackConfig, cells: list[RegionalCell]) -> AtlasCluster:
        """Register, under this primary cell, the Atlas cluster spanning every serving region (this one
        first) and its alerts, once every cell's private endpoint exists; then give each serving cell
        its apps' connection string and their database users (their Pod Identity roles)."""
        from components.atlas_alerts import AtlasAlerts, AtlasAlertsArgs
        from components.atlas_cluster import AtlasCluster, AtlasClusterArgs

        atlas = config.database.atlas
        assert atlas is not None and self.atlas_project is not None
        name = region_code(self.region)
        tags = {"PlatformEnvironment": config.name, **config.tags}
        scaling = atlas.auto_scaling
        compute = (
            (scaling.min_instance_size, scaling.max_instance_size)
            if scaling.min_instance_size is not None and scaling.max_instance_size is not None
            else None
        )
        serving = [cell for cell in cells if cell.atlas_endpoint is not None]
        cluster = AtlasCluster(
            f"{name}-atlas-cluster",
            AtlasClusterArgs(
                project_id=self.atlas_project.project_id,
                cluster_name=Names(config.name).atlas_cluster(),
                cluster_type=atlas.cluster_type,
                instance_size=atlas.instance_size,
                regions=[
                    RegionNodes(c.region, n.electable, n.read_only, n.analytics) for _, c, n in atlas_nodes(config)
                ],
                shards=atlas.shards,
                analytics_instance_size=atlas.analytics_instance_size,
                mongo_major_version=atlas.mongo_major_version,
                disk_size_gb=atlas.disk_size_gb,
                compute_auto_scaling=compute,
                disk_auto_scaling=scaling.disk,
                backup_retention_days=atlas.backup_retention_days,
                pitr_window_days=atlas.pitr_window_days,
                encryption_at_rest=self.atlas_project.encryption_at_rest,
                depends_on_endpoints=[cell.atlas_endpoint.ready for cell in serving if cell.atlas_endpoint],
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        alerts = atlas.alerts
        AtlasAlerts(
            f"{name}-atlas-alerts",
            AtlasAlertsArgs(
                project_id=self.atlas_project.project_id,
                emails=list(config.monitoring.alert_emails),
                cpu_percent=alerts.cpu_percent,
                connections_percent=alerts.connections_percent,
                replication_lag_seconds=alerts.replication_lag_seconds,
                disk_percent=alerts.disk_percent,
                query_targeting_ratio=alerts.query_targeting_ratio,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for cell in serving:
            cell.atlas_cluster = cluster
            cell.attach_atlas(config, cluster)
        return cluster

    def attach_atlas(self, config: StackConfig, cluster: AtlasCluster) -> None:
        """This serving cell's side of the cluster: its apps' connection string (through this
        region's endpoint) and their Atlas users (their Pod Identity roles, readWrite, MONGODB-AWS)."""
        from components.atlas_users import AtlasDatabaseUsers, AtlasDatabaseUsersArgs, AtlasUserSpec

        assert self.atlas_endpoint is not None and self._resolve_mongodb_uri is not None
        assert self.atlas_project is not None
        self._resolve_mongodb_uri(cluster.private_srv_for(self.atlas_endpoint.vpc_endpoint_id))
        api, worker = self.workloads
        self.atlas_users = AtlasDatabaseUsers(
            f"{region_code(self.region)}-atlas-users",
            AtlasDatabaseUsersArgs(
                project_id=self.atlas_project.project_id,
                cluster_name=cluster.cluster_name,
                database_name=config.database.database_name,
                users=[AtlasUserSpec("api", api.role_arn), AtlasUserSpec("worker", worker.role_arn)],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_atlas_endpoint(
        self, name: str, config: StackConfig, cell: RegionConfig, clients: list[str], tags: dict[str, str]
    ) -> AtlasPrivateEndpoint:
        """This cell's PrivateLink endpoint to the Atlas project, in the app subnets, open to them only."""
        from components.atlas_private_endpoint import AtlasPrivateEndpoint, AtlasPrivateEndpointArgs

        assert self.atlas_project is not None
        return AtlasPrivateEndpoint(
            f"{name}-atlas-endpoint",
            AtlasPrivateEndpointArgs(
                project_id=self.atlas_project.project_id,
                region=cell.region,
                name=Names(config.name).atlas_endpoint(cell.region),
                vpc_id=self.network.vpc_id,
                subnet_ids=list(self.network.private_subnet_ids),
                client_cidr_blocks=clients,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_primary(
        self, name: str, config: StackConfig, cell: RegionConfig, clients: list[str], tags: dict[str, str]
    ) -> Postgres:
        db = config.database
        # Active regions' apps write through this proxy over their VPC peering (see program.py).
        clients = clients + [
            cidr
            for other in config.regions
            if other.role == "active"
            for cidr in subnet_layout(other.cidr, len(other.zones)).private
        ]
        return Postgres(
            f"{name}-db",
            PostgresArgs(
                identifier=Names(config.name).primary_db(),
                region=cell.region,
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.isolated_subnet_ids,
                proxy_subnet_ids=self.network.private_subnet_ids,
                client_cidr_blocks=clients,
                kms_key_arn=self.key.arn,
                engine_version=db.engine_version,
                instance_class=db.instance_class,
                allocated_storage_gb=db.allocated_storage_gb,
                max_allocated_storage_gb=db.max_allocated_storage_gb,
                backup_retention_days=db.backup_retention_days,
                database_name=db.database_name,
                master_username=db.master_username,
                app_username=db.app_username,
                password_rotation_days=db.password_rotation_days,
                performance_insights_retention_days=db.performance_insights_retention_days,
                monitoring_interval_seconds=db.monitoring_interval_seconds,
                slow_query_ms=db.slow_query_ms,
                proxy_max_connections_percent=db.proxy.max_connections_percent,
                proxy_max_idle_connections_percent=db.proxy.max_idle_connections_percent,
                proxy_idle_client_timeout_seconds=db.proxy.idle_client_timeout_seconds,
                max_connections=writer_connections(config),
                log_retention_days=config.monitoring.log_retention_days,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_search(
        self,
        name: str,
        config: StackConfig,
        cell: RegionConfig,
        account_id: pulumi.Input[str],
        clients: list[str],
        topic_arn: pulumi.Input[str],
        tags: dict[str, str],
    ) -> SearchDomain:
        search = config.search
        return SearchDomain(
            f"{name}-search",
            SearchDomainArgs(
                # platform:name is at most 20 characters: 27, within OpenSearch's 28.
                domain_name=f"{config.name}-search",
                region=cell.region,
                account_id=account_id,
                vpc_id=self.network.vpc_id,
                subnet_ids=list(self.network.private_subnet_ids),
                client_cidr_blocks=clients,
                kms_key_arn=self.key.arn,
                master_user_arn=search.master_user_role_arn or config.cluster.admin_role_arns[0],
                engine_version=search.engine_version,
                instance_type=search.instance_type,
                instance_count=search.instance_count,
                master_instance_type=search.master_instance_type,
                volume_size_gb=search.volume_size_gb,
                iops=search.iops,
                throughput_mibps=search.throughput_mibps,
                log_retention_days=config.monitoring.log_retention_days,
                alarm_topic_arn=topic_arn,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_cache(
        self, name: str, config: StackConfig, cell: RegionConfig, clients: list[str], tags: dict[str, str]
    ) -> Redis:
        cache = config.cache
        return Redis(
            f"{name}-cache",
            RedisArgs(
                replication_group_id=Names(config.name).cache(cell.region),
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.isolated_subnet_ids,
                client_cidr_blocks=clients,
                kms_key_arn=self.key.arn,
                engine=cache.engine,
                engine_version=cache.engine_version,
                node_type=cache.node_type,
                cluster_mode=cache.cluster_mode,
                shards=cache.shards,
                replicas_per_shard=cache.replicas_per_shard,
                snapshot_retention_days=cache.snapshot_retention_days,
                log_retention_days=config.monitoring.log_retention_days,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_queues(
        self,
        name: str,
        config: StackConfig,
        base: str,
        account_id: pulumi.Input[str],
        producers: pulumi.Input[list[str]],
        consumers: pulumi.Input[list[str]],
        sns_sources: pulumi.Input[dict[str, list[str]]],
        tags: dict[str, str],
    ) -> Queues:
        specs = [
            QueueSpec(
                name=q.name,
                visibility_timeout_seconds=q.visibility_timeout_seconds,
                message_retention_seconds=q.message_retention_seconds,
                max_receive_count=q.max_receive_count,
                fifo=q.fifo,
            )
            for q in config.queues
        ]
        return Queues(
            f"{name}-queues",
            QueuesArgs(
                name_prefix=base,
                queues=specs,
                account_id=account_id,
                kms_key_arn=self.key.arn,
                producer_role_arns=producers,
                consumer_role_arns=consumers,
                sns_topic_arns=sns_sources,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_events(
        self,
        name: str,
        config: StackConfig,
        base: str,
        account_id: pulumi.Input[str],
        publishers: pulumi.Input[list[str]],
        alerts: pulumi.Input[str],
        tags: dict[str, str],
    ) -> Events:
        """SNS topics fanning out to the cell's queues; the apps (the queue producers) publish."""
        assert self.queues is not None
        topics = [
            TopicSpec(
                t.name,
                tuple(SubscriptionSpec(s.queue, s.filter_policy, s.filter_policy_scope) for s in t.subscriptions),
            )
            for t in config.events.topics
        ]
        return Events(
            f"{name}-events",
            EventsArgs(
                name_prefix=base,
                topics=topics,
                queue_arns=dict(self.queues.queue_arns),
                account_id=account_id,
                kms_key_arn=self.key.arn,
                publisher_role_arns=publishers,
                alarm_topic_arn=alerts,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_stream(
        self, name: str, config: StackConfig, base: str, alerts: pulumi.Input[str], tags: dict[str, str]
    ) -> EventStream:
        """The cell's Kinesis event stream (phase 4): the apps write, the worker reads."""
        streaming = config.streaming
        assert streaming is not None
        return EventStream(
            f"{name}-stream",
            StreamArgs(
                name=f"{base}-events",
                kms_key_arn=self.key.arn,
                shard_count=streaming.shards,
                retention_hours=streaming.retention_hours,
                shard_level_metrics=list(streaming.shard_level_metrics),
                alarm_topic_arn=alerts,
                alarm_prefix=base,
                iterator_age_alarm_seconds=streaming.iterator_age_alarm_seconds,
                write_throttle_alarm_records=streaming.write_throttle_alarm_records,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_monitoring(
        self,
        name: str,
        config: StackConfig,
        cell: RegionConfig,
        base: str,
        account_id: pulumi.Input[str],
        tags: dict[str, str],
    ) -> Monitoring:
        db = config.database
        targets = []
        if self.database is not None:
            targets.append(
                DbTarget(Names(config.name).primary_db(), writer_connections(config), db.allocated_storage_gb, False)
            )
        targets += [
            DbTarget(
                replica_identifier(Names(config.name).replicas(cell.region), index),
                writer_connections(config),
                db.allocated_storage_gb,
                True,
            )
            for index in range(cell.read_replicas)
        ]
        return Monitoring(
            f"{name}-monitoring",
            MonitoringArgs(
                name=base,
                account_id=account_id,
                kms_key_arn=self.key.arn,
                alert_emails=list(config.monitoring.alert_emails),
                thresholds=alarm_thresholds(config),
                db_instances=targets,
                cache_nodes=list(self.cache.member_cluster_ids) if self.cache else [],
                queues=sorted(self.queues.queue_names.values()) if self.queues else [],
                # Job DLQs, then the event subscriptions' DLQs (SNS gave up delivering).
                dead_letter_queues=(sorted(self.queues.dlq_names.values()) if self.queues else [])
                + (sorted(self.events.dlq_names.values()) if self.events else []),
                load_balancers=self._load_balancers(base),
                dashboard_topics=sorted(self.events.topic_names.values()) if self.events else [],
                dashboard_streams=[self.stream.stream_name] if self.stream else [],
                dashboard_search_domains=[self.search.domain_name] if self.search else [],
                log_retention_days=config.monitoring.log_retention_days,
                dashboard=config.monitoring.dashboard,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _lookup_api_alb(self, base: str) -> pulumi.Output[aws.lb.GetLoadBalancerResult] | None:
        """The API's ALB (created by the Load Balancer Controller from its Ingress), looked up once."""
        api = self.workloads[0] if self.workloads else None
        if api is None or not isinstance(api.ingress_hostname, pulumi.Output):
            return None
        # The api Workload's Ingress is named after the app, in its namespace; the controller runs
        # with clusterName = the cell's base name (components.cluster_addons).
        tags = controller_alb_tags(base, API_NAMESPACE, "api")
        return lookup_alb(tags, api.ingress_hostname, self)

    def _load_balancers(self, base: str) -> dict[str, pulumi.Input[str]]:
        """The API's ALB by ARN suffix, for its alarms."""
        return {} if self.api_alb is None else {"api": self.api_alb.arn_suffix}

    def _endpoints(self, writer: Postgres | None) -> dict[str, Any]:
        """What apps in this region connect to (the seam for the EKS workloads' ConfigMap)."""
        endpoints: dict[str, Any] = {"region": self.region, "vpcId": self.network.vpc_id}
        if writer is not None and self.replicas is not None:
            endpoints["dbProxyEndpoint"] = writer.proxy_endpoint
            endpoints["dbWriterRegion"] = self.writer_region
            endpoints["dbReaderEndpoints"] = self.replicas.endpoints
        if self.mongodb_uri is not None:
            endpoints["mongodbUri"] = self.mongodb_uri
        endpoints["alertTopicArn"] = self.monitoring.topic_arn
        if self.cache is not None:
            endpoints["cacheEndpoint"] = self.cache.endpoint
            endpoints["cacheAuthSecretArn"] = self.cache.auth_secret_arn
        if self.queues is not None:
            endpoints["queueUrls"] = self.queues.queue_urls
        if self.search is not None:
            endpoints["searchEndpoint"] = self.search.endpoint
        if self.events is not None:
            endpoints["eventTopicArns"] = self.events.topic_arns
        if self.stream is not None:
            endpoints["eventStreamArn"] = self.stream.stream_arn
        return endpoints


def regional_provider(region: str) -> aws.Provider:
    """The explicit provider of a region; its logical name depends only on the region, so it is
    the same in every phase (a changed provider would replace everything under it)."""
    return aws.Provider(f"aws-{region}", region=region)

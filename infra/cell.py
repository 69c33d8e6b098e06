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

Each engine's data layer is wired in its own module, :mod:`infra.cell_postgres` and
:mod:`infra.cell_atlas` (as the compute part is in :mod:`infra.compute`), so this class reads as
the list of what a region holds: key, network, data layer, cache, search, queues/events/stream,
compute, monitoring. Their resources are children of the cell all the same.

The EKS cluster and workloads plug in here for serving cells: they take ``network`` (private
subnets), and the endpoints in ``endpoints``.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.alb_alarms import controller_alb_tags, lookup_alb
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
from components.monitoring import Monitoring, MonitoringArgs
from components.network import Network, NetworkArgs
from components.queues import Queues, QueuesArgs, QueueSpec
from components.redis import Redis, RedisArgs
from components.search import SearchDomain, SearchDomainArgs
from components.streaming import EventStream, StreamArgs
from infra.alerts import alarm_thresholds
from infra.cell_atlas import CellAtlas
from infra.cell_postgres import CellPostgres
from infra.compute import API_NAMESPACE, CellServices, create_compute
from infra.config import RegionConfig, StackConfig
from infra.edge import EdgeLayer
from infra.failfast import deferred_output
from infra.naming import Names


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
        # One data layer per engine; the other stays None.
        self.postgres: CellPostgres | None = None
        self.atlas: CellAtlas | None = None
        if config.database.engine == "mongodb":
            self.atlas = CellAtlas(
                self, name, config, cell, account_id, clients, primary.atlas if primary else None, tags
            )
        else:
            self.postgres = CellPostgres(self, name, config, cell, clients, primary.postgres if primary else None, tags)
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
            services = self._services(config, cell, edge)
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
        self.endpoints = self._endpoints()
        self.register_outputs({"endpoints": self.endpoints, "region": self.region})

    def _services(self, config: StackConfig, cell: RegionConfig, edge: EdgeLayer) -> CellServices:
        """What the cell's apps connect to: plain values and outputs of the data components."""
        assert self.cache is not None and self.queues is not None
        data_layer = self.postgres or self.atlas
        assert data_layer is not None
        bucket_name, bucket_arn, bucket_key_arn = edge.assets_bucket(cell.region)
        app_config: dict[str, pulumi.Input[str]] = {
            "AWS_REGION": cell.region,
            **data_layer.app_config(config),
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
            writer_cidr=config.primary.cidr if self.postgres else cell.cidr,
            config=app_config,
            # Apps sign in to the database with IAM (tokens, or MONGODB-AWS); no database secret is theirs.
            secret_arns={"CACHE_AUTH": self.cache.auth_secret_arn},
            writer_proxy_id=self.postgres.writer.proxy_id if self.postgres else None,
            replica_resource_ids=list(self.postgres.replicas.resource_ids) if self.postgres else [],
            # The bootstrap Job runs where the writable instance lives: the primary cell.
            bootstrap=self.postgres.database if self.postgres else None,
            queue_arns=dict(self.queues.queue_arns),
            queue_urls=dict(self.queues.queue_urls),
            bucket_arn=bucket_arn,
            bucket_key_arn=bucket_key_arn,
            search_domain_arn=self.search.arn if self.search is not None else None,
            topic_arns=topics,
            stream_arn=self.stream.stream_arn if self.stream else None,
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
        return Monitoring(
            f"{name}-monitoring",
            MonitoringArgs(
                name=base,
                account_id=account_id,
                kms_key_arn=self.key.arn,
                alert_emails=list(config.monitoring.alert_emails),
                thresholds=alarm_thresholds(config),
                db_instances=self.postgres.monitoring_targets(config, cell) if self.postgres else [],
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

    def _endpoints(self) -> dict[str, Any]:
        """What apps in this region connect to (the seam for the EKS workloads' ConfigMap)."""
        endpoints: dict[str, Any] = {"region": self.region, "vpcId": self.network.vpc_id}
        if self.postgres is not None:
            endpoints.update(self.postgres.endpoints())
        if self.atlas is not None and self.atlas.uri is not None:
            endpoints["mongodbUri"] = self.atlas.uri
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

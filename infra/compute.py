"""The compute part of a serving cell: EKS, a regional WAF for the API's load balancer, and the
api and worker Deployments, each with a least-privilege Pod Identity role.

Kept apart from :mod:`infra.cell` so the cell reads as the list of what a region holds, and the
IAM documents here are pure functions tested on their own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi

from components.cluster import EksCluster, EksClusterArgs
from components.db_bootstrap import DbBootstrap, DbBootstrapArgs
from components.ecr_replication import regional_image
from components.edge_waf import EdgeWaf, EdgeWafArgs
from components.keda import Keda, KedaArgs
from components.observability import ClusterObservability, ClusterObservabilityArgs
from components.postgres import Postgres
from components.workload import IngressSpec, QueueScaler, Workload, WorkloadArgs
from infra.config import AppConfig, RegionConfig, StackConfig

API_NAMESPACE = "api"
WORKER_NAMESPACE = "worker"


@dataclass(frozen=True)
class AppGrants:
    """What one app may touch; every field is a list of exact ARNs."""

    bucket_arn: str
    bucket_key_arn: str
    secret_arns: Sequence[str]
    secrets_key_arns: Sequence[str]
    queue_key_arn: str
    region: str
    send_queue_arns: Sequence[str] = ()
    receive_queue_arns: Sequence[str] = ()
    db_user_arns: Sequence[str] = ()
    #: The OpenSearch domain's ARN; None where the cell has no domain.
    search_domain_arn: str | None = None
    #: SNS event topics the app publishes to (encrypted with ``queue_key_arn``, the cell key).
    publish_topic_arns: Sequence[str] = ()
    #: Kinesis streams the app writes to / reads from (encrypted with the cell key).
    write_stream_arns: Sequence[str] = ()
    read_stream_arns: Sequence[str] = ()


def _allow(sid: str, actions: list[str], resources: Sequence[str], condition: dict | None = None) -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": sorted(set(resources))}
    if condition:
        statement["Condition"] = condition
    return statement


def app_policy(grants: AppGrants) -> str:
    """The IAM policy of an app's Pod Identity role: only the resources it uses.

    Objects of the asset bucket (read/write, plus listing the bucket), the asset key for SSE-KMS,
    its queues (send and/or receive) and their key (through SQS only), its secrets and their keys
    (through Secrets Manager only), and IAM database logins (the app user through the writer's
    proxy, the reader user on this region's replicas).
    """
    via_secrets = {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}
    statements = [
        _allow("AssetObjects", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [f"{grants.bucket_arn}/*"]),
        _allow("AssetListing", ["s3:ListBucket"], [grants.bucket_arn]),
        _allow("AssetKey", ["kms:Decrypt", "kms:GenerateDataKey"], [grants.bucket_key_arn]),
        _allow("Secrets", ["secretsmanager:GetSecretValue"], grants.secret_arns),
        _allow("SecretsKey", ["kms:Decrypt"], grants.secrets_key_arns, via_secrets),
    ]
    if grants.send_queue_arns or grants.receive_queue_arns:
        # The queues use SSE-KMS: sending needs a data key, receiving needs to decrypt it.
        via_sqs = {"StringEquals": {"kms:ViaService": f"sqs.{grants.region}.amazonaws.com"}}
        statements.append(_allow("QueueKey", ["kms:GenerateDataKey", "kms:Decrypt"], [grants.queue_key_arn], via_sqs))
    if grants.send_queue_arns:
        statements.append(_allow("SendJobs", ["sqs:SendMessage", "sqs:GetQueueAttributes"], grants.send_queue_arns))
    if grants.receive_queue_arns:
        receive = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
        statements.append(_allow("ReceiveJobs", receive, grants.receive_queue_arns))
    if grants.db_user_arns:
        statements.append(_allow("DatabaseLogin", ["rds-db:connect"], grants.db_user_arns))
    if grants.search_domain_arn:
        # HTTP requests to the domain's indices and APIs; the security plugin's role mapping of the
        # app's role decides which (fine-grained access control).
        statements.append(_allow("Search", ["es:ESHttp*"], [f"{grants.search_domain_arn}/*"]))
    statements += _event_statements(grants)
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _event_statements(grants: AppGrants) -> list[dict]:
    """SNS publishing (the topic key through SNS only) and Kinesis writes/reads (the key only for
    those streams' encryption context, ``aws:kinesis:arn``)."""
    from components.streaming import CONSUMER_ACTIONS, PRODUCER_ACTIONS

    statements = []
    if grants.publish_topic_arns:
        # An encrypted topic: the publisher generates and checks the data key (SNS key management).
        via_sns = {"StringEquals": {"kms:ViaService": f"sns.{grants.region}.amazonaws.com"}}
        statements.append(_allow("TopicKey", ["kms:GenerateDataKey*", "kms:Decrypt"], [grants.queue_key_arn], via_sns))
        statements.append(_allow("PublishEvents", ["sns:Publish"], grants.publish_topic_arns))
    for sid, arns, actions, key_action in (
        ("WriteStream", grants.write_stream_arns, PRODUCER_ACTIONS, "kms:GenerateDataKey"),
        ("ReadStream", grants.read_stream_arns, CONSUMER_ACTIONS, "kms:Decrypt"),
    ):
        if arns:
            context = {"ArnEquals": {"kms:EncryptionContext:aws:kinesis:arn": sorted(set(arns))}}
            statements.append(_allow(f"{sid}Key", [key_action], [grants.queue_key_arn], context))
            statements.append(_allow(sid, list(actions), arns))
    return statements


def db_user_arn(region: str, account_id: str, resource_id: str, username: str) -> str:
    """``rds-db:connect`` target for ``username`` on one proxy (``prx-...``) or instance (``db-...``).

    https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html
    """
    return f"arn:aws:rds-db:{region}:{account_id}:dbuser:{resource_id}/{username}"


@dataclass
class CellServices:
    """What the workloads of a cell connect to (all outputs of already-built components)."""

    vpc_cidr: str
    private_subnet_ids: list[pulumi.Input[str]]
    #: Zone names of the private subnets, in the same order (resolved from zone IDs by the network).
    zone_names: list[pulumi.Input[str]]
    vpc_id: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    writer_region: str
    writer_cidr: str
    config: dict[str, pulumi.Input[str]]
    secret_arns: dict[str, pulumi.Input[str]]
    queue_arns: dict[str, pulumi.Input[str]]
    queue_urls: dict[str, pulumi.Input[str]]
    bucket_arn: pulumi.Input[str]
    bucket_key_arn: pulumi.Input[str]
    #: The writer's RDS Proxy; None with MongoDB Atlas (no ``rds-db:connect`` logins at all).
    writer_proxy_id: pulumi.Input[str] | None
    replica_resource_ids: list[pulumi.Input[str]]
    #: The primary database (its cell runs the bootstrap Job); None in other cells.
    bootstrap: Postgres | None = None
    #: The OpenSearch domain's ARN (primary cell, phase 3+); None elsewhere.
    search_domain_arn: pulumi.Input[str] | None = None
    #: SNS event topics by name (phase 3+): both apps publish.
    topic_arns: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    #: The Kinesis event stream (phase 4): both apps write, the worker reads.
    stream_arn: pulumi.Input[str] | None = None


def _sizing(app: AppConfig, registry_region: str, region: str) -> dict[str, object]:
    """The WorkloadArgs fields an app's config sets: image, replica range, requests and limits.

    An image in the primary region's ECR registry runs as its replica in ``region``
    (``components.ecr_replication.regional_image``; the edge layer replicates those repositories).
    """
    return {
        "image": regional_image(app.image, registry_region, region),
        "min_replicas": app.min_replicas,
        "max_replicas": app.max_replicas,
        "cpu_request_m": app.cpu_request_m,
        "memory_request_mib": app.memory_request_mib,
        "memory_limit_mib": app.memory_limit_mib,
    }


def create_compute(
    parent: pulumi.Resource,
    name: str,
    base: str,
    config: StackConfig,
    cell: RegionConfig,
    account_id: pulumi.Input[str],
    services: CellServices,
    tags: dict[str, str],
) -> tuple[EksCluster, list[Workload]]:
    """Register the cell's cluster, the API's regional WAF, KEDA and in-cluster observability as the
    phase asks, and the two workloads, under ``parent``."""
    opts = pulumi.ResourceOptions(parent=parent)
    cluster_config = config.cluster
    cluster = EksCluster(
        f"{name}-cluster",
        EksClusterArgs(
            cluster_name=base,
            vpc_id=services.vpc_id,
            private_subnet_ids=services.private_subnet_ids,
            availability_zones=list(services.zone_names),
            availability_zone_ids=list(cell.availability_zone_ids or []),
            kms_key_arn=services.key_arn,
            account_id=account_id,
            region=cell.region,
            kubernetes_version=cluster_config.kubernetes_version,
            public_access_cidrs=list(cluster_config.public_access_cidrs),
            admin_role_arns=list(cluster_config.admin_role_arns),
            node_instance_type=cluster_config.nodes.instance_type,
            node_min_per_az=cluster_config.nodes.min_per_az,
            node_max_per_az=cluster_config.nodes.max_per_az,
            node_disk_gb=cluster_config.nodes.disk_gb,
            log_retention_days=config.monitoring.log_retention_days,
            tags=tags,
        ),
        opts=opts,
    )
    max_body_bytes = config.apps.api.max_body_kb * 1024
    waf = EdgeWaf(
        f"{name}-api-waf",
        EdgeWafArgs(
            name=f"{base}-api",
            kms_key_arn=services.key_arn,
            rate_limit_per_5min=config.assets.waf_rate_limit,
            log_retention_days=config.monitoring.log_retention_days,
            scope="REGIONAL",
            max_body_bytes=max_body_bytes,
            log_allowed_requests=config.monitoring.waf_log_allowed_requests,
            tags=tags,
        ),
        opts=opts,
    )
    apps = config.apps
    queue_arns = list(services.queue_arns.values())
    observability = ClusterObservability(
        f"{name}-observability",
        ClusterObservabilityArgs(
            cluster_name=base,
            k8s_provider=cluster.k8s_provider,
            kms_key_arn=services.key_arn,
            region=cell.region,
            account_id=account_id,
            prometheus=config.monitoring.prometheus,
            tracing=config.monitoring.tracing,
            depends_on=cluster.platform_ready,
            tags=tags,
        ),
        opts=opts,
    )
    keda = None
    if apps.worker.scaling == "queue":
        keda = Keda(
            f"{name}-keda",
            KedaArgs(
                cluster_name=base,
                k8s_provider=cluster.k8s_provider,
                queue_arns=pulumi.Output.all(services.queue_arns[apps.worker.queue]),
                depends_on=cluster.platform_ready,
                tags=tags,
            ),
            opts=opts,
        )
    resolved = pulumi.Output.all(
        account=account_id,
        bucket=services.bucket_arn,
        bucket_key=services.bucket_key_arn,
        cell_key=services.key_arn,
        proxy="" if services.writer_proxy_id is None else services.writer_proxy_id,
        readers=pulumi.Output.all(*services.replica_resource_ids),
        secrets=pulumi.Output.all(*services.secret_arns.values()),
        queues=pulumi.Output.all(*queue_arns),
        jobs=pulumi.Output.from_input(services.queue_arns[apps.worker.queue]),
        search=pulumi.Output.from_input(services.search_domain_arn or ""),
        topics=pulumi.Output.all(*services.topic_arns.values()),
        streams=pulumi.Output.all(*([services.stream_arn] if services.stream_arn is not None else [])),
    )

    def grants(v: dict, receive: bool) -> AppGrants:
        return AppGrants(
            bucket_arn=v["bucket"],
            bucket_key_arn=v["bucket_key"],
            secret_arns=v["secrets"],
            # The cache secret is the apps' only one, under the cell's key.
            secrets_key_arns=[v["cell_key"]],
            queue_key_arn=v["cell_key"],
            region=cell.region,
            send_queue_arns=v["queues"],
            receive_queue_arns=[v["jobs"]] if receive else [],
            db_user_arns=[
                db_user_arn(services.writer_region, v["account"], v["proxy"], config.database.app_username),
                *(
                    db_user_arn(cell.region, v["account"], replica, config.database.reader_username)
                    for replica in v["readers"]
                ),
            ]
            if v["proxy"]
            else [],
            search_domain_arn=v["search"] or None,
            publish_topic_arns=v["topics"],
            write_stream_arns=v["streams"],
            read_stream_arns=v["streams"] if receive else [],
        )

    bootstrap = _create_bootstrap(name, base, config, cell, account_id, services, cluster, tags, opts)
    # The apps sign in as roles the bootstrap creates: they start once it has run.
    app_ready = [*cluster.platform_ready, *(bootstrap.ready if bootstrap else [])]
    api_policy = resolved.apply(lambda v: app_policy(grants(v, receive=False)))
    worker_policy = resolved.apply(lambda v: app_policy(grants(v, receive=True)))
    app_config = dict(services.config)
    if config.monitoring.tracing:
        app_config["OTEL_EXPORTER_OTLP_ENDPOINT"] = observability.otel_endpoint
    common = dict(
        cluster_name=base,
        k8s_provider=cluster.k8s_provider,
        secret_arns=services.secret_arns,
        # The cell's own VPC, plus the primary's (over the peering) where the writer is remote.
        egress_cidrs=sorted({services.vpc_cidr, services.writer_cidr}),
        # The collector's Service (phase 4): its ClusterIP is outside every CIDR above.
        egress_services=list(observability.otel_peers),
        tags=tags,
    )
    api = Workload(
        f"{name}-api",
        WorkloadArgs(
            app="api",
            namespace=API_NAMESPACE,
            **_sizing(apps.api, config.primary.region, cell.region),
            port=apps.api.port,
            health_path=apps.api.health_path,
            # WAF can only compare a declared Content-Length; the API refuses the bodies it cannot see.
            config={**app_config, "MAX_BODY_BYTES": str(max_body_bytes)},
            iam_policy_json=api_policy,
            ingress=IngressSpec(
                host=apps.api.host,
                certificate_arn=cell.api_certificate_arn,
                web_acl_arn=waf.web_acl_arn,
                health_path=apps.api.health_path,
                # Route 53 checks each region's ALB by its DNS name (components/dns.py).
                health_any_host=config.dns is not None,
            )
            if apps.api.host
            else None,
            # The ALB (target type ip) and the kubelet's probes reach pods from inside the VPC.
            ingress_cidrs=[services.vpc_cidr],
            depends_on=app_ready,
            **common,
        ),
        opts=opts,
    )
    worker = Workload(
        f"{name}-worker",
        WorkloadArgs(
            app="worker",
            namespace=WORKER_NAMESPACE,
            **_sizing(apps.worker, config.primary.region, cell.region),
            port=None,
            health_path=None,
            liveness_exec=list(apps.worker.liveness_command),
            config=app_config,
            iam_policy_json=worker_policy,
            queue_scaler=QueueScaler(
                queue_url=services.queue_urls[apps.worker.queue],
                region=cell.region,
                messages_per_pod=apps.worker.messages_per_pod,
            )
            if keda
            else None,
            # The ScaledObject's CRD comes with the KEDA chart.
            depends_on=[*app_ready, *([keda.release] if keda else [])],
            **common,
        ),
        opts=opts,
    )
    return cluster, [api, worker]


def _create_bootstrap(
    name: str,
    base: str,
    config: StackConfig,
    cell: RegionConfig,
    account_id: pulumi.Input[str],
    services: CellServices,
    cluster: EksCluster,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> DbBootstrap | None:
    """The database bootstrap Job, in the primary's cluster only (the roles replicate from there)."""
    writer, images = services.bootstrap, config.apps.db_bootstrap
    if writer is None or images is None:
        return None
    db = config.database
    return DbBootstrap(
        f"{name}-db-bootstrap",
        DbBootstrapArgs(
            cluster_name=base,
            k8s_provider=cluster.k8s_provider,
            region=cell.region,
            account_id=account_id,
            proxy_endpoint=writer.proxy_endpoint,
            proxy_id=writer.proxy_id,
            vpc_cidr=services.vpc_cidr,
            app_password_verifier=writer.app_password_verifier,
            psql_image=images.psql_image,
            aws_cli_image=images.aws_cli_image,
            database_name=db.database_name,
            master_username=db.master_username,
            app_username=db.app_username,
            reader_username=db.reader_username,
            schema=db.app_schema,
            # The whole database component: instance, secrets and proxy target must exist first.
            depends_on=[*cluster.platform_ready, writer],
            tags=tags,
        ),
        opts=opts,
    )

"""Read replicas of an RDS for PostgreSQL primary, in the primary's region or in another one.

AWS constraints this component relies on:

- Topology: at most 15 read replicas per source, and RDS "can't guarantee more than five
  cross-Region read replica instances" per source. So a remote region holds one cross-region
  replica of the primary (the cascade head) and its other replicas replicate from that head
  (cascading replicas, RDS for PostgreSQL 14.1+: at most two regions and three replicas deep).
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PostgreSQL.Replication.ReadReplicas.Cascading.html
- A replica that is the source of another needs automated backups (retention >= 1), and turning
  backups on later (0 -> non-zero) restarts the instance; the cascade head gets them from the start.
- ``KmsKeyId``: a cross-region replica of an encrypted source must name a key in its own region;
  a same-region replica must not ("Your request does not require the KMS key parameter"): it
  inherits the source's key (API_CreateDBInstanceReadReplica, KmsKeyId).
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html
- RDS refuses a parameter group on a PostgreSQL replica's creation, so the provider applies ours
  after it (terraform-provider-aws #38056): a new replica first runs on the default group, whose
  ``max_connections`` derives from its class memory. PostgreSQL refuses to run a hot standby whose
  ``max_connections`` is below its primary's, so the pinned value must be at most that default for
  every class in the chain and the same on every instance (see ``infra/rules/database.py``).
  https://www.postgresql.org/docs/current/hot-standby.html#HOT-STANDBY-ADMIN
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import child_opts, merge_tags, stateful_opts
from components.postgres import (
    CA_CERT,
    DB_TIMEOUTS,
    LOG_EXPORTS,
    MONITORING_INTERVALS,
    PORT,
    client_ingress,
    exported_log_groups,
    parameter_family,
    parameters,
    validate_client_cidrs,
    validate_identifier,
    validate_log_retention,
    validate_max_connections,
)

_OUTPUTS = ("replicas", "identifiers", "endpoints", "arns", "resource_ids", "security_group_id")
#: Backups kept by a cascade head: the minimum that lets it feed other replicas.
CASCADE_HEAD_BACKUP_DAYS = 1


def replica_sources(count: int, cross_region: bool) -> list[int | None]:
    """What replica ``i`` replicates from: ``None`` for the source instance, else a replica's index.

    In the source's region every replica reads from the source. In another region only the first
    crosses regions and the others cascade from it, so each remote region costs the source one of
    its five guaranteed cross-region replicas.
    """
    if count < 0:
        raise ValueError(f"count {count} must be 0 or more")
    if not cross_region:
        return [None] * count
    return [None] + [0] * (count - 1) if count else []


def replica_identifier(identifier_prefix: str, index: int) -> str:
    """Physical identifier of replica ``index`` (0-based), numbered from 1 for operators."""
    return f"{identifier_prefix}-replica-{index + 1}"


@dataclass
class PostgresReplicasArgs:
    """Inputs of :class:`PostgresReplicas`.

    Attributes:
        identifier_prefix: Replica ``i`` (0-based) is ``{identifier_prefix}-replica-{i+1}``; also
            names the subnet group, security group and parameter group. At most 50 characters.
        count: Number of replicas, 0 or more.
        source_db_arn: ARN of the primary. An ARN, not an identifier, even in-region: cross-region
            replicas need it, and so does a replica given its own subnet group.
        instance_class: Replica instance class.
        kms_key_arn: Key in the replicas' region for Performance Insights and the log groups, and
            the storage key of a cross-region replica (same-region replicas inherit the source's).
        vpc_id: VPC of the replicas.
        subnet_ids: Isolated data subnets of that VPC.
        client_cidr_blocks: Subnets allowed to connect on 5432; never 0.0.0.0/0.
        monitoring_role_arn: Enhanced-monitoring role; IAM is global, so the primary's is reused.
        cross_region: Whether the source lives in another region. Then replica 0 is the region's
            one cross-region replica (with ``kms_key_arn`` and backups) and the others cascade from it
            (:func:`replica_sources`); tagged ``ReplicaScope`` for operators and cost reports.
            Default: False.
        engine_version: The source's PostgreSQL version; picks the parameter group family (the
            replicas themselves follow the source's version). Default: ``"16"``.
        performance_insights_retention_days: Default: 7 (the free tier).
        monitoring_interval_seconds: Enhanced monitoring granularity. Default: 60.
        slow_query_ms: Statements slower than this are logged. Default: 500.
        max_allocated_storage_gb: Storage autoscaling ceiling. Default: 1000.
        max_connections: Pins ``max_connections`` (applied at the next reboot). Default: None, RDS's
            memory-derived value. Must equal the primary's ``PostgresArgs.max_connections`` and be at
            most RDS's default for ``instance_class``: a hot standby whose limit is below its
            primary's stops replaying WAL, and a new replica runs on the default group at first.
        log_retention_days: Retention of the exported logs, a CloudWatch value of at least 365; the
            log groups use ``kms_key_arn``, whose policy must grant ``logs.<region>.amazonaws.com``.
            Default: 365.
        tags: Extra tags. Default: none.
    """

    identifier_prefix: str
    count: int
    source_db_arn: pulumi.Input[str]
    instance_class: str
    kms_key_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    client_cidr_blocks: list[str]
    monitoring_role_arn: pulumi.Input[str]
    cross_region: bool = False
    engine_version: str = "16"
    performance_insights_retention_days: int = 7
    monitoring_interval_seconds: int = 60
    slow_query_ms: int = 500
    max_allocated_storage_gb: int = 1000
    max_connections: int | None = None
    log_retention_days: int = 365
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate_identifier(self.identifier_prefix, 50)
        validate_client_cidrs(self.client_cidr_blocks)
        parameter_family(self.engine_version)
        validate_max_connections(self.max_connections)
        validate_log_retention(self.log_retention_days)
        if self.monitoring_interval_seconds not in MONITORING_INTERVALS:
            raise ValueError(f"monitoring_interval_seconds must be one of {sorted(MONITORING_INTERVALS)}")
        if self.count < 0:
            raise ValueError(f"count {self.count} must be 0 or more")
        if isinstance(self.source_db_arn, str) and not self.source_db_arn.startswith("arn:"):
            raise ValueError(f"source_db_arn {self.source_db_arn!r} must be the source instance's ARN")


class PostgresReplicas(pulumi.ComponentResource):
    """``count`` read replicas of one source in the region of the provider passed in ``opts``.

    Replicas are indexed (``{name}-replica-{i}``), so raising ``count`` only adds resources. With
    ``count == 0`` nothing is created: the lists are empty and ``security_group_id`` is None.
    """

    replicas: list[aws.rds.Instance]
    security_group_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: PostgresReplicasArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:database:PostgresReplicas", name, None, opts)
        self.replicas = []
        self.security_group_id = None
        if args.count > 0:
            self._create_replicas(name, args)
        self.identifiers = [replica.identifier for replica in self.replicas]
        self.endpoints = [replica.address for replica in self.replicas]
        self.arns = [replica.arn for replica in self.replicas]
        self.resource_ids = [replica.resource_id for replica in self.replicas]
        self.register_outputs({key: getattr(self, key) for key in _OUTPUTS})

    def _create_replicas(self, name: str, args: PostgresReplicasArgs) -> None:
        label = f"{args.identifier_prefix}-replicas"
        family = parameter_family(args.engine_version)
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=label,
            description=f"Isolated data subnets of the {args.identifier_prefix} replicas",
            subnet_ids=args.subnet_ids,
            tags=merge_tags(label, args.tags),
            opts=child_opts(self),
        )
        # No egress rules: the provider strips AWS's default allow-all and replicas need none.
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name=label,
            description="PostgreSQL read replicas: 5432 from the client subnets only",
            vpc_id=args.vpc_id,
            tags=merge_tags(label, args.tags),
            opts=child_opts(self),
        )
        client_ingress(name, label, security_group.id, args.client_cidr_blocks, args.tags, self)
        parameter_group = aws.rds.ParameterGroup(
            f"{name}-params",
            name=f"{label}-{family}",
            family=family,
            description=f"TLS-only, logged settings of the {args.identifier_prefix} replicas",
            parameters=parameters(args.slow_query_ms, args.max_connections),
            tags=merge_tags(f"{label}-{family}", args.tags),
            opts=child_opts(self),
        )
        scope = {"ReplicaScope": "cross-region" if args.cross_region else "in-region"}
        for index, source in enumerate(replica_sources(args.count, args.cross_region)):
            identifier = replica_identifier(args.identifier_prefix, index)
            crosses = source is None and args.cross_region
            log_groups = exported_log_groups(
                f"{name}-replica-{index}", identifier, args.kms_key_arn, args.log_retention_days, args.tags, self
            )
            replica = aws.rds.Instance(
                f"{name}-replica-{index}",
                identifier=identifier,
                replicate_source_db=args.source_db_arn if source is None else self.replicas[source].arn,
                instance_class=args.instance_class,
                iam_database_authentication_enabled=True,
                port=PORT,
                # The replicas are the redundancy; a failed one is replaced, the primary stays up.
                multi_az=False,
                storage_type="gp3",
                max_allocated_storage=args.max_allocated_storage_gb,
                storage_encrypted=True,
                # Only a cross-region replica takes a key (its region's); same-region ones inherit it.
                kms_key_id=args.kms_key_arn if crosses else None,
                db_subnet_group_name=subnet_group.name,
                vpc_security_group_ids=[security_group.id],
                parameter_group_name=parameter_group.name,
                publicly_accessible=False,
                ca_cert_identifier=CA_CERT,
                # A cascade head must keep backups to feed the replicas behind it; the others need none
                # (their data lives in the source, whose backups are the recovery point).
                backup_retention_period=CASCADE_HEAD_BACKUP_DAYS if crosses else None,
                copy_tags_to_snapshot=True,
                deletion_protection=True,
                # A replica's data lives in its source, so a final snapshot would only duplicate the
                # primary's backups (and cost storage); protect + deletion protection guard the rest.
                skip_final_snapshot=True,
                performance_insights_enabled=True,
                performance_insights_kms_key_id=args.kms_key_arn,
                performance_insights_retention_period=args.performance_insights_retention_days,
                monitoring_interval=args.monitoring_interval_seconds,
                monitoring_role_arn=args.monitoring_role_arn,
                enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
                auto_minor_version_upgrade=True,
                apply_immediately=False,
                tags=merge_tags(identifier, args.tags, scope),
                # Unless ours exist first, RDS creates its own log groups: never expiring and without our key.
                opts=stateful_opts(self, depends_on=log_groups, custom_timeouts=DB_TIMEOUTS),
            )
            self.replicas.append(replica)
        self.security_group_id = security_group.id

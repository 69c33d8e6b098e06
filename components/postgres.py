"""RDS for PostgreSQL: a Multi-AZ primary behind an RDS Proxy, encrypted, TLS-only, observable.

AWS constraints this component relies on:

- Credentials are ours (:mod:`components.postgres_credentials`), not RDS-managed: RDS-managed
  master passwords forbid read replicas of the instance, Blue/Green deployments and cross-region
  replicas (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html).
  An instance built with ``manage_master_user_password`` converts in place: ModifyDBInstance with
  ``ManageMasterUserPassword=false`` and a ``MasterUserPassword`` turns management off (RDS then
  deletes the RDS-managed secret); the provider sends both in one call when ``password_wo_version``
  and ``manage_master_user_password`` change together
  (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html).
- ``password_wo`` is write-only (never stored in state by the provider); it is sent again only
  when ``password_wo_version`` changes, so Secrets Manager's rotations are never undone by ``up``.
- ``engine_lifecycle_support``: without it RDS enrols the instance in paid Extended Support when
  its major version leaves standard support; we opt out
  (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support.html).
- RDS Proxy: ``auth`` entries use ``SECRETS`` (the proxy signs in to the database with each
  login's secret); ``iam_auth = REQUIRED`` makes clients sign in to the proxy with IAM tokens;
  the proxy role must read those secrets and decrypt them through Secrets Manager
  (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-secrets-arns.html).
- A read replica of this instance requires automated backups on it (retention >= 1).
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.base import YEAR_LOG_RETENTION_DAYS, child_opts, https_egress, merge_tags, stateful_opts
from components.postgres_credentials import (
    PostgresCredentials,
    PostgresCredentialsArgs,
    generated_password,
    scram_verifier,
)
from components.rotation_function import PostgresRotationFunction, PostgresRotationFunctionArgs

PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")
CA_CERT = "rds-ca-rsa2048-g1"
_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
#: Enhanced-monitoring granularities RDS accepts (0, which disables it, is deliberately absent).
MONITORING_INTERVALS = frozenset({1, 5, 10, 15, 30, 60})
#: Range RDS for PostgreSQL accepts for the ``max_connections`` parameter.
MAX_CONNECTIONS_RANGE = range(6, 8388608)
#: Creating or resizing a large instance, storage optimisation and building a cross-region replica
#: routinely outlast the provider's 40/80/60-minute defaults; a timed-out apply leaves the state
#: behind AWS and the next ``up`` fights an instance that is still modifying.
DB_TIMEOUTS = pulumi.CustomTimeouts(create="4h", update="4h", delete="2h")
_OUTPUTS = (
    "instance",
    "identifier",
    "arn",
    "endpoint",
    "address",
    "port",
    "proxy_endpoint",
    "proxy_id",
    "master_secret_arn",
    "app_secret_arn",
    "app_password_verifier",
    "resource_id",
    "security_group_id",
    "proxy_security_group_id",
    "parameter_group_name",
    "monitoring_role_arn",
    "subnet_group_name",
)
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_VCPUS = {"large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32, "12xlarge": 48, "16xlarge": 64}
#: vCPUs of the classes in :data:`INSTANCE_MEMORY_GIB` (AWS instance-type specifications).
INSTANCE_VCPUS: dict[str, int] = {
    "db.t4g.medium": 2,
    "db.t4g.large": 2,
    "db.t4g.xlarge": 4,
    **{f"db.{family}.{size}": vcpus for family in ("m7g", "r7g") for size, vcpus in _VCPUS.items()},
}
#: Memory in GiB of the Graviton classes we size for (AWS instance-type specifications): m7g has
#: 4 GiB per vCPU, r7g 8.
INSTANCE_MEMORY_GIB: dict[str, int] = {
    "db.t4g.medium": 4,
    "db.t4g.large": 8,
    "db.t4g.xlarge": 16,
    **{f"db.m7g.{size}": 4 * vcpus for size, vcpus in _VCPUS.items()},
    **{f"db.r7g.{size}": 8 * vcpus for size, vcpus in _VCPUS.items()},
}
#: Share of class memory assumed reserved for the OS and RDS's own processes. AWS does not publish
#: DBInstanceClassMemory (class memory minus that reservation); 10% is a deliberately generous guess,
#: so connection estimates err low rather than promise more than the instance allows.
OS_RESERVED_FRACTION = 0.10


def parameter_family(engine_version: str) -> str:
    """Parameter group family of a PostgreSQL version: ``"16"`` or ``"16.4"`` -> ``"postgres16"``."""
    major = engine_version.split(".", 1)[0]
    if not major.isdigit() or int(major) < 10:
        raise ValueError(f"engine_version {engine_version!r} is not a PostgreSQL version 10 or later")
    return f"postgres{int(major)}"


def max_connections(instance_class: str) -> int:
    """RDS PostgreSQL's default ``max_connections``: LEAST(DBInstanceClassMemory/9531392, 5000).

    DBInstanceClassMemory is approximated as the class memory minus :data:`OS_RESERVED_FRACTION`.
    Raises ValueError for a class missing from :data:`INSTANCE_MEMORY_GIB`.
    """
    if instance_class not in INSTANCE_MEMORY_GIB:
        raise ValueError(f"unknown instance class {instance_class!r}; known: {', '.join(INSTANCE_MEMORY_GIB)}")
    usable_bytes = INSTANCE_MEMORY_GIB[instance_class] * 2**30 * (1 - OS_RESERVED_FRACTION)
    return min(int(usable_bytes // 9531392), 5000)


def validate_client_cidrs(cidrs: list[str]) -> None:
    """Raise ValueError unless ``cidrs`` is a non-empty list of IPv4 CIDRs narrower than /0."""
    if not cidrs:
        raise ValueError("client_cidr_blocks must name at least one client subnet")
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr, strict=True)
        if not isinstance(network, ipaddress.IPv4Network) or network.prefixlen == 0:
            raise ValueError(f"client CIDR {cidr} must be an IPv4 subnet, never 0.0.0.0/0")


def validate_identifier(identifier: str, max_length: int) -> None:
    """Raise ValueError unless ``identifier`` is a valid RDS identifier of at most ``max_length``."""
    if len(identifier) > max_length or not _IDENTIFIER.match(identifier):
        raise ValueError(
            f"identifier {identifier!r} must be lowercase letters, digits and single hyphens, start "
            f"with a letter and have at most {max_length} characters"
        )


def validate_max_connections(value: int | None) -> None:
    """Raise ValueError unless ``value`` is None (RDS's memory-derived default) or in RDS's range."""
    if value is not None and value not in MAX_CONNECTIONS_RANGE:
        raise ValueError(
            f"max_connections {value} must be {MAX_CONNECTIONS_RANGE.start}..{MAX_CONNECTIONS_RANGE.stop - 1}"
        )


def validate_log_retention(days: int) -> None:
    """Raise ValueError unless CloudWatch accepts ``days`` and it keeps at least a year of logs."""
    if days not in YEAR_LOG_RETENTION_DAYS:
        raise ValueError(f"log_retention_days {days} must be one of {sorted(YEAR_LOG_RETENTION_DAYS)}")


def log_group_name(identifier: str, log_type: str) -> str:
    """Name of the log group RDS exports ``log_type`` of instance ``identifier`` to."""
    return f"/aws/rds/instance/{identifier}/{log_type}"


def parameters(slow_query_ms: int, max_connections: int | None = None) -> list[dict[str, str]]:
    """DB parameters: TLS only, slow-query/connection/lock/DDL logging, pg_stat_statements.

    ``max_connections`` pins the connection limit (static: applied at the next reboot); None leaves
    RDS's default, which derives from the instance class memory.
    """
    dynamic = {
        "rds.force_ssl": "1",
        "log_min_duration_statement": str(slow_query_ms),
        "log_connections": "1",
        "log_disconnections": "1",
        "log_lock_waits": "1",
        # Schema changes are the audit trail checkov's query-logging rule (CKV2_AWS_30) asks for.
        "log_statement": "ddl",
    }
    settings = [{"name": k, "value": v, "apply_method": "immediate"} for k, v in dynamic.items()]
    settings.append(
        {"name": "shared_preload_libraries", "value": "pg_stat_statements", "apply_method": "pending-reboot"}
    )
    if max_connections is not None:
        # Pinned rather than memory-derived so a hot standby smaller than its primary still starts:
        # PostgreSQL refuses to replay WAL when the standby's limit is below the primary's.
        settings.append({"name": "max_connections", "value": str(max_connections), "apply_method": "pending-reboot"})
    return settings


def trust_policy(service: str) -> str:
    """Role trust policy letting only the AWS service principal ``service`` assume the role."""
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def proxy_policy(secret_arns: list[str], kms_key_arn: str, region: str) -> str:
    """Proxy role policy: read exactly the login secrets, decrypt with the key only via Secrets Manager."""
    read_secret = {
        "Sid": "ReadLoginSecrets",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": sorted(secret_arns),
    }
    decrypt_secret = {
        "Sid": "DecryptLoginSecrets",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": kms_key_arn,
        "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [read_secret, decrypt_secret]})


def client_ingress(
    name: str,
    label: str,
    security_group_id: pulumi.Input[str],
    cidrs: list[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> list[aws.vpc.SecurityGroupIngressRule]:
    """One 5432 ingress rule per client CIDR on ``security_group_id``; logical names are indexed."""
    return [
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-client-{index}",
            security_group_id=security_group_id,
            ip_protocol="tcp",
            from_port=PORT,
            to_port=PORT,
            cidr_ipv4=cidr,
            description=f"PostgreSQL from client subnet {cidr}",
            tags=merge_tags(f"{label}-from-client-{index}", tags),
            opts=child_opts(parent),
        )
        for index, cidr in enumerate(cidrs)
    ]


def exported_log_groups(
    name: str,
    identifier: str,
    kms_key_arn: pulumi.Input[str],
    retention_days: int,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> list[aws.cloudwatch.LogGroup]:
    """The log groups instance ``identifier`` exports :data:`LOG_EXPORTS` to, made before RDS makes them.

    Left to itself RDS creates them never expiring and encrypted with no key of ours; when they
    exist, it writes into them. The instance must depend on them. ``kms_key_arn``'s policy must
    grant ``logs.<region>.amazonaws.com``.
    """
    return [
        aws.cloudwatch.LogGroup(
            f"{name}-log-{log_type}",
            name=log_group_name(identifier, log_type),
            kms_key_id=kms_key_arn,
            retention_in_days=retention_days,
            tags=merge_tags(log_group_name(identifier, log_type), tags),
            deletion_protection_enabled=True,
            opts=stateful_opts(parent),
        )
        for log_type in LOG_EXPORTS
    ]


@dataclass
class PostgresArgs:
    """Inputs of :class:`Postgres`.

    Attributes:
        identifier: Physical DB instance identifier (``acme-prod-db``); also names the proxy, subnet
            group, security groups, parameter group and roles. At most 50 characters.
        region: Region the stack deploys to (the provider's); scopes the proxy's KMS grant.
        vpc_id: VPC of the database.
        subnet_ids: Isolated data subnets for the DB subnet group.
        proxy_subnet_ids: Private subnets (routed to NAT) for the RDS Proxy and the rotation function.
        client_cidr_blocks: Subnets allowed to connect to the proxy on 5432 (the app subnets); never
            0.0.0.0/0. The instance itself admits only the proxy.
        kms_key_arn: Customer-managed key for storage, Performance Insights, the login secrets and
            the exported-log groups (its policy must grant ``logs.<region>.amazonaws.com``).
        engine_version: PostgreSQL major version; minor versions upgrade automatically. Default: ``"16"``.
        instance_class: Default: ``"db.m7g.large"``.
        allocated_storage_gb: Initial gp3 storage. Default: 100.
        max_allocated_storage_gb: Storage autoscaling ceiling. Default: 1000.
        backup_retention_days: Automated backups / PITR window, 1..35. Default: 7.
        backup_window: Daily UTC backup window. Default: ``"03:00-04:00"``.
        maintenance_window: Weekly UTC window, after the backup one. Default: ``"sun:04:30-sun:05:30"``.
        database_name: Initial database. Default: ``"app"``.
        master_username: Default: ``"app_admin"``; its generated password is kept in our secret and
            rotated; only the proxy (for the bootstrap) and the rotation function use it.
        app_username: The applications' login through the proxy; its password is generated, kept
            and rotated like the master's, and only the proxy reads it. Default: ``"app"``.
        password_rotation_days: Days between rotations of both secrets. Default: 30.
        performance_insights_retention_days: Default: 7 (the free tier).
        monitoring_interval_seconds: Enhanced monitoring granularity (1, 5, 10, 15, 30, 60). Default: 60.
        slow_query_ms: Statements slower than this are logged. Default: 500.
        proxy_max_connections_percent: Share of max_connections the proxy may open. Default: 90.
        proxy_max_idle_connections_percent: Share it may keep idle. Default: 50.
        proxy_idle_client_timeout_seconds: Idle client connections are closed after. Default: 1800.
        max_connections: Pins the ``max_connections`` parameter (applied at the next reboot). Default:
            None, RDS's memory-derived value. Pass the same value here and to every replica of this
            primary (e.g. :func:`max_connections` of the primary's class): a hot standby stops with
            "incompatible-parameters" when its limit is below the primary's, and RDS's default
            shrinks with the class. When raising it, reboot the replicas before the primary.
        log_retention_days: Retention of the exported PostgreSQL/upgrade logs, a CloudWatch value of
            at least 365. Default: 365.
        tags: Extra tags. Default: none.
    """

    identifier: str
    region: str
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    proxy_subnet_ids: pulumi.Input[list[str]]
    client_cidr_blocks: list[str]
    kms_key_arn: pulumi.Input[str]
    engine_version: str = "16"
    instance_class: str = "db.m7g.large"
    allocated_storage_gb: int = 100
    max_allocated_storage_gb: int = 1000
    backup_retention_days: int = 7
    backup_window: str = "03:00-04:00"
    maintenance_window: str = "sun:04:30-sun:05:30"
    database_name: str = "app"
    master_username: str = "app_admin"
    app_username: str = "app"
    password_rotation_days: int = 30
    performance_insights_retention_days: int = 7
    monitoring_interval_seconds: int = 60
    slow_query_ms: int = 500
    proxy_max_connections_percent: int = 90
    proxy_max_idle_connections_percent: int = 50
    proxy_idle_client_timeout_seconds: int = 1800
    max_connections: int | None = None
    log_retention_days: int = 365
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # 50 leaves room for the "-monitoring" suffix within IAM's 64-character role names.
        validate_identifier(self.identifier, 50)
        validate_client_cidrs(self.client_cidr_blocks)
        parameter_family(self.engine_version)
        validate_max_connections(self.max_connections)
        validate_log_retention(self.log_retention_days)
        if not 1 <= self.backup_retention_days <= 35:
            raise ValueError(f"backup_retention_days {self.backup_retention_days} must be 1..35")
        if self.monitoring_interval_seconds not in MONITORING_INTERVALS:
            raise ValueError(f"monitoring_interval_seconds must be one of {sorted(MONITORING_INTERVALS)}")
        if self.max_allocated_storage_gb <= self.allocated_storage_gb:
            raise ValueError("max_allocated_storage_gb must exceed allocated_storage_gb")
        if not 0 <= self.proxy_max_idle_connections_percent <= self.proxy_max_connections_percent <= 100:
            raise ValueError("proxy connection percents must satisfy 0 <= idle <= max <= 100")


class Postgres(pulumi.ComponentResource):
    """A Multi-AZ RDS for PostgreSQL primary, reached through an RDS Proxy that pools connections.

    Clients authenticate to the proxy with IAM over TLS; the proxy signs in to the database with
    our rotated login secrets (the master's for the bootstrap, the app's for the applications). The
    instance is protected, deletion-protected and leaves a final snapshot, so neither ``pulumi
    destroy`` nor a stray replace can lose data.
    """

    instance: aws.rds.Instance

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:database:Postgres", name, None, opts)
        family = parameter_family(args.engine_version)
        tags = args.tags
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=args.identifier,
            description=f"Isolated data subnets of {args.identifier}",
            subnet_ids=args.subnet_ids,
            tags=merge_tags(args.identifier, tags),
            opts=child_opts(self),
        )
        db_sg, proxy_sg = self._create_security_groups(name, args)
        parameter_group = aws.rds.ParameterGroup(
            f"{name}-params",
            name=f"{args.identifier}-{family}",
            family=family,
            description=f"TLS-only, logged settings of {args.identifier}",
            parameters=parameters(args.slow_query_ms, args.max_connections),
            tags=merge_tags(f"{args.identifier}-{family}", tags),
            opts=child_opts(self),
        )
        monitoring_role = aws.iam.Role(
            f"{name}-monitoring-role",
            name=f"{args.identifier}-monitoring",
            assume_role_policy=trust_policy("monitoring.rds.amazonaws.com"),
            tags=merge_tags(f"{args.identifier}-monitoring", tags),
            opts=child_opts(self),
        )
        monitoring_policy = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring-policy",
            role=monitoring_role.name,
            policy_arn=_MONITORING_POLICY,
            opts=child_opts(self),
        )
        log_groups = exported_log_groups(name, args.identifier, args.kms_key_arn, args.log_retention_days, tags, self)
        master_password = generated_password(f"{name}-master-password", self)
        self.instance = aws.rds.Instance(
            f"{name}-instance",
            identifier=args.identifier,
            engine="postgres",
            engine_version=args.engine_version,
            instance_class=args.instance_class,
            db_name=args.database_name,
            username=args.master_username,
            password_wo=master_password.result,
            password_wo_version=1,
            engine_lifecycle_support="open-source-rds-extended-support-disabled",
            iam_database_authentication_enabled=True,
            port=PORT,
            multi_az=True,
            storage_type="gp3",
            allocated_storage=args.allocated_storage_gb,
            max_allocated_storage=args.max_allocated_storage_gb,
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[db_sg.id],
            parameter_group_name=parameter_group.name,
            publicly_accessible=False,
            ca_cert_identifier=CA_CERT,
            backup_retention_period=args.backup_retention_days,
            backup_window=args.backup_window,
            maintenance_window=args.maintenance_window,
            copy_tags_to_snapshot=True,
            # Automated backups outlive the instance, so even a deliberate delete keeps PITR data.
            delete_automated_backups=False,
            deletion_protection=True,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{args.identifier}-final",
            performance_insights_enabled=True,
            performance_insights_kms_key_id=args.kms_key_arn,
            performance_insights_retention_period=args.performance_insights_retention_days,
            monitoring_interval=args.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role.arn,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            tags=merge_tags(args.identifier, tags),
            # RDS rejects a monitoring role that does not yet carry its policy, and creates its own
            # log groups unless ours already exist.
            opts=stateful_opts(self, depends_on=[monitoring_policy, *log_groups], custom_timeouts=DB_TIMEOUTS),
        )
        self._create_credentials(name, args, db_sg, master_password)
        proxy = self._create_proxy(name, args, proxy_sg)
        self.identifier = self.instance.identifier
        self.arn = self.instance.arn
        self.endpoint = self.instance.endpoint
        self.address = self.instance.address
        self.port = self.instance.port
        self.proxy_endpoint = proxy.endpoint
        # IAM policies name a proxy by its resource id (``prx-...``), the last part of its ARN.
        self.proxy_id = proxy.arn.apply(lambda arn: arn.rsplit(":", 1)[-1])
        self.security_group_id = db_sg.id
        self.proxy_security_group_id = proxy_sg.id
        self.parameter_group_name = parameter_group.name
        self.monitoring_role_arn = monitoring_role.arn
        self.subnet_group_name = subnet_group.name
        self.resource_id = self.instance.resource_id
        self.register_outputs({key: getattr(self, key) for key in _OUTPUTS})

    def _create_security_groups(
        self, name: str, args: PostgresArgs
    ) -> tuple[aws.ec2.SecurityGroup, aws.ec2.SecurityGroup]:
        # Neither group gets inline rules, so the provider strips AWS's default allow-all egress: the
        # database needs none (backups, monitoring and replication run on the service's network).
        # Clients reach the instance only through the proxy, which enforces TLS and IAM sign-in.
        # A group's description is immutable in AWS: changing one replaces the group.
        db_sg = aws.ec2.SecurityGroup(
            f"{name}-instance-sg",
            name=args.identifier,
            description="PostgreSQL: 5432 from the RDS Proxy only",
            vpc_id=args.vpc_id,
            tags=merge_tags(args.identifier, args.tags),
            opts=child_opts(self),
        )
        proxy_sg = aws.ec2.SecurityGroup(
            f"{name}-proxy-sg",
            name=f"{args.identifier}-proxy",
            description="RDS Proxy: 5432 from the client subnets; out to the database and HTTPS",
            vpc_id=args.vpc_id,
            tags=merge_tags(f"{args.identifier}-proxy", args.tags),
            opts=child_opts(self),
        )
        port = {"ip_protocol": "tcp", "from_port": PORT, "to_port": PORT}
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-instance-from-proxy",
            security_group_id=db_sg.id,
            referenced_security_group_id=proxy_sg.id,
            description="PostgreSQL from the RDS Proxy",
            tags=merge_tags(f"{args.identifier}-from-proxy", args.tags),
            opts=child_opts(self),
            **port,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-proxy-to-instance",
            security_group_id=proxy_sg.id,
            referenced_security_group_id=db_sg.id,
            description="RDS Proxy to the PostgreSQL instance",
            tags=merge_tags(f"{args.identifier}-proxy-to-db", args.tags),
            opts=child_opts(self),
            **port,
        )
        # The proxy fetches the master secret from Secrets Manager's public regional endpoint, reached
        # through the NAT gateways (no interface endpoint exists in the VPC yet); without this the
        # target stays unavailable. Port 443 only, so checkov's open-egress rule is a knowing deviation.
        https_egress(
            f"{name}-proxy-to-https",
            proxy_sg.id,
            f"{args.identifier}-proxy-to-https",
            "RDS Proxy to Secrets Manager over HTTPS",
            args.tags,
            self,
        )
        client_ingress(
            f"{name}-proxy", f"{args.identifier}-proxy", proxy_sg.id, args.client_cidr_blocks, args.tags, self
        )
        return db_sg, proxy_sg

    def _create_credentials(
        self, name: str, args: PostgresArgs, db_sg: aws.ec2.SecurityGroup, master_password: pulumi.Resource
    ) -> None:
        """The rotation function, the master and app secrets, and the app password's SCRAM verifier."""
        rotation = PostgresRotationFunction(
            f"{name}-rotation",
            PostgresRotationFunctionArgs(
                function_name=f"{args.identifier}-rotation",
                region=args.region,
                vpc_id=args.vpc_id,
                subnet_ids=args.proxy_subnet_ids,
                db_security_group_id=db_sg.id,
                kms_key_arn=args.kms_key_arn,
                tags=args.tags,
            ),
            opts=child_opts(self),
        )
        app_password = generated_password(f"{name}-app-password", self)
        salt = random.RandomBytes(f"{name}-app-password-salt", length=16, opts=child_opts(self))
        credentials = PostgresCredentials(
            f"{name}-credentials",
            PostgresCredentialsArgs(
                identifier=args.identifier,
                host=self.instance.address,
                kms_key_arn=args.kms_key_arn,
                rotation_lambda_arn=rotation.function_arn,
                logins={args.master_username: master_password.result, args.app_username: app_password.result},
                database_name=args.database_name,
                port=PORT,
                rotation_days=args.password_rotation_days,
                tags=args.tags,
            ),
            opts=child_opts(self),
        )
        self.master_secret_arn = credentials.secret_arns[args.master_username]
        self.app_secret_arn = credentials.secret_arns[args.app_username]
        self._login_secret_arns = [self.master_secret_arn, self.app_secret_arn]
        self.app_password_verifier = pulumi.Output.secret(
            pulumi.Output.all(app_password.result, salt.base64).apply(lambda v: scram_verifier(v[0], v[1]))
        )

    def _create_proxy(self, name: str, args: PostgresArgs, proxy_sg: aws.ec2.SecurityGroup) -> aws.rds.Proxy:
        role = aws.iam.Role(
            f"{name}-proxy-role",
            name=f"{args.identifier}-proxy",
            assume_role_policy=trust_policy("rds.amazonaws.com"),
            tags=merge_tags(f"{args.identifier}-proxy", args.tags),
            opts=child_opts(self),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-proxy-policy",
            name="read-login-secrets",
            role=role.name,
            policy=pulumi.Output.all(pulumi.Output.all(*self._login_secret_arns), args.kms_key_arn).apply(
                lambda arns: proxy_policy(list(arns[0]), arns[1], args.region)
            ),
            opts=child_opts(self),
        )
        proxy = aws.rds.Proxy(
            f"{name}-proxy",
            name=args.identifier,
            engine_family="POSTGRESQL",
            role_arn=role.arn,
            vpc_subnet_ids=args.proxy_subnet_ids,
            vpc_security_group_ids=[proxy_sg.id],
            require_tls=True,
            debug_logging=False,
            idle_client_timeout=args.proxy_idle_client_timeout_seconds,
            auths=[
                aws.rds.ProxyAuthArgs(
                    auth_scheme="SECRETS",
                    secret_arn=secret_arn,
                    iam_auth="REQUIRED",
                    client_password_auth_type="POSTGRES_SCRAM_SHA_256",
                    description=f"{user}: clients sign in with IAM; the proxy uses our rotated secret",
                )
                for user, secret_arn in (
                    (args.master_username, self.master_secret_arn),
                    (args.app_username, self.app_secret_arn),
                )
            ],
            tags=merge_tags(f"{args.identifier}-proxy", args.tags),
            # Without its policy the proxy cannot read the secret and never becomes available.
            opts=child_opts(self, depends_on=[policy]),
        )
        pool = aws.rds.ProxyDefaultTargetGroup(
            f"{name}-proxy-pool",
            db_proxy_name=proxy.name,
            connection_pool_config=aws.rds.ProxyDefaultTargetGroupConnectionPoolConfigArgs(
                max_connections_percent=args.proxy_max_connections_percent,
                max_idle_connections_percent=args.proxy_max_idle_connections_percent,
            ),
            opts=child_opts(self),
        )
        aws.rds.ProxyTarget(
            f"{name}-proxy-target",
            db_proxy_name=proxy.name,
            target_group_name=pool.name,
            db_instance_identifier=self.instance.identifier,
            opts=child_opts(self),
        )
        return proxy

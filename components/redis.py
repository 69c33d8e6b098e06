"""ElastiCache (Valkey or Redis OSS) replication group: encrypted, authenticated, Multi-AZ, logged.

AWS constraints this component relies on:

- Replication group id: 1-40 letters, digits or hyphens, starting with a letter, no ``--``, not
  ending in ``-`` (stored lowercase).
  https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html
- AUTH token: 16-128 printable characters, the only non-alphanumerics ``!&#$^<>-``, and only with
  in-transit encryption. Changing it on a running group uses ``AuthTokenUpdateStrategy`` (the
  provider sends none, so AWS defaults to ``ROTATE``: old and new tokens both valid until a ``SET``);
  AWS's rotation procedure runs it with ``--apply-immediately``.
  https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth.html
- ``TransitEncryptionMode=required`` may be set at creation; only enabling TLS on an existing group
  must go through ``preferred`` first.
  https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/in-transit-encryption.html
- Multi-AZ needs automatic failover and at least one replica per shard (0-5 replicas allowed);
  cluster mode needs a parameter group with ``cluster-enabled yes``; a cluster-mode-enabled group
  holds up to 500 shards but at most 500 nodes in total (e.g. 83 shards with 5 replicas).
  https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html
  https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Shards.html
- At-rest encryption with a customer key: a symmetric key in the group's Region whose key policy
  lets IAM grant use; the log groups' key must grant ``logs.<region>.amazonaws.com``.
  https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/at-rest-encryption.html
- Snapshots: retention 0-35 days (0 disables them); the daily window and the weekly maintenance
  window are each at least 60 minutes (ours do not overlap: 03:00-04:00 vs sun 05:00-06:00).
  https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-automatic.html
- Log delivery: slow-log and engine-log (Redis OSS 6.2+/Valkey) to CloudWatch Logs in JSON or text.
  https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Log_Delivery.html
- Updates with ``apply_immediately=False``: node type, engine version and parameter-group changes
  wait for the maintenance window; resharding (``num_node_groups``) and replica-count changes run
  online at once. A new parameter-group family (engine major) or ``cluster_mode`` change is a
  migration; at-rest encryption and its key are fixed at creation (changing them replaces the group).
  https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.Modify.html
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.base import LOG_RETENTION_DAYS, child_opts, merge_tags, stateful_opts

PORT = 6379
#: The only special characters ElastiCache accepts in an AUTH token.
AUTH_TOKEN_SPECIALS = "!&#$^<>-"
DEFAULT_ENGINE_VERSIONS = {"valkey": "8.0", "redis": "7.1"}
_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
#: Memory (GiB) of the Graviton node types we size, as ElastiCache publishes it ("Supported node
#: types", https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html);
#: the 6g generation has the 7g's memory.
NODE_MEMORY_GIB: dict[str, float] = {
    "cache.t4g.micro": 0.5,
    "cache.t4g.small": 1.37,
    "cache.t4g.medium": 3.09,
    **{
        f"cache.{family}.{size}": memory
        for generation in ("6g", "7g")
        for family, sizes in (
            (f"m{generation}", (6.38, 12.93, 26.04, 52.26, 103.68, 157.12, 209.55)),
            (f"r{generation}", (13.07, 26.32, 52.82, 105.81, 209.55, 317.77, 419.09)),
        )
        for size, memory in zip(_SIZES, sizes, strict=True)
    },
}
LOG_TYPES = ("slow-log", "engine-log")
#: Online resharding and node-type changes of a large cluster copy every slot and can run for hours,
#: far beyond the provider's defaults; a timed-out apply leaves the state behind a group that is
#: still modifying, and the next ``up`` fails against it.
GROUP_TIMEOUTS = pulumi.CustomTimeouts(create="4h", update="4h", delete="2h")


def check_replication_group_id(replication_group_id: str) -> str:
    """Return ``replication_group_id`` unchanged if ElastiCache accepts it, else raise ValueError."""
    if not (
        re.fullmatch(r"[a-z][a-z0-9-]{0,39}", replication_group_id)
        and "--" not in replication_group_id
        and not replication_group_id.endswith("-")
    ):
        raise ValueError(
            f"replication_group_id {replication_group_id!r} is invalid: 1-40 characters, lowercase "
            "letters, digits and hyphens, starting with a letter, no '--', not ending with '-'"
        )
    return replication_group_id


def check_client_cidrs(cidrs: Sequence[str]) -> list[str]:
    """Return ``cidrs`` if each is a valid network narrower than the whole internet, else raise."""
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr)
        except ValueError as error:
            raise ValueError(f"client_cidr_blocks: {cidr!r} is not a CIDR block ({error})") from error
        if network.prefixlen == 0:
            raise ValueError(f"client_cidr_blocks: {cidr!r} opens the cache to everyone; list client subnets")
    return list(cidrs)


def parameter_family(engine: str, version: str) -> str:
    """Parameter group family for an engine version (``valkey8``, ``redis7``).

    Only major version 7 and later are accepted: ``transit_encryption_mode`` and the current
    families start there.
    """
    major_text = version.split(".", 1)[0]
    if engine not in DEFAULT_ENGINE_VERSIONS or not major_text.isdigit() or int(major_text) < 7:
        raise ValueError(f"unsupported engine/version {engine!r} {version!r}: valkey or redis, 7 or later")
    return f"{engine}{int(major_text)}"


def member_cluster_ids(
    replication_group_id: str, cluster_mode: bool, shards: int, replicas_per_shard: int
) -> list[str]:
    """Node ids ElastiCache gives the group's members, so alarms can target each node by name."""
    nodes = range(1, replicas_per_shard + 2)
    if not cluster_mode:
        return [f"{replication_group_id}-{node:03d}" for node in nodes]
    return [f"{replication_group_id}-{shard:04d}-{node:03d}" for shard in range(1, shards + 1) for node in nodes]


def auth_secret_document(host: str, port: int, token: str) -> str:
    """JSON the applications read from the auth secret to connect."""
    return json.dumps({"host": host, "port": port, "token": token})


@dataclass
class RedisArgs:
    """Inputs of :class:`Redis`.

    Attributes:
        replication_group_id: Physical id (see :func:`check_replication_group_id`); also names
            the subnet/parameter groups, secret, log groups and final snapshot.
        vpc_id: VPC of the security group.
        subnet_ids: Isolated subnets, one per AZ the nodes may use.
        client_cidr_blocks: Networks allowed to connect on 6379; never 0.0.0.0/0.
        kms_key_arn: Customer-managed key for data at rest, the auth secret and the log groups
            (its policy must grant ``logs.<region>.amazonaws.com``).
        engine: ``valkey`` or ``redis``. Default: ``valkey``.
        engine_version: Default: None, meaning ``8.0`` for valkey and ``7.1`` for redis.
        node_type: Default: ``cache.t4g.small``.
        cluster_mode: Shard the keyspace. Default: True.
        shards: Node groups; must be 1 without cluster mode. Default: 1.
        replicas_per_shard: 1-5; at least one for failover and Multi-AZ. Default: 1.
        snapshot_retention_days: Daily snapshots kept, 1-35. Default: 7.
        snapshot_window: Daily UTC snapshot window. Default: ``03:00-04:00``.
        maintenance_window: Weekly UTC window. Default: ``sun:05:00-sun:06:00``.
        log_retention_days: CloudWatch retention of slow/engine logs. Default: 365.
        tags: Extra tags. Default: none.
    """

    replication_group_id: str
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    client_cidr_blocks: list[str]
    kms_key_arn: pulumi.Input[str]
    engine: Literal["valkey", "redis"] = "valkey"
    engine_version: str | None = None
    node_type: str = "cache.t4g.small"
    # Cluster mode from phase 1 even with one shard: enabling it on a running group is a risky
    # migration (clients and keys must change), while resharding an enabled cluster is online.
    cluster_mode: bool = True
    shards: int = 1
    replicas_per_shard: int = 1
    snapshot_retention_days: int = 7
    snapshot_window: str = "03:00-04:00"
    maintenance_window: str = "sun:05:00-sun:06:00"
    log_retention_days: int = 365
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_replication_group_id(self.replication_group_id)
        check_client_cidrs(self.client_cidr_blocks)
        if self.engine_version is None:
            self.engine_version = DEFAULT_ENGINE_VERSIONS.get(self.engine, "")
        parameter_family(self.engine, self.engine_version)
        if not 1 <= self.replicas_per_shard <= 5:
            raise ValueError(
                f"replicas_per_shard={self.replicas_per_shard}: 1-5 (automatic failover and Multi-AZ need a replica)"
            )
        if not 1 <= self.shards <= (500 if self.cluster_mode else 1):
            raise ValueError(f"shards={self.shards}: 1 without cluster mode, 1-500 with it")
        if not 1 <= self.snapshot_retention_days <= 35:
            raise ValueError(f"snapshot_retention_days={self.snapshot_retention_days}: 1-35")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(f"log_retention_days={self.log_retention_days}: one of {sorted(LOG_RETENTION_DAYS)}")


class Redis(pulumi.ComponentResource):
    """A private, TLS-only, AUTH-protected replication group with failover, snapshots and logs.

    The AUTH token is generated here and published with the endpoint in a Secrets Manager secret
    (JSON ``{host, port, token}``) that applications read. Endpoints that do not apply to the
    chosen mode are empty strings; ``endpoint`` is always the one clients connect to.
    """

    def __init__(self, name: str, args: RedisArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:cache:Redis", name, None, opts)
        group_id = args.replication_group_id
        self.security_group = self._create_security_group(name, args)
        self.log_groups = [self._create_log_group(name, args, log_type) for log_type in LOG_TYPES]
        self.auth_token = random.RandomPassword(
            f"{name}-auth-token",
            length=64,
            special=True,
            override_special=AUTH_TOKEN_SPECIALS,
            opts=child_opts(self),
        )
        self.replication_group = self._create_replication_group(name, args)
        group = self.replication_group
        empty = pulumi.Output.from_input("")
        self.configuration_endpoint = group.configuration_endpoint_address if args.cluster_mode else empty
        self.primary_endpoint = empty if args.cluster_mode else group.primary_endpoint_address
        self.reader_endpoint = empty if args.cluster_mode else group.reader_endpoint_address
        self.endpoint = self.configuration_endpoint if args.cluster_mode else self.primary_endpoint
        self.auth_secret = self._create_auth_secret(name, args)
        self.replication_group_id = group.replication_group_id
        self.arn = group.arn
        self.port = PORT
        self.auth_secret_arn = self.auth_secret.arn
        self.security_group_id = self.security_group.id
        self.member_cluster_ids = member_cluster_ids(group_id, args.cluster_mode, args.shards, args.replicas_per_shard)
        self.register_outputs(
            {
                "replication_group_id": self.replication_group_id,
                "arn": self.arn,
                "configuration_endpoint": self.configuration_endpoint,
                "primary_endpoint": self.primary_endpoint,
                "reader_endpoint": self.reader_endpoint,
                "endpoint": self.endpoint,
                "port": self.port,
                "auth_secret_arn": self.auth_secret_arn,
                "security_group_id": self.security_group_id,
                "member_cluster_ids": self.member_cluster_ids,
            }
        )

    def _create_auth_secret(self, name: str, args: RedisArgs) -> aws.secretsmanager.Secret:
        group_id = args.replication_group_id
        secret = aws.secretsmanager.Secret(
            f"{name}-auth",
            name=f"{group_id}/auth",
            description=f"Endpoint and AUTH token of ElastiCache group {group_id}",
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=30,
            tags=merge_tags(f"{group_id}/auth", args.tags),
            opts=stateful_opts(self),
        )
        # No Secrets Manager rotation (checkov CKV2_AWS_57): it would need a Lambda that also calls
        # ModifyReplicationGroup. Rotate by replacing the RandomPassword; the group then ROTATEs
        # (AWS default strategy: old token stays valid until apps have reread the secret).
        aws.secretsmanager.SecretVersion(
            f"{name}-auth-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.all(self.endpoint, self.auth_token.result).apply(
                lambda values: auth_secret_document(values[0], PORT, values[1])
            ),
            opts=child_opts(self),
        )
        return secret

    def _create_security_group(self, name: str, args: RedisArgs) -> aws.ec2.SecurityGroup:
        # No egress rule: the provider removes AWS's default allow-all, and cache nodes never
        # initiate connections.
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name=f"{args.replication_group_id}-cache",
            description=f"ElastiCache {args.replication_group_id}: clients on {PORT}",
            vpc_id=args.vpc_id,
            tags=merge_tags(f"{args.replication_group_id}-cache", args.tags),
            opts=child_opts(self),
        )
        for index, cidr in enumerate(args.client_cidr_blocks):
            version = ipaddress.ip_network(cidr).version
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-ingress-{index}",
                security_group_id=group.id,
                description=f"Cache clients in {cidr}",
                ip_protocol="tcp",
                from_port=PORT,
                to_port=PORT,
                cidr_ipv4=cidr if version == 4 else None,
                cidr_ipv6=cidr if version == 6 else None,
                tags=merge_tags(f"{args.replication_group_id}-cache-{index}", args.tags),
                opts=child_opts(self),
            )
        return group

    def _create_log_group(self, name: str, args: RedisArgs, log_type: str) -> aws.cloudwatch.LogGroup:
        log_name = f"/aws/elasticache/{args.replication_group_id}/{log_type}"
        return aws.cloudwatch.LogGroup(
            f"{name}-{log_type}",
            name=log_name,
            kms_key_id=args.kms_key_arn,
            retention_in_days=args.log_retention_days,
            tags=merge_tags(log_name, args.tags),
            deletion_protection_enabled=True,
            opts=stateful_opts(self),
        )

    def _create_replication_group(self, name: str, args: RedisArgs) -> aws.elasticache.ReplicationGroup:
        group_id = args.replication_group_id
        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            name=group_id,
            description=f"Isolated subnets of ElastiCache {group_id}",
            subnet_ids=args.subnet_ids,
            tags=merge_tags(group_id, args.tags),
            opts=child_opts(self),
        )
        family = parameter_family(args.engine, args.engine_version)
        # The family is in the name so an engine major upgrade creates the new group before
        # deleting the old one instead of colliding on the name.
        parameters = aws.elasticache.ParameterGroup(
            f"{name}-params",
            name=f"{group_id}-{family}",
            family=family,
            description=f"ElastiCache {group_id} ({family})",
            parameters=[{"name": "cluster-enabled", "value": "yes" if args.cluster_mode else "no"}],
            tags=merge_tags(f"{group_id}-{family}", args.tags),
            opts=child_opts(self),
        )
        if args.cluster_mode:
            topology = {"num_node_groups": args.shards, "replicas_per_node_group": args.replicas_per_shard}
        else:
            topology = {"num_cache_clusters": args.replicas_per_shard + 1}
        return aws.elasticache.ReplicationGroup(
            f"{name}-group",
            replication_group_id=group_id,
            description=f"ElastiCache {args.engine} {group_id}",
            engine=args.engine,
            engine_version=args.engine_version,
            node_type=args.node_type,
            port=PORT,
            cluster_mode="enabled" if args.cluster_mode else "disabled",
            parameter_group_name=parameters.name,
            subnet_group_name=subnet_group.name,
            security_group_ids=[self.security_group.id],
            at_rest_encryption_enabled=True,
            kms_key_id=args.kms_key_arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auth_token=self.auth_token.result,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            snapshot_retention_limit=args.snapshot_retention_days,
            snapshot_window=args.snapshot_window,
            maintenance_window=args.maintenance_window,
            final_snapshot_identifier=f"{group_id}-final",
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            log_delivery_configurations=[
                {
                    "destination": log_group.name,
                    "destination_type": "cloudwatch-logs",
                    "log_format": "json",
                    "log_type": log_type,
                }
                for log_type, log_group in zip(LOG_TYPES, self.log_groups, strict=True)
            ],
            tags=merge_tags(group_id, args.tags),
            opts=stateful_opts(self, custom_timeouts=GROUP_TIMEOUTS),
            **topology,
        )

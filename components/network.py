"""A three-tier VPC: public, private (NAT egress) and isolated subnets per AZ, with flow logs."""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.base import LOG_RETENTION_DAYS, child_opts, merge_tags, stateful_opts

_RFC1918 = tuple(ipaddress.ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_OUTPUTS = (
    "vpc_id",
    "cidr_block",
    "availability_zones",
    "public_subnet_ids",
    "private_subnet_ids",
    "isolated_subnet_ids",
    "nat_gateway_ids",
    "private_route_table_ids",
    "isolated_route_table_ids",
    "flow_log_group_name",
    "s3_endpoint_id",
)
_AZ_NAME = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)[a-z]$")


@dataclass(frozen=True)
class SubnetLayout:
    """Subnet CIDRs of a VPC, one entry per AZ in AZ order."""

    public: tuple[str, ...]
    private: tuple[str, ...]
    isolated: tuple[str, ...]


def subnet_layout(cidr_block: str, az_count: int) -> SubnetLayout:
    """Carve ``cidr_block`` (an RFC 1918 /16../20) into subnets for ``az_count`` (2..3) AZs.

    Private subnets get the first quarters of the VPC each, because EKS pods take VPC IPs. The last
    quarter is cut into eighths: public subnets take the first ``az_count``, isolated the next
    ``az_count``. Raises ValueError for anything else.
    """
    network = ipaddress.ip_network(cidr_block, strict=True)
    if not isinstance(network, ipaddress.IPv4Network) or not any(network.subnet_of(r) for r in _RFC1918):
        raise ValueError(f"VPC CIDR {cidr_block} is not inside an RFC 1918 private IPv4 range")
    if not 16 <= network.prefixlen <= 20:
        raise ValueError(f"VPC CIDR {cidr_block} must have a prefix length from /16 to /20")
    if not 2 <= az_count <= 3:
        raise ValueError(f"az_count {az_count} must be 2 or 3")
    quarters = list(network.subnets(new_prefix=network.prefixlen + 2))
    eighths = [str(s) for s in quarters[-1].subnets(new_prefix=network.prefixlen + 5)]
    return SubnetLayout(
        public=tuple(eighths[:az_count]),
        private=tuple(str(q) for q in quarters[:az_count]),
        isolated=tuple(eighths[az_count : 2 * az_count]),
    )


def region_of_az(availability_zone: str) -> str:
    """Region of an AZ name (``us-east-1a`` -> ``us-east-1``); ValueError for anything else."""
    match = _AZ_NAME.match(availability_zone)
    if not match:
        raise ValueError(f"{availability_zone!r} is not an availability zone name like 'us-east-1a'")
    return match.group(1)


def flow_logs_trust_policy(log_group_arn: str) -> str:
    """Trust policy letting only VPC Flow Logs of the log group's own account assume the role.

    The account, region and partition come from the log group ARN, so the confused-deputy
    conditions need no account id argument.
    """
    _, partition, _, region, account = log_group_arn.split(":")[:5]
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:ec2:{region}:{account}:vpc-flow-log/*"},
        },
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def flow_logs_role_policy(log_group_arn: str) -> str:
    """Role policy: write streams of the one flow-log group, nothing else (it already exists)."""
    statement = {
        "Effect": "Allow",
        "Action": [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:DescribeLogGroups",
            "logs:DescribeLogStreams",
        ],
        "Resource": [log_group_arn, f"{log_group_arn}:*"],
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@dataclass
class NetworkArgs:
    """Inputs of :class:`Network`.

    Attributes:
        name: Physical base name (``acme-prod-use1``) for Name tags, the flow-log group
            ``/platform/{name}/vpc-flow-logs`` and its IAM role ``{name}-vpc-flow-logs``.
        cidr_block: RFC 1918 VPC CIDR, /16 to /20 (see :func:`subnet_layout`).
        availability_zones: The 2-3 AZ names to use, all in the provider's region. Explicit rather
            than looked up, because a subnet's AZ forces its replacement.
        nat_strategy: ``single`` (one NAT gateway, cheap), ``per_az`` (one per AZ, no cross-AZ
            egress dependency) or ``none`` (no internet egress from private subnets: for a cell
            that runs no workloads, such as a standby region holding only database replicas;
            S3 stays reachable through the gateway endpoint). Default: ``single``.
        flow_logs_kms_key_arn: Customer-managed KMS key encrypting the flow-log group. Its policy
            must grant ``logs.<region>.amazonaws.com`` use of the key.
        flow_logs_retention_days: Flow-log retention, a CloudWatch-accepted value. Default: 365.
        tags: Extra tags. Default: none.
    """

    name: str
    cidr_block: str
    availability_zones: list[str]
    flow_logs_kms_key_arn: pulumi.Input[str]
    nat_strategy: Literal["none", "single", "per_az"] = "single"
    flow_logs_retention_days: int = 365
    tags: dict[str, str] = field(default_factory=dict)


def _validate(args: NetworkArgs) -> str:
    """Reject bad args before anything is registered; returns the AZs' region."""
    regions = {region_of_az(az) for az in args.availability_zones}
    if len(regions) != 1 or len(set(args.availability_zones)) != len(args.availability_zones):
        raise ValueError(f"availability_zones {args.availability_zones} must be distinct AZs of one region")
    if args.nat_strategy not in ("none", "single", "per_az"):
        raise ValueError(f"nat_strategy {args.nat_strategy!r} must be 'none', 'single' or 'per_az'")
    if args.flow_logs_retention_days not in LOG_RETENTION_DAYS:
        allowed = sorted(LOG_RETENTION_DAYS)
        raise ValueError(f"flow_logs_retention_days {args.flow_logs_retention_days} must be one of {allowed}")
    return regions.pop()


class Network(pulumi.ComponentResource):
    """VPC with public/private/isolated subnets per AZ, NAT egress, locked default SG and flow logs.

    Nothing gets a public IP by default, the default security group allows nothing, and all traffic
    is logged to a KMS-encrypted log group. S3 traffic from private and isolated subnets stays on
    the AWS network through a gateway endpoint (also saving NAT data charges).
    """

    layout: SubnetLayout
    vpc: aws.ec2.Vpc

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        region = _validate(args)
        self.layout = subnet_layout(args.cidr_block, len(args.availability_zones))
        super().__init__("platform:network:Vpc", name, None, opts)
        self._name, self._args = name, args
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr_block,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=merge_tags(args.name, args.tags),
            opts=child_opts(self),
        )
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags=merge_tags(f"{args.name}-default-do-not-use", args.tags),
            opts=child_opts(self),
        )
        public = self._subnets("public", self.layout.public, {"kubernetes.io/role/elb": "1"})
        private = self._subnets("private", self.layout.private, {"kubernetes.io/role/internal-elb": "1"})
        isolated = self._subnets("isolated", self.layout.isolated, {})
        nats = self._create_public_routing(public)
        private_tables = self._route_tables("private", private)
        for index, table in enumerate(private_tables if nats else []):
            aws.ec2.Route(
                f"{name}-private-egress-{index}",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nats[index if args.nat_strategy == "per_az" else 0].id,
                opts=child_opts(self),
            )
        isolated_tables = self._route_tables("isolated", isolated)
        s3_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for t in private_tables + isolated_tables],
            tags=merge_tags(f"{args.name}-s3", args.tags),
            opts=child_opts(self),
        )
        log_group = self._create_flow_logs()

        self.vpc_id = self.vpc.id
        self.cidr_block = self.vpc.cidr_block
        self.availability_zones = list(args.availability_zones)
        self.public_subnet_ids = [s.id for s in public]
        self.private_subnet_ids = [s.id for s in private]
        self.isolated_subnet_ids = [s.id for s in isolated]
        self.nat_gateway_ids = [n.id for n in nats]
        self.private_route_table_ids = [t.id for t in private_tables]
        self.isolated_route_table_ids = [t.id for t in isolated_tables]
        self.flow_log_group_name = log_group.name
        self.s3_endpoint_id = s3_endpoint.id
        self.register_outputs({key: getattr(self, key) for key in _OUTPUTS})

    def _subnets(self, tier: str, cidrs: tuple[str, ...], extra_tags: dict[str, str]) -> list[aws.ec2.Subnet]:
        """One subnet of ``tier`` per AZ. Public ones too never map public IPs: only load
        balancers, which get their own, face the internet."""
        return [
            aws.ec2.Subnet(
                f"{self._name}-{tier}-{index}",
                vpc_id=self.vpc.id,
                availability_zone=az,
                cidr_block=cidr,
                map_public_ip_on_launch=False,
                tags=merge_tags(f"{self._args.name}-{tier}-{az}", self._args.tags, extra_tags),
                opts=child_opts(self),
            )
            for index, (az, cidr) in enumerate(zip(self._args.availability_zones, cidrs, strict=True))
        ]

    def _route_tables(self, tier: str, subnets: list[aws.ec2.Subnet]) -> list[aws.ec2.RouteTable]:
        """One route table per subnet of ``tier``, so NAT targets can change per AZ in place."""
        tables = []
        for index, (az, subnet) in enumerate(zip(self._args.availability_zones, subnets, strict=True)):
            table = aws.ec2.RouteTable(
                f"{self._name}-{tier}-rt-{index}",
                vpc_id=self.vpc.id,
                tags=merge_tags(f"{self._args.name}-{tier}-{az}", self._args.tags),
                opts=child_opts(self),
            )
            aws.ec2.RouteTableAssociation(
                f"{self._name}-{tier}-rta-{index}",
                route_table_id=table.id,
                subnet_id=subnet.id,
                opts=child_opts(self),
            )
            tables.append(table)
        return tables

    def _create_public_routing(self, public: list[aws.ec2.Subnet]) -> list[aws.ec2.NatGateway]:
        """Internet gateway, the shared public route table and the NAT gateways (with EIPs)."""
        name, args = self._name, self._args
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags=merge_tags(args.name, args.tags), opts=child_opts(self)
        )
        table = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            tags=merge_tags(f"{args.name}-public", args.tags),
            opts=child_opts(self),
        )
        aws.ec2.Route(
            f"{name}-public-internet",
            route_table_id=table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child_opts(self),
        )
        nats = []
        for index, subnet in enumerate(public):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-rta-{index}",
                route_table_id=table.id,
                subnet_id=subnet.id,
                opts=child_opts(self),
            )
            if args.nat_strategy == "none" or (index > 0 and args.nat_strategy == "single"):
                continue
            az = args.availability_zones[index]
            # AWS needs the internet gateway attached before an EIP/NAT can be reached.
            eip = aws.ec2.Eip(
                f"{name}-nat-eip-{index}",
                domain="vpc",
                tags=merge_tags(f"{args.name}-nat-{az}", args.tags),
                opts=child_opts(self, depends_on=[igw]),
            )
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{index}",
                    allocation_id=eip.allocation_id,
                    subnet_id=subnet.id,
                    tags=merge_tags(f"{args.name}-nat-{az}", args.tags),
                    opts=child_opts(self, depends_on=[igw]),
                )
            )
        return nats

    def _create_flow_logs(self) -> aws.cloudwatch.LogGroup:
        """Flow logs of ALL traffic into a KMS-encrypted, retained and protected log group."""
        name, args = self._name, self._args
        physical = f"{args.name}-vpc-flow-logs"
        # Flow logs are audit evidence: guarded like other data, and by AWS deletion protection.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/platform/{args.name}/vpc-flow-logs",
            kms_key_id=args.flow_logs_kms_key_arn,
            retention_in_days=args.flow_logs_retention_days,
            deletion_protection_enabled=True,
            tags=merge_tags(physical, args.tags),
            opts=stateful_opts(self),
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            name=physical,
            assume_role_policy=log_group.arn.apply(flow_logs_trust_policy),
            tags=merge_tags(physical, args.tags),
            opts=child_opts(self),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=log_group.arn.apply(flow_logs_role_policy),
            opts=child_opts(self),
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            tags=merge_tags(physical, args.tags),
            # Flow log creation checks the role can write, so its policy must exist first.
            opts=child_opts(self, depends_on=[policy]),
        )
        return log_group

"""A three-tier VPC: public, private (NAT egress) and isolated subnets per AZ, with flow logs to S3.

Constraints this component relies on:

- Zones are chosen by zone ID: a zone *name* (``us-east-1a``) maps to a different physical zone
  in each account, a zone ID (``use1-az1``) is the same everywhere
  (https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html).
- ``aws_subnet.availability_zone`` and ``availability_zone_id`` are both Optional, Computed and
  ForceNew, and conflict with each other (terraform-provider-aws
  ``internal/service/ec2/vpc_subnet.go``, which pulumi-aws v7 bridges): changing a subnet's zone
  replaces it. Because both are Computed, a subnet created by name and later given the ID of the
  zone it is in plans no change (the name input is dropped, the ID matches the computed one); an
  ID of another zone replaces it.
- Names are resolved from IDs (and back) with the ``aws.get_availability_zones`` invoke in the
  provider's region, which returns ``names`` and ``zoneIds`` in the same order
  (https://www.pulumi.com/registry/packages/aws/api-docs/getavailabilityzones/).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.base import child_opts, merge_tags
from components.flow_log_bucket import FlowLogBucket, FlowLogBucketArgs

_RFC1918 = tuple(ipaddress.ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_OUTPUTS = (
    "vpc_id",
    "cidr_block",
    "availability_zones",
    "availability_zone_ids",
    "public_subnet_ids",
    "private_subnet_ids",
    "isolated_subnet_ids",
    "nat_gateway_ids",
    "private_route_table_ids",
    "isolated_route_table_ids",
    "flow_log_bucket_name",
    "flow_log_id",
    "s3_endpoint_id",
)
_AZ_NAME = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)[a-z]$")
_AZ_ID = re.compile(r"^([a-z]+\d+)-az\d+$")
_REGION = re.compile(r"^([a-z]{2})(-gov)?-([a-z]+)-(\d+)$")
# How zone IDs abbreviate a region's direction: us-east-1 -> use1, ap-southeast-2 -> apse2.
_DIRECTIONS = {
    "east": "e", "west": "w", "north": "n", "south": "s", "central": "c",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
}  # fmt: skip


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


def zone_id_prefix(region: str) -> str:
    """The prefix of ``region``'s zone IDs (``us-east-1`` -> ``use1``, as in ``use1-az1``)."""
    match = _REGION.match(region)
    if not match:
        raise ValueError(f"{region!r} is not an AWS region name like 'us-east-1'")
    country, gov, direction, number = match.groups()
    return f"{country}{'g' if gov else ''}{_DIRECTIONS.get(direction, direction)}{number}"


@dataclass
class NetworkArgs:
    """Inputs of :class:`Network`.

    Attributes:
        name: Physical base name (``acme-prod-use1``) for Name tags and the flow-log bucket
            ``{name}-flow-logs-{account_id}``.
        cidr_block: RFC 1918 VPC CIDR, /16 to /20 (see :func:`subnet_layout`).
        availability_zone_ids: The 2-3 zone IDs (``use1-az1``) of the subnets, in subnet order,
            all of ``region``. Explicit rather than looked up, because a subnet's zone forces its
            replacement. Either this or ``availability_zones``.
        availability_zones: Legacy: the 2-3 zone names instead, for networks whose subnets were
            created by name (moving them to IDs is a no-op only with the IDs of the same zones).
        region: The provider's region; required with ``availability_zone_ids`` (an ID does not
            spell its region), else derived from the names.
        nat_strategy: ``single`` (one NAT gateway, cheap), ``per_az`` (one per AZ, no cross-AZ
            egress dependency) or ``none`` (no internet egress from private subnets: for a cell
            that runs no workloads, such as a standby region holding only database replicas;
            S3 stays reachable through the gateway endpoint). Default: ``single``.
        account_id: Account of the VPC; it owns the flow-log bucket and scopes log delivery.
        flow_logs_kms_key_arn: Customer-managed KMS key (ARN) encrypting the flow-log bucket. Its
            policy must carry ``components.kms.log_delivery_grant(region)``.
        flow_logs_retention_days: Days flow-log objects are kept (see :class:`FlowLogBucketArgs`
            for the lifecycle constraints). Default: 365.
        tags: Extra tags. Default: none.
    """

    name: str
    cidr_block: str
    account_id: pulumi.Input[str]
    flow_logs_kms_key_arn: pulumi.Input[str]
    availability_zone_ids: list[str] = field(default_factory=list)
    availability_zones: list[str] = field(default_factory=list)
    region: str = ""
    nat_strategy: Literal["none", "single", "per_az"] = "single"
    flow_logs_retention_days: int = 365
    tags: dict[str, str] = field(default_factory=dict)


def _validate(args: NetworkArgs) -> str:
    """Reject bad args before anything is registered; returns the zones' region."""
    if args.nat_strategy not in ("none", "single", "per_az"):
        raise ValueError(f"nat_strategy {args.nat_strategy!r} must be 'none', 'single' or 'per_az'")
    if bool(args.availability_zone_ids) == bool(args.availability_zones):
        raise ValueError("give availability_zone_ids or (legacy) availability_zones, exactly one of them")
    if args.availability_zone_ids:
        ids = args.availability_zone_ids
        prefix = zone_id_prefix(args.region)
        if len(set(ids)) != len(ids) or not all((m := _AZ_ID.match(z)) and m.group(1) == prefix for z in ids):
            raise ValueError(f"availability_zone_ids {ids} must be distinct zone IDs of {args.region} ({prefix}-azN)")
        return args.region
    regions = {region_of_az(az) for az in args.availability_zones}
    if len(regions) != 1 or len(set(args.availability_zones)) != len(args.availability_zones):
        raise ValueError(f"availability_zones {args.availability_zones} must be distinct AZs of one region")
    if args.region and regions != {args.region}:
        raise ValueError(f"availability_zones {args.availability_zones} are not zones of region {args.region}")
    return regions.pop()


class Network(pulumi.ComponentResource):
    """VPC with public/private/isolated subnets per AZ, NAT egress, locked default SG and flow logs.

    Nothing gets a public IP by default, the default security group allows nothing, and all traffic
    is logged (AWS FSBP EC2.6) as Parquet files to a KMS-encrypted, tiered S3 bucket, far cheaper
    than CloudWatch Logs ingestion at high volume. S3 traffic from private and isolated subnets stays on
    the AWS network through a gateway endpoint (also saving NAT data charges).
    """

    layout: SubnetLayout
    vpc: aws.ec2.Vpc

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        region = _validate(args)
        #: What each subnet is placed by, in subnet order: zone IDs, or the legacy names.
        self._zones = list(args.availability_zone_ids or args.availability_zones)
        self.layout = subnet_layout(args.cidr_block, len(self._zones))
        # Built first so its validation, too, runs before anything is registered.
        bucket_args = FlowLogBucketArgs(
            name_prefix=f"{args.name}-flow-logs",
            account_id=args.account_id,
            region=region,
            kms_key_arn=args.flow_logs_kms_key_arn,
            retention_days=args.flow_logs_retention_days,
            tags=args.tags,
        )
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
        flow_logs = FlowLogBucket(f"{name}-flow-logs", bucket_args, opts=child_opts(self))
        flow_log = self._create_flow_log(flow_logs)

        self.vpc_id = self.vpc.id
        self.cidr_block = self.vpc.cidr_block
        self.availability_zones, self.availability_zone_ids = self._resolve_zones()
        self.public_subnet_ids = [s.id for s in public]
        self.private_subnet_ids = [s.id for s in private]
        self.isolated_subnet_ids = [s.id for s in isolated]
        self.nat_gateway_ids = [n.id for n in nats]
        self.private_route_table_ids = [t.id for t in private_tables]
        self.isolated_route_table_ids = [t.id for t in isolated_tables]
        self.flow_log_bucket_name = flow_logs.bucket_name
        self.flow_log_id = flow_log.id
        self.s3_endpoint_id = s3_endpoint.id
        self.register_outputs({key: getattr(self, key) for key in _OUTPUTS})

    def _resolve_zones(self) -> tuple[list[pulumi.Output[str]], list[pulumi.Output[str]]]:
        """Zone names and IDs in subnet order, the ones not configured looked up in the region.

        Names are what Kubernetes labels nodes with (``topology.kubernetes.io/zone``) and what
        node groups are named after; IDs are what subnets are placed by.
        """
        zones = aws.get_availability_zones_output(opts=pulumi.InvokeOutputOptions(parent=self))
        by_id = pulumi.Output.all(zones.zone_ids, zones.names).apply(lambda p: dict(zip(p[0], p[1], strict=True)))
        by_name = by_id.apply(lambda m: {name: zone_id for zone_id, name in m.items()})

        def lookup(table: pulumi.Output[dict[str, str]], key: str) -> pulumi.Output[str]:
            def pick(mapping: dict[str, str]) -> str:
                if key not in mapping:
                    raise ValueError(f"zone {key!r} is not an availability zone of this account: {sorted(mapping)}")
                return mapping[key]

            return table.apply(pick)

        if self._args.availability_zone_ids:
            ids = [pulumi.Output.from_input(z) for z in self._zones]
            return [lookup(by_id, z) for z in self._zones], ids
        names = [pulumi.Output.from_input(z) for z in self._zones]
        return names, [lookup(by_name, z) for z in self._zones]

    def _subnets(self, tier: str, cidrs: tuple[str, ...], extra_tags: dict[str, str]) -> list[aws.ec2.Subnet]:
        """One subnet of ``tier`` per AZ, placed by zone ID (or, legacy, by name). Public ones too
        never map public IPs: only load balancers, which get their own, face the internet."""
        by_id = bool(self._args.availability_zone_ids)
        return [
            aws.ec2.Subnet(
                f"{self._name}-{tier}-{index}",
                vpc_id=self.vpc.id,
                **({"availability_zone_id": az} if by_id else {"availability_zone": az}),
                cidr_block=cidr,
                map_public_ip_on_launch=False,
                tags=merge_tags(f"{self._args.name}-{tier}-{az}", self._args.tags, extra_tags),
                opts=child_opts(self),
            )
            for index, (az, cidr) in enumerate(zip(self._zones, cidrs, strict=True))
        ]

    def _route_tables(self, tier: str, subnets: list[aws.ec2.Subnet]) -> list[aws.ec2.RouteTable]:
        """One route table per subnet of ``tier``, so NAT targets can change per AZ in place."""
        tables = []
        for index, (az, subnet) in enumerate(zip(self._zones, subnets, strict=True)):
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
            az = self._zones[index]
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

    def _create_flow_log(self, destination: FlowLogBucket) -> aws.ec2.FlowLog:
        """Flow log of ALL traffic as hourly, Hive-partitioned Parquet files in ``destination``.

        Allowed values, from the EC2 API
        (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DestinationOptionsRequest.html,
        https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html):
        ``file_format`` plain-text|parquet, the two partition flags are independent booleans,
        ``max_aggregation_interval`` 60|600 seconds (Nitro instances aggregate at 60 or less
        regardless). Every option forces replacement, so they are fixed here, not configured.
        """
        name, args = self._name, self._args
        return aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="s3",
            log_destination=destination.bucket_arn,
            destination_options={
                "file_format": "parquet",
                "hive_compatible_partitions": True,
                "per_hour_partition": True,
            },
            # 600 s, the default: fewer records for long flows, so less to store.
            max_aggregation_interval=600,
            tags=merge_tags(f"{args.name}-vpc-flow-logs", args.tags),
            # Creation checks log delivery may write to the bucket: its policy must exist first.
            opts=child_opts(self, depends_on=[destination.policy]),
        )

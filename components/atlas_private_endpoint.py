"""AWS PrivateLink from one VPC to the Atlas project: Atlas endpoint service, interface endpoint
with its own security group (only the app subnets, only Atlas's port range), and the connection.

Atlas and AWS constraints this component relies on:

- Order (the provider's ``privatelink_endpoint`` docs): ``PrivateLinkEndpoint`` creates Atlas's
  endpoint service in a region (``provider_name`` ``AWS``; ``region`` in Atlas form, ``US_EAST_1``)
  and returns ``endpoint_service_name``; our ``aws.ec2.VpcEndpoint`` (type ``Interface``) connects to
  that service; ``PrivateLinkEndpointService`` hands Atlas the VPC endpoint ID and waits until the
  connection is ``AVAILABLE``. ``project_id``, ``provider_name`` and ``region`` (endpoint) and
  ``private_link_id``, ``endpoint_service_id`` (connection) force replacement.
  https://registry.terraform.io/providers/mongodb/mongodbatlas/latest/docs/resources/privatelink_endpoint
  https://registry.terraform.io/providers/mongodb/mongodbatlas/latest/docs/resources/privatelink_endpoint_service
- Dedicated clusters (M10+) only. One subnet per Availability Zone for the interface endpoint;
  subnets in several zones keep the connection through a zone outage.
  https://www.mongodb.com/docs/atlas/security-private-endpoint/
  https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html
- Ports: Atlas maps every node to its own port on the endpoint service's load balancer, so the
  private-endpoint connection strings name ports from 1024 up (``pl-0-us-east-1...:1024,...:1025``
  in the provider's starter example), not 27017. Atlas documents the range 1024-65535 for AWS
  private endpoints ("Port Ranges Used for Private Endpoints"); the endpoint's security group
  admits exactly that range, TCP, from the app subnets only, and has no egress rule (an interface
  endpoint answers, it never calls).
  https://www.mongodb.com/docs/atlas/security-private-endpoint/#port-ranges-used-for-private-endpoints
- Atlas's endpoint services have no private DNS name; clients resolve the Atlas host names of the
  private connection strings to the endpoint's addresses through Atlas's public DNS records.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_mongodbatlas as atlas

from components.atlas_topology import atlas_region
from components.base import child_opts, merge_tags

#: TCP ports of Atlas's AWS private endpoints (one per node behind the endpoint service).
PRIVATE_ENDPOINT_PORTS = (1024, 65535)
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,54}$")
_OUTPUTS = ("vpc_endpoint_id", "security_group_id", "private_link_id")


def client_cidr_problem(cidr: str) -> str | None:
    """Why ``cidr`` may not reach the endpoint (not a network, or not a private range), or None."""
    try:
        network = ipaddress.ip_network(cidr)
    except ValueError:
        return f"{cidr!r} is not a CIDR block"
    if network.prefixlen == 0 or not network.is_private:
        return f"{cidr}: only private (app subnet) ranges may reach the Atlas endpoint"
    return None


@dataclass
class AtlasPrivateEndpointArgs:
    """Inputs of :class:`AtlasPrivateEndpoint`.

    Attributes:
        project_id: Atlas project (ForceNew). Required.
        region: AWS region of the VPC, e.g. ``us-east-1`` (ForceNew). Required.
        name: Physical name prefix (``acme-prod-use1-atlas``): names the security group and
            endpoint; lowercase letters, digits, hyphens, at most 55 characters. Required.
        vpc_id: The VPC (ForceNew for the endpoint). Required.
        subnet_ids: The private app subnets, at most one per Availability Zone. Required.
        client_cidr_blocks: Private networks allowed to connect (the app subnets). Required.
        tags: Extra AWS tags. Default: none.
    """

    project_id: pulumi.Input[str]
    region: str
    name: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    client_cidr_blocks: list[str]
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        atlas_region(self.region)
        if not _NAME.match(self.name):
            raise ValueError(f"name {self.name!r}: lowercase letters, digits, '-', at most 55 characters")
        if not self.subnet_ids:
            raise ValueError("subnet_ids: at least one subnet")
        if not self.client_cidr_blocks:
            raise ValueError("client_cidr_blocks: at least one app subnet range")
        for cidr in self.client_cidr_blocks:
            problem = client_cidr_problem(cidr)
            if problem:
                raise ValueError(problem)


class AtlasPrivateEndpoint(pulumi.ComponentResource):
    """The VPC's private path to Atlas in one region."""

    endpoint: atlas.PrivateLinkEndpoint
    security_group: aws.ec2.SecurityGroup
    vpc_endpoint: aws.ec2.VpcEndpoint
    ready: atlas.PrivateLinkEndpointService

    def __init__(self, name: str, args: AtlasPrivateEndpointArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:data:AtlasPrivateEndpoint", name, None, opts)
        self.endpoint = atlas.PrivateLinkEndpoint(
            f"{name}-service",
            project_id=args.project_id,
            provider_name="AWS",
            region=atlas_region(args.region),
            opts=child_opts(self),
        )
        # No egress rules: the provider strips AWS's default allow-all; the endpoint only answers.
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name=args.name,
            description=f"Atlas private endpoint {args.name}: from the app subnets",
            vpc_id=args.vpc_id,
            tags=merge_tags(args.name, args.tags),
            opts=child_opts(self),
        )
        low, high = PRIVATE_ENDPOINT_PORTS
        for index, cidr in enumerate(args.client_cidr_blocks):
            v6 = ipaddress.ip_network(cidr).version == 6
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-ingress-{index}",
                security_group_id=self.security_group.id,
                description=f"Atlas clients in {cidr}",
                ip_protocol="tcp",
                from_port=low,
                to_port=high,
                cidr_ipv4=None if v6 else cidr,
                cidr_ipv6=cidr if v6 else None,
                tags=merge_tags(f"{args.name}-{index}", args.tags),
                opts=child_opts(self),
            )
        self.vpc_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-endpoint",
            vpc_id=args.vpc_id,
            service_name=self.endpoint.endpoint_service_name,
            vpc_endpoint_type="Interface",
            subnet_ids=list(args.subnet_ids),
            security_group_ids=[self.security_group.id],
            private_dns_enabled=False,
            tags=merge_tags(args.name, args.tags),
            opts=child_opts(self),
        )
        self.ready = atlas.PrivateLinkEndpointService(
            f"{name}-connection",
            project_id=self.endpoint.project_id,
            private_link_id=self.endpoint.private_link_id,
            endpoint_service_id=self.vpc_endpoint.id,
            provider_name="AWS",
            opts=child_opts(self),
        )
        self.vpc_endpoint_id = self.vpc_endpoint.id
        self.security_group_id = self.security_group.id
        self.private_link_id = self.endpoint.private_link_id
        self.register_outputs({key: getattr(self, key) for key in _OUTPUTS})

"""Cross-region VPC peering between two cells, with routes on both sides.

Phase 4's active regions write through the primary region's RDS Proxy, whose endpoint resolves to
private addresses in the primary VPC: without a private path between the VPCs those writes cannot
leave the region. Peering (rather than a Transit Gateway) fits a hub-and-spoke of three VPCs:
no hourly attachment charges, and nothing to route between the spokes, which never talk.

AWS constraints this component relies on:

- A cross-Region peering is requested with ``peer_region`` and cannot be auto-accepted by the
  requester: the accepter accepts it in its own Region (``VpcPeeringConnectionAccepter`` with the
  accepter's provider), and routes only carry traffic once it is ``active``.
  https://docs.aws.amazon.com/vpc/latest/peering/create-vpc-peering-connection.html
  https://www.pulumi.com/registry/packages/aws/api-docs/ec2/vpcpeeringconnection/
- The two CIDRs must not overlap; peering is not transitive (no edge-to-edge routing), which the
  hub-and-spoke layout accepts: spokes reach the hub only.
  https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html
- Inter-Region peering cannot reference the peer VPC's security groups, so the hub's rules must
  admit the spokes by CIDR; MTU across it is 1500 bytes (no jumbo frames).
  https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html
  https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html#vpc-peering-limitations
- DNS resolution over the peering is off by default and can only be enabled once the connection
  is active, and it only rewrites the peer's *public* EC2 DNS hostnames: a spoke must resolve the
  hub's proxy endpoint through public DNS to private addresses (not set up here).
  https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-dns.html
- Updates: changing either VPC or the peer Region replaces the connection (and its routes); tags
  and routes change in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import child_opts, merge_tags


@dataclass
class VpcPeeringArgs:
    """Inputs of :class:`VpcPeering`. The requester side uses the provider in ``opts``.

    Attributes:
        name: Physical name for tags (``acme-prod-usw2-to-use1``).
        requester_vpc_id: The VPC asking for the peering (the spoke).
        requester_cidr: Its CIDR, routed to from the accepter.
        requester_route_table_ids: Requester route tables that get a route to the accepter.
        accepter_vpc_id: The VPC accepting it (the hub, e.g. the primary cell).
        accepter_cidr: Its CIDR, routed to from the requester.
        accepter_region: The accepter's region (cross-region peering needs it named).
        accepter_route_table_ids: Accepter route tables that get a route back to the requester.
        accepter_provider: Provider of the accepter's region: the acceptance and its routes live there.
        tags: Extra tags. Default: none.
    """

    name: str
    requester_vpc_id: pulumi.Input[str]
    requester_cidr: str
    requester_route_table_ids: list[pulumi.Input[str]]
    accepter_vpc_id: pulumi.Input[str]
    accepter_cidr: str
    accepter_region: str
    accepter_route_table_ids: list[pulumi.Input[str]]
    accepter_provider: aws.Provider
    tags: dict[str, str] = field(default_factory=dict)


class VpcPeering(pulumi.ComponentResource):
    """A peering connection requested from one region, accepted in the other, routed both ways."""

    def __init__(self, name: str, args: VpcPeeringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:network:VpcPeering", name, None, opts)
        tags = merge_tags(args.name, args.tags)
        # Cross-region peerings cannot be auto-accepted by the requester; the accepter side does it.
        self.connection = aws.ec2.VpcPeeringConnection(
            f"{name}-connection",
            vpc_id=args.requester_vpc_id,
            peer_vpc_id=args.accepter_vpc_id,
            peer_region=args.accepter_region,
            auto_accept=False,
            tags=tags,
            opts=child_opts(self),
        )
        accepter = pulumi.ResourceOptions(parent=self, provider=args.accepter_provider)
        acceptance = aws.ec2.VpcPeeringConnectionAccepter(
            f"{name}-accepter",
            vpc_peering_connection_id=self.connection.id,
            auto_accept=True,
            tags=tags,
            opts=accepter,
        )
        for index, table in enumerate(args.requester_route_table_ids):
            aws.ec2.Route(
                f"{name}-to-accepter-{index}",
                route_table_id=table,
                destination_cidr_block=args.accepter_cidr,
                vpc_peering_connection_id=self.connection.id,
                opts=child_opts(self, depends_on=[acceptance]),
            )
        for index, table in enumerate(args.accepter_route_table_ids):
            aws.ec2.Route(
                f"{name}-to-requester-{index}",
                route_table_id=table,
                destination_cidr_block=args.requester_cidr,
                vpc_peering_connection_id=self.connection.id,
                opts=pulumi.ResourceOptions(parent=self, provider=args.accepter_provider, depends_on=[acceptance]),
            )
        self.connection_id = self.connection.id
        self.register_outputs({"connection_id": self.connection_id})

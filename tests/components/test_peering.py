"""VpcPeering on its own: requested in one region, accepted in the other, routed both ways."""

import pulumi
import pulumi_aws as aws
import pytest

from components.peering import VpcPeering, VpcPeeringArgs
from tests.readable import run_program


def _program():
    spoke = aws.Provider("usw2", region="us-west-2")
    hub = aws.Provider("use1", region="us-east-1")
    VpcPeering(
        "usw2-peering",
        VpcPeeringArgs(
            name="acme-prod-usw2-to-use1",
            requester_vpc_id="vpc-spoke",
            requester_cidr="10.20.0.0/16",
            requester_route_table_ids=["rtb-s0", "rtb-s1", "rtb-s2"],
            accepter_vpc_id="vpc-hub",
            accepter_cidr="10.10.0.0/16",
            accepter_region="us-east-1",
            accepter_route_table_ids=["rtb-h0", "rtb-h1", "rtb-h2"],
            accepter_provider=hub,
            tags={"Team": "platform"},
        ),
        opts=pulumi.ResourceOptions(provider=spoke),
    )


@pytest.fixture(scope="module")
def plan():
    return run_program(_program)


def test_the_connection_is_requested_by_the_spoke_and_accepted_in_the_hubs_region(plan):
    (connection,) = plan.of_type("aws:ec2/vpcPeeringConnection:VpcPeeringConnection")
    assert connection.region == "us-west-2"
    assert connection.inputs["vpcId"] == "vpc-spoke" and connection.inputs["peerVpcId"] == "vpc-hub"
    assert connection.inputs["peerRegion"] == "us-east-1" and connection.inputs["autoAccept"] is False
    (accepter,) = plan.of_type("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
    assert accepter.region == "us-east-1" and accepter.inputs["autoAccept"] is True
    assert accepter.inputs["vpcPeeringConnectionId"] == "usw2-peering-connection-id"
    assert connection.inputs["tags"]["Name"] == "acme-prod-usw2-to-use1"


def test_each_side_routes_the_other_sides_cidr_over_the_connection_once_accepted(plan):
    routes = plan.of_type("aws:ec2/route:Route")
    spoke = sorted((r for r in routes if r.region == "us-west-2"), key=lambda r: r.name)
    hub = sorted((r for r in routes if r.region == "us-east-1"), key=lambda r: r.name)
    assert [r.inputs["routeTableId"] for r in spoke] == ["rtb-s0", "rtb-s1", "rtb-s2"]
    assert [r.inputs["routeTableId"] for r in hub] == ["rtb-h0", "rtb-h1", "rtb-h2"]
    assert {r.inputs["destinationCidrBlock"] for r in spoke} == {"10.10.0.0/16"}
    assert {r.inputs["destinationCidrBlock"] for r in hub} == {"10.20.0.0/16"}
    accepter_urn = plan.named("usw2-peering-accepter").urn
    for route in routes:
        assert route.inputs["vpcPeeringConnectionId"] == "usw2-peering-connection-id"
        assert accepter_urn in route.dependencies
        assert route.name.startswith("usw2-peering-")

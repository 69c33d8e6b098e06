"""PrivateLink to Atlas: only the app subnets, only Atlas's documented port range, nothing out."""

import pytest

from components.atlas_private_endpoint import (
    PRIVATE_ENDPOINT_PORTS,
    AtlasPrivateEndpoint,
    AtlasPrivateEndpointArgs,
    client_cidr_problem,
)
from infra.offline.harness import run_program

CIDRS = ["10.10.32.0/20", "10.10.48.0/20", "10.10.64.0/20"]


def _args(**overrides) -> AtlasPrivateEndpointArgs:
    values = {
        "project_id": "0123456789abcdef01234567",
        "region": "us-west-2",
        "name": "acme-prod-usw2-atlas",
        "vpc_id": "vpc-123",
        "subnet_ids": ["subnet-a", "subnet-b", "subnet-c"],
        "client_cidr_blocks": CIDRS,
        "tags": {"Team": "platform"},
    }
    return AtlasPrivateEndpointArgs(**{**values, **overrides})


@pytest.fixture(scope="module")
def plan():
    return run_program(lambda: AtlasPrivateEndpoint("pe", _args()))


def test_the_endpoint_service_is_in_the_vpcs_region(plan):
    service = plan.named("pe-service").inputs
    assert service == {"projectId": "0123456789abcdef01234567", "providerName": "AWS", "region": "US_WEST_2"}


def test_the_interface_endpoint_connects_to_atlas_service_from_the_app_subnets(plan):
    endpoint = plan.named("pe-endpoint")
    assert endpoint.inputs["vpcEndpointType"] == "Interface"
    assert endpoint.inputs["serviceName"].startswith("com.amazonaws.vpce.us-west-2.vpce-svc-")
    assert plan.named("pe-service").urn in endpoint.property_dependencies["serviceName"]
    assert endpoint.inputs["subnetIds"] == ["subnet-a", "subnet-b", "subnet-c"]
    assert endpoint.inputs["privateDnsEnabled"] is False
    assert endpoint.inputs["securityGroupIds"] == [plan.named("pe-sg").id]


def test_only_the_app_subnets_reach_atlas_ports_and_nothing_leaves(plan):
    rules = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted(r.inputs["cidrIpv4"] for r in rules) == CIDRS
    assert {(r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"]) for r in rules} == {
        ("tcp", *PRIVATE_ENDPOINT_PORTS)
    }
    assert PRIVATE_ENDPOINT_PORTS == (1024, 65535)
    assert plan.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") == []
    assert plan.named("pe-sg").inputs["name"] == "acme-prod-usw2-atlas"


def test_the_connection_hands_atlas_the_vpc_endpoint(plan):
    connection = plan.named("pe-connection")
    assert connection.inputs["endpointServiceId"] == plan.named("pe-endpoint").id
    assert connection.inputs["privateLinkId"]
    assert plan.named("pe-service").urn in connection.property_dependencies["privateLinkId"]


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "52.1.2.0/24", "::/0", "not-a-cidr"])
def test_public_or_bogus_client_ranges_are_refused(cidr):
    assert client_cidr_problem(cidr)
    with pytest.raises(ValueError):
        _args(client_cidr_blocks=[cidr])


@pytest.mark.parametrize("overrides", [{"subnet_ids": []}, {"region": "usw2"}, {"name": "Acme"}])
def test_refuses_what_aws_or_atlas_refuse(overrides):
    with pytest.raises(ValueError):
        _args(**overrides)

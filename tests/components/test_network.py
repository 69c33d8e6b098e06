"""Network on its own: subnet maths, NAT strategies, nothing public, flow logs, S3 endpoint, region."""

import ipaddress

import pulumi
import pulumi_aws as aws
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.network import Network, NetworkArgs, region_of_az, subnet_layout
from tests.readable import run_program

AZS = ["us-west-2a", "us-west-2b", "us-west-2c"]
KEY_ARN = "arn:aws:kms:us-west-2:111122223333:key/logs"
COMPONENT = "platform:network:Vpc"
OUTPUTS = (
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


def _program(nat_strategy="single", **overrides):
    def program():
        provider = aws.Provider("usw2", region="us-west-2")
        args = {
            "name": "acme-prod-usw2",
            "cidr_block": "10.20.0.0/16",
            "availability_zones": AZS,
            "nat_strategy": nat_strategy,
            "account_id": "111122223333",
            "flow_logs_kms_key_arn": KEY_ARN,
            "tags": {"Team": "platform"},
            **overrides,
        }
        net = Network("net", NetworkArgs(**args), opts=pulumi.ResourceOptions(provider=provider))
        pulumi.export("network", {key: getattr(net, key) for key in OUTPUTS})
        pulumi.export("layout", net.layout.private)

    return program


@pytest.fixture(scope="module")
def single():
    return run_program(_program("single"))


@pytest.fixture(scope="module")
def per_az():
    return run_program(_program("per_az"))


@st.composite
def vpc_cidrs(draw):
    base = draw(st.sampled_from(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]))
    prefix = draw(st.integers(16, 20))
    candidates = list(ipaddress.ip_network(base).subnets(new_prefix=prefix))
    return str(candidates[draw(st.integers(0, len(candidates) - 1))])


@given(vpc_cidrs(), st.integers(2, 3))
def test_layout_subnets_are_disjoint_inside_the_vpc_and_sized_by_tier(cidr, az_count):
    layout = subnet_layout(cidr, az_count)
    vpc = ipaddress.ip_network(cidr)
    subnets = [ipaddress.ip_network(s) for s in layout.public + layout.private + layout.isolated]
    assert len(layout.public) == len(layout.private) == len(layout.isolated) == az_count
    assert all(s.subnet_of(vpc) for s in subnets)
    assert all(not a.overlaps(b) for i, a in enumerate(subnets) for b in subnets[i + 1 :])
    assert {ipaddress.ip_network(s).prefixlen for s in layout.private} == {vpc.prefixlen + 2}
    assert {ipaddress.ip_network(s).prefixlen for s in layout.public + layout.isolated} == {vpc.prefixlen + 5}
    assert subnet_layout(cidr, az_count) == layout


def test_layout_of_a_slash_16_with_three_azs():
    layout = subnet_layout("10.0.0.0/16", 3)
    assert layout.private == ("10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18")
    assert layout.public == ("10.0.192.0/21", "10.0.200.0/21", "10.0.208.0/21")
    assert layout.isolated == ("10.0.216.0/21", "10.0.224.0/21", "10.0.232.0/21")


@pytest.mark.parametrize(
    ("cidr", "az_count", "message"),
    [
        ("10.0.0.0/15", 3, "/16 to /20"),
        ("10.0.0.0/21", 3, "/16 to /20"),
        ("10.0.0.0/16", 1, "2 or 3"),
        ("10.0.0.0/16", 4, "2 or 3"),
        ("8.8.0.0/16", 3, "RFC 1918"),
        ("10.0.0.1/16", 3, "host bits"),
    ],
)
def test_layout_rejects_bad_input(cidr, az_count, message):
    with pytest.raises(ValueError, match=message):
        subnet_layout(cidr, az_count)


def test_region_of_az():
    assert region_of_az("us-east-1a") == "us-east-1"
    assert region_of_az("ap-southeast-2c") == "ap-southeast-2"
    for bad in ("us-east-1", "useast1a", "us-east-1ab"):
        with pytest.raises(ValueError, match="availability zone"):
            region_of_az(bad)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"availability_zones": ["us-west-2a", "us-east-1b"]}, "availability_zones"),
        ({"availability_zones": ["us-west-2a", "us-west-2a"]}, "availability_zones"),
        ({"flow_logs_retention_days": 170}, "retention_days=170"),
        ({"nat_strategy": "nat-instance"}, "nat_strategy"),
        ({"name": "Acme-Prod"}, "name_prefix"),
    ],
)
def test_invalid_args_are_rejected_with_a_value_error(overrides, message):
    with pytest.raises(ValueError, match=message):
        run_program(_program(**overrides))


def test_single_nat_routes_every_private_table_through_nat_0(single):
    (nat,) = single.of_type("aws:ec2/natGateway:NatGateway")
    (eip,) = single.of_type("aws:ec2/eip:Eip")
    assert (nat.name, eip.name) == ("net-nat-0", "net-nat-eip-0")
    assert nat.inputs["subnetId"] == "net-public-0-id"
    assert nat.inputs["allocationId"].startswith("eipalloc-")
    routes = single.of_type("aws:ec2/route:Route")
    private = sorted((r for r in routes if r.name.startswith("net-private-egress-")), key=lambda r: r.name)
    assert [r.inputs["routeTableId"] for r in private] == [f"net-private-rt-{i}-id" for i in range(3)]
    assert {r.inputs["natGatewayId"] for r in private} == {"net-nat-0-id"}
    assert single.outputs["network"]["nat_gateway_ids"] == ["net-nat-0-id"]


def test_no_nat_leaves_private_subnets_without_internet_egress_but_with_s3(single):
    none = run_program(_program("none"))
    assert none.of_type("aws:ec2/natGateway:NatGateway") == none.of_type("aws:ec2/eip:Eip") == []
    routes = [r.name for r in none.of_type("aws:ec2/route:Route")]
    assert routes == ["net-public-internet"]
    (endpoint,) = none.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert len(endpoint.inputs["routeTableIds"]) == 6
    # The same subnets and tables as with a NAT: adding one later only adds resources.
    assert {r.urn for r in none.resources} < {r.urn for r in single.resources}


def test_per_az_nat_routes_each_az_through_its_own_nat(per_az, single):
    nats = sorted(per_az.of_type("aws:ec2/natGateway:NatGateway"), key=lambda n: n.name)
    assert [n.inputs["subnetId"] for n in nats] == [f"net-public-{i}-id" for i in range(3)]
    assert len(per_az.of_type("aws:ec2/eip:Eip")) == 3
    for i in range(3):
        route = per_az.named(f"net-private-egress-{i}")
        assert route.inputs["natGatewayId"] == f"net-nat-{i}-id"
        assert route.inputs["routeTableId"] == f"net-private-rt-{i}-id"
    # Switching strategy keeps NAT 0 and the route tables, so only routes update in place.
    for name in ("net-nat-0", "net-nat-eip-0", "net-private-rt-0", "net-private-egress-0"):
        assert per_az.named(name).urn == single.named(name).urn
        assert per_az.named(name).inputs.keys() == single.named(name).inputs.keys()
    assert per_az.named("net-nat-0").inputs == single.named("net-nat-0").inputs


def test_subnets_never_map_public_ips_and_carry_eks_discovery_tags(single):
    subnets = single.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 9
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)
    for i, az in enumerate(AZS):
        public, private = single.named(f"net-public-{i}"), single.named(f"net-private-{i}")
        assert public.inputs["availabilityZone"] == private.inputs["availabilityZone"] == az
        assert public.inputs["tags"]["kubernetes.io/role/elb"] == "1"
        assert private.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert "kubernetes.io/role/elb" not in single.named(f"net-isolated-{i}").inputs["tags"]


def test_only_the_public_table_reaches_the_internet_gateway(single):
    routes = single.of_type("aws:ec2/route:Route")
    igw_routes = [r for r in routes if "gatewayId" in r.inputs]
    assert [(r.inputs["routeTableId"], r.inputs["gatewayId"]) for r in igw_routes] == [
        ("net-public-rt-id", "net-igw-id")
    ]
    isolated_ids = {f"net-isolated-rt-{i}-id" for i in range(3)}
    assert not [r for r in routes if r.inputs["routeTableId"] in isolated_ids]
    associations = {
        (a.inputs["subnetId"], a.inputs["routeTableId"])
        for a in single.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    }
    assert len(associations) == 9
    assert ("net-public-2-id", "net-public-rt-id") in associations
    assert ("net-isolated-1-id", "net-isolated-rt-1-id") in associations


def test_default_security_group_has_no_rules(single):
    (sg,) = single.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg.inputs["vpcId"] == "net-vpc-id"
    assert sg.inputs["ingress"] == [] and sg.inputs["egress"] == []


def test_flow_logs_capture_all_traffic_as_parquet_into_the_cells_bucket(single):
    (vpc,) = single.of_type("aws:ec2/vpc:Vpc")
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True
    (bucket,) = single.of_type("aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == "acme-prod-usw2-flow-logs-111122223333"
    assert bucket.protect is True
    (flow,) = single.of_type("aws:ec2/flowLog:FlowLog")
    assert flow.inputs["vpcId"] == "net-vpc-id"
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestinationType"] == "s3"
    assert flow.inputs["logDestination"] == f"arn:aws:s3:us-west-2:123456789012:{bucket.name}"
    assert flow.inputs["destinationOptions"] == {
        "fileFormat": "parquet",
        "hiveCompatiblePartitions": True,
        "perHourPartition": True,
    }
    assert flow.inputs["maxAggregationInterval"] == 600
    # S3 destinations need no delivery role.
    assert "iamRoleArn" not in flow.inputs
    assert single.named("net-flow-logs-bucket-policy").urn in flow.dependencies


def test_the_cloudwatch_flow_log_path_is_gone(single):
    assert single.of_type("aws:cloudwatch/logGroup:LogGroup") == []
    assert single.of_type("aws:iam/role:Role") == single.of_type("aws:iam/rolePolicy:RolePolicy") == []


def test_flow_log_retention_reaches_the_bucket_lifecycle():
    result = run_program(_program(flow_logs_retention_days=731))
    (lifecycle,) = result.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    (rule,) = lifecycle.inputs["rules"]
    assert rule["expiration"] == {"days": 731}


def test_s3_gateway_endpoint_serves_private_and_isolated_tables(single):
    (endpoint,) = single.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-west-2.s3"
    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    expected = [f"net-{tier}-rt-{i}-id" for tier in ("private", "isolated") for i in range(3)]
    assert endpoint.inputs["routeTableIds"] == expected


def test_outputs_expose_every_id_and_the_layout(single):
    outputs = single.outputs["network"]
    assert outputs == {
        "vpc_id": "net-vpc-id",
        "cidr_block": "10.20.0.0/16",
        "availability_zones": AZS,
        "availability_zone_ids": ["usw2-az2", "usw2-az1", "usw2-az3"],
        "public_subnet_ids": [f"net-public-{i}-id" for i in range(3)],
        "private_subnet_ids": [f"net-private-{i}-id" for i in range(3)],
        "isolated_subnet_ids": [f"net-isolated-{i}-id" for i in range(3)],
        "nat_gateway_ids": ["net-nat-0-id"],
        "private_route_table_ids": [f"net-private-rt-{i}-id" for i in range(3)],
        "isolated_route_table_ids": [f"net-isolated-rt-{i}-id" for i in range(3)],
        "flow_log_bucket_name": "acme-prod-usw2-flow-logs-111122223333",
        "flow_log_id": "net-flow-log-id",
        "s3_endpoint_id": "net-s3-endpoint-id",
    }
    assert single.outputs["layout"] == ["10.20.0.0/18", "10.20.64.0/18", "10.20.128.0/18"]
    assert single.named("net-private-0").inputs["cidrBlock"] == "10.20.0.0/18"


def test_every_child_is_in_the_providers_region_under_the_component(per_az):
    (component,) = per_az.of_type(COMPONENT)
    by_urn = per_az.by_urn()
    children = [r for r in per_az.resources if r.custom and r.type != "pulumi:providers:aws"]
    assert len(children) > 40
    for child in children:
        assert child.region == "us-west-2", child.name
        assert child.name.startswith("net-"), child.name
        parent = child.parent
        while parent and parent != component.urn:
            parent = by_urn[parent].parent
        assert parent == component.urn, child.name


def test_every_taggable_child_is_named_and_carries_caller_tags(per_az):
    untaggable = {
        "pulumi:providers:aws",
        "aws:ec2/route:Route",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
    }
    # The bucket's configuration resources carry no tags of their own; the bucket does.
    tagged = [r for r in per_az.resources if r.custom and r.type not in untaggable and not r.type.startswith("aws:s3/")]
    tagged += per_az.of_type("aws:s3/bucket:Bucket")
    assert len(tagged) == 28
    for resource in tagged:
        assert resource.inputs["tags"]["Name"].startswith("acme-prod-usw2"), resource.name
        assert resource.inputs["tags"]["Team"] == "platform"
        assert resource.inputs["tags"]["ManagedBy"] == "pulumi"
    assert per_az.named("net-private-1").inputs["tags"]["Name"] == "acme-prod-usw2-private-us-west-2b"


# --- Zones by ID -------------------------------------------------------------------------------

ZONE_IDS = ["usw2-az1", "usw2-az2", "usw2-az3"]


def _by_id(**overrides):
    return _program(availability_zones=[], availability_zone_ids=ZONE_IDS, region="us-west-2", **overrides)


@pytest.fixture(scope="module")
def by_id():
    return run_program(_by_id())


def test_subnets_are_placed_by_zone_id_not_by_name(by_id):
    subnets = by_id.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 9
    for subnet in subnets:
        assert "availabilityZone" not in subnet.inputs
    for tier in ("public", "private", "isolated"):
        assert [by_id.named(f"net-{tier}-{i}").inputs["availabilityZoneId"] for i in range(3)] == ZONE_IDS
        assert by_id.named(f"net-{tier}-0").inputs["tags"]["Name"] == f"acme-prod-usw2-{tier}-usw2-az1"


def test_zone_names_are_resolved_from_the_accounts_mapping(by_id):
    # The mock account maps us-west-2a -> usw2-az2, us-west-2b -> usw2-az1 (as AWS shuffles them).
    outputs = by_id.outputs["network"]
    assert outputs["availability_zone_ids"] == ZONE_IDS
    assert outputs["availability_zones"] == ["us-west-2b", "us-west-2a", "us-west-2c"]


def test_legacy_zone_names_keep_placing_subnets_by_name_and_resolve_their_ids(single):
    assert [single.named(f"net-private-{i}").inputs["availabilityZone"] for i in range(3)] == AZS
    assert "availabilityZoneId" not in single.named("net-private-0").inputs
    assert single.outputs["network"]["availability_zone_ids"] == ["usw2-az2", "usw2-az1", "usw2-az3"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"availability_zone_ids": ["use1-az1", "usw2-az2"]}, "zone IDs of us-west-2"),
        ({"availability_zone_ids": ["usw2-az1", "usw2-az1"]}, "distinct zone IDs"),
        ({"availability_zone_ids": ["us-west-2a", "us-west-2b"]}, "usw2-azN"),
        ({"availability_zones": AZS}, "exactly one"),
        ({"region": "us-west-1"}, "usw1-azN"),
    ],
)
def test_invalid_zone_ids_are_rejected(overrides, message):
    args = {"availability_zones": [], "availability_zone_ids": ZONE_IDS, "region": "us-west-2", **overrides}
    with pytest.raises(ValueError, match=message):
        run_program(_program(**args))


def test_zone_id_prefix_follows_the_regions_short_form():
    from components.network import zone_id_prefix

    assert [zone_id_prefix(r) for r in ("us-east-1", "ap-southeast-2", "eu-central-1", "us-gov-west-1")] == [
        "use1",
        "apse2",
        "euc1",
        "usgw1",
    ]

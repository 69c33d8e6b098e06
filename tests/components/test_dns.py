"""GlobalDns on its own: latency records with health checks and us-east-1 alarms, the CDN's aliases,
a created (protected) or an existing (checked) zone."""

import pulumi
import pulumi_aws as aws
import pytest

from components.alb_alarms import controller_alb_tags, lookup_alb
from components.dns import CLOUDFRONT_ZONE_ID, GlobalDns, GlobalDnsArgs, RegionEndpoint, in_zone
from tests.readable import run_program

TOPIC = "arn:aws:sns:us-east-1:111122223333:acme-prod-edge-alerts"
ZONE = "Z0123456ACMEEXAMPLE"
ENDPOINTS = [
    RegionEndpoint("us-east-1", "use1", "k8s-api-api-1.us-east-1.elb.amazonaws.com", "Z35SXDOTRQ7X7K"),
    RegionEndpoint("eu-west-1", "euw1", "k8s-api-api-2.eu-west-1.elb.amazonaws.com", "Z32O12XQLNTSW2"),
]


def _args(**overrides) -> GlobalDnsArgs:
    values = dict(
        name="acme-prod-edge",
        zone_name="acme.example",
        hosted_zone_id=ZONE,
        api_host="api.acme.example",
        endpoints=ENDPOINTS,
        alarm_topic_arn=TOPIC,
    )
    values.update(overrides)
    return GlobalDnsArgs(**values)


def _run(args: GlobalDnsArgs):
    def program():
        provider = aws.Provider("edge", region="us-east-1")
        dns = GlobalDns("dns", args, opts=pulumi.ResourceOptions(provider=provider))
        pulumi.export("zone_id", dns.zone_id)
        pulumi.export("alarm_names", dns.alarm_names)
        pulumi.export("name_servers", dns.name_servers)

    return run_program(program)


@pytest.fixture(scope="module")
def result():
    return _run(_args())


def test_each_region_gets_a_latency_alias_record_with_its_health_check(result):
    for endpoint in ENDPOINTS:
        record = result.named(f"dns-api-{endpoint.code}")
        check = result.named(f"dns-health-{endpoint.code}")
        assert record.inputs["name"] == "api.acme.example" and record.inputs["type"] == "A"
        assert record.inputs["setIdentifier"] == endpoint.region
        assert record.inputs["latencyRoutingPolicies"] == [{"region": endpoint.region}]
        assert record.inputs["aliases"] == [
            {"name": endpoint.dns_name, "zoneId": endpoint.zone_id, "evaluateTargetHealth": True}
        ]
        assert record.inputs["zoneId"] == ZONE and "ttl" not in record.inputs
        assert record.inputs["healthCheckId"] == f"dns-health-{endpoint.code}-id"
        assert check.urn in record.property_dependencies["healthCheckId"]


def test_health_checks_probe_the_alb_over_https_on_the_health_path(result):
    check = result.named("dns-health-euw1").inputs
    assert check["type"] == "HTTPS" and check["port"] == 443 and check["resourcePath"] == "/healthz"
    # The ALB's own name: the API host resolves through these very records.
    assert check["fqdn"] == ENDPOINTS[1].dns_name and check["enableSni"] is False
    assert check["requestInterval"] == 30 and check["failureThreshold"] == 3
    assert "regions" not in check  # all checker regions


def test_alarms_watch_health_check_status_in_us_east_1_and_notify_both_ways(result):
    alarm = result.named("dns-health-alarm-use1")
    assert alarm.region == "us-east-1"
    assert alarm.inputs["namespace"] == "AWS/Route53" and alarm.inputs["metricName"] == "HealthCheckStatus"
    assert alarm.inputs["dimensions"] == {"HealthCheckId": "dns-health-use1-id"}
    assert alarm.inputs["comparisonOperator"] == "LessThanThreshold" and alarm.inputs["threshold"] == 1
    assert alarm.inputs["alarmActions"] == [TOPIC] == alarm.inputs["okActions"]
    assert result.outputs["alarm_names"] == {
        "use1": "acme-prod-edge-dns-health-use1",
        "euw1": "acme-prod-edge-dns-health-euw1",
    }


def test_an_existing_zone_is_looked_up_not_created(result):
    assert not result.of_type("aws:route53/zone:Zone")
    assert result.outputs["zone_id"] == ZONE and result.outputs["name_servers"] == []


def test_a_created_zone_is_protected_and_gives_name_servers_to_delegate_to():
    created = _run(_args(hosted_zone_id=None, create_zone=True))
    zone = created.named("dns-zone")
    assert zone.protect and zone.inputs["name"] == "acme.example" and zone.inputs["forceDestroy"] is False
    assert created.named("dns-api-use1").inputs["zoneId"] == created.outputs["zone_id"]
    assert len(created.outputs["name_servers"]) == 4


@pytest.mark.parametrize("zone_id", ["Z0123456ACMEINTERNAL", "Z9NOSUCHZONE"])
def test_a_private_or_unknown_zone_fails_the_run(zone_id):
    with pytest.raises(Exception, match="private zone|NoSuchHostedZone"):
        _run(_args(hosted_zone_id=zone_id))


def test_cdn_aliases_point_a_and_aaaa_at_cloudfront_without_target_health():
    result = _run(_args(endpoints=[], cdn_aliases=["cdn.acme.example"], cdn_domain_name="d1.cloudfront.net"))
    records = result.of_type("aws:route53/record:Record")
    assert sorted(r.inputs["type"] for r in records) == ["A", "AAAA"]
    for record in records:
        assert record.inputs["aliases"] == [
            {"name": "d1.cloudfront.net", "zoneId": CLOUDFRONT_ZONE_ID, "evaluateTargetHealth": False}
        ]
    assert not result.of_type("aws:route53/healthCheck:HealthCheck")


def test_checker_regions_and_interval_are_passed_through():
    result = _run(_args(checker_regions=["us-east-1", "eu-west-1", "us-west-2"], request_interval_seconds=10))
    check = result.named("dns-health-use1").inputs
    assert sorted(check["regions"]) == ["eu-west-1", "us-east-1", "us-west-2"] and check["requestInterval"] == 10


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hosted_zone_id": None}, "exactly one"),
        ({"create_zone": True}, "exactly one"),
        ({"hosted_zone_id": "zone-1"}, "not a Route 53 zone id"),
        ({"api_host": "api.other.example"}, "not inside zone"),
        ({"cdn_aliases": ["cdn.other.example"], "cdn_domain_name": "d.cloudfront.net"}, "not inside zone"),
        ({"request_interval_seconds": 60}, "10 or 30"),
        ({"failure_threshold": 11}, "1..10"),
        ({"checker_regions": ["us-east-1", "eu-west-1"]}, "at least three"),
        ({"checker_regions": ["us-east-1", "eu-west-1", "eu-central-1"]}, "at least three"),
        ({"endpoints": ENDPOINTS + [ENDPOINTS[0]]}, "one endpoint"),
        ({"alarm_topic_arn": None}, "alarm_topic_arn"),
        ({"cdn_aliases": ["cdn.acme.example"]}, "cdn_domain_name"),
    ],
)
def test_invalid_args_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        _args(**overrides)


def test_in_zone():
    assert in_zone("api.acme.example", "acme.example") and in_zone("acme.example.", "ACME.example")
    assert in_zone("*.cdn.acme.example", "acme.example") and not in_zone("notacme.example", "acme.example")


def test_the_alb_lookup_gives_the_dns_name_and_canonical_zone_of_the_regions_alb():
    def program():
        provider = aws.Provider("cell", region="us-west-2")
        parent = pulumi.ComponentResource("test:index:Parent", "parent", opts=pulumi.ResourceOptions(provider=provider))
        alb = lookup_alb(controller_alb_tags("c", "api", "api"), pulumi.Output.from_input("ready"), parent)
        pulumi.export("dns", alb.dns_name)
        pulumi.export("zone", alb.zone_id)

    outputs = run_program(program).outputs
    assert outputs["dns"].endswith(".us-west-2.elb.amazonaws.com") and outputs["zone"] == "Z1H1FL5HABSF5"

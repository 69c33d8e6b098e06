"""Global routing in the phase stacks: one latency record per serving region from phase 1 on,
promotion only adds records, the policy rule, and the ``platform:dns`` config."""

from __future__ import annotations

import json

import pytest

from infra.config import ConfigError, load_config, raw_namespace
from infra.offline.diff import diff_plans
from infra.offline.harness import PlanResult, stack_config
from policy.dns_rules import dns_health_checks
from policy.stack_rules import StackResource
from tests.conftest import plan_of

RECORD = "aws:route53/record:Record"
CHECK = "aws:route53/healthCheck:HealthCheck"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SERVING = {
    "phase1": ["us-east-1"],
    "phase2": ["us-east-1"],
    "phase3": ["us-east-1"],
    "phase4": ["us-east-1", "us-west-2", "eu-west-1"],
}


def _api_records(plan: PlanResult) -> list:
    return [r for r in plan.of_type(RECORD) if r.inputs.get("name") == "api.acme.example"]


@pytest.mark.parametrize("stack", sorted(SERVING))
def test_every_serving_region_and_only_those_has_a_health_checked_latency_record(stack):
    plan = plan_of(stack)
    records = _api_records(plan)
    assert sorted(r.inputs["setIdentifier"] for r in records) == sorted(SERVING[stack])
    for record in records:
        region = record.inputs["setIdentifier"]
        assert record.inputs["latencyRoutingPolicies"] == [{"region": region}]
        (alias,) = record.inputs["aliases"]
        assert alias["evaluateTargetHealth"] is True and alias["name"].endswith(f".{region}.elb.amazonaws.com")
        assert record.inputs["healthCheckId"]
    assert len(plan.of_type(CHECK)) == len(records)
    # The standby region of phase 3 has no ALB: no record, no check.
    assert not any(r.inputs["setIdentifier"] == "us-west-2" for r in records) or stack == "phase4"


@pytest.mark.parametrize("stack", sorted(SERVING))
def test_health_check_alarms_live_in_us_east_1_and_notify_the_edge_topic(stack):
    plan = plan_of(stack)
    alarms = [a for a in plan.of_type(ALARM) if a.inputs.get("metricName") == "HealthCheckStatus"]
    assert len(alarms) == len(plan.of_type(CHECK)) > 0
    topics = {t.urn for t in plan.of_type("aws:sns/topic:Topic") if t.region == "us-east-1" and "edge" in t.name}
    for alarm in alarms:
        assert alarm.region == "us-east-1" and alarm.inputs["name"].startswith("acme-prod-edge-dns-health-")
        assert set(alarm.property_dependencies["alarmActions"]) & topics


def test_the_api_ingress_routes_the_health_path_for_any_host():
    ingress = plan_of("phase1").named("use1-api-ingress")
    rules = ingress.inputs["spec"]["rules"]
    anyhost = [r for r in rules if "host" not in r]
    assert anyhost == [
        {
            "http": {
                "paths": [{"path": "/healthz", "pathType": "Exact", "backend": rules[0]["http"]["paths"][0]["backend"]}]
            }
        }
    ]


@pytest.mark.parametrize(("before", "after"), [("phase1", "phase2"), ("phase2", "phase3"), ("phase3", "phase4")])
def test_promotion_only_adds_dns_and_never_replaces_a_record(before, after):
    diff = diff_plans(plan_of(before), plan_of(after))
    dns = [c for c in diff.changes if c.type.startswith("aws:route53/") or "edge-dns" in c.name]
    assert all(c.action in ("create", "same", "update") for c in dns), [(c.name, c.action) for c in dns]
    kept = [c for c in dns if c.type == RECORD and c.action != "create"]
    for change in kept:
        assert "setIdentifier" not in change.changed and "latencyRoutingPolicies" not in change.changed


def test_phase_3_to_4_adds_the_two_new_regions_and_keeps_the_primarys_record():
    diff = diff_plans(plan_of("phase3"), plan_of("phase4"))
    by_name = {c.name: c for c in diff.changes}
    for code in ("usw2", "euw1"):
        for name in (f"edge-dns-api-{code}", f"edge-dns-health-{code}", f"edge-dns-health-alarm-{code}"):
            assert by_name[name].action == "create"
    primary = by_name["edge-dns-api-use1"]
    assert primary.action == "same", primary.changed
    assert not diff.unsafe


def _resources(plan: PlanResult, drop=lambda r: False, edit=lambda r: None) -> list[StackResource]:
    return [
        StackResource(r.type, r.urn, edit(r) or r.inputs, tuple(r.dependencies), r.property_dependencies, r.region)
        for r in plan.resources
        if not drop(r)
    ]


@pytest.mark.parametrize("stack", sorted(SERVING))
def test_the_dns_rule_passes_every_phase(stack):
    assert dns_health_checks(_resources(plan_of(stack))) == []


def test_a_latency_record_without_a_health_check_is_refused():
    def edit(r):
        if r.type == RECORD and r.name == "edge-dns-api-usw2":
            return {k: v for k, v in r.inputs.items() if k != "healthCheckId"}
        return None

    plan = plan_of("phase4")
    resources = [
        StackResource(r.type, r.urn, edit(r) or r.inputs, (), {}, r.region) if r.name == "edge-dns-api-usw2" else s
        for r, s in zip(plan.resources, _resources(plan), strict=True)
    ]
    found = dns_health_checks(resources)
    assert len(found) == 1 and "without a health check" in found[0][1] and "edge-dns-api-usw2" in found[0][0]


def test_a_latency_alias_that_ignores_target_health_is_refused():
    def edit(r):
        if r.type == RECORD and r.name == "edge-dns-api-use1":
            return {**r.inputs, "aliases": [{**r.inputs["aliases"][0], "evaluateTargetHealth": False}]}
        return None

    found = dns_health_checks(_resources(plan_of("phase1"), edit=edit))
    assert len(found) == 1 and "evaluate target health" in found[0][1]


def test_a_health_check_without_its_alarm_is_refused():
    plan = plan_of("phase4")
    found = dns_health_checks(_resources(plan, drop=lambda r: r.name == "edge-dns-health-alarm-euw1"))
    assert found == [(plan.named("edge-dns-health-euw1").urn, "health check without a HealthCheckStatus alarm")]


def test_a_health_check_alarm_outside_us_east_1_or_without_actions_is_refused():
    plan = plan_of("phase1")
    resources = [
        StackResource(
            s.type, s.urn, {**s.props, "alarmActions": []}, s.dependencies, s.property_dependencies, "eu-west-1"
        )
        if s.type == ALARM and s.props.get("metricName") == "HealthCheckStatus"
        else s
        for s in _resources(plan)
    ]
    messages = sorted(m for _, m in dns_health_checks(resources))
    assert len(messages) == 2 and "exists only in us-east-1" in messages[0] and "notifies nobody" in messages[1]


def test_a_cloudfront_alias_evaluating_target_health_is_refused():
    plan = plan_of("phase1")
    record = StackResource(
        RECORD,
        "urn:pulumi:phase1::platform::x::cdn",
        {"name": "cdn.acme.example", "aliases": [{"zoneId": "Z2FDTNDATAQYW2", "evaluateTargetHealth": True}]},
    )
    found = dns_health_checks([*_resources(plan), record])
    assert found == [(record.urn, "an alias to CloudFront cannot evaluate target health (AWS refuses it)")]


# --- platform:dns config ---


def _raw(stack: str = "phase1") -> dict:
    return raw_namespace(stack_config(stack))


def _load(raw: dict):
    return load_config(
        {f"platform:{k}": json.dumps(v) if isinstance(v, (dict, list)) else str(v) for k, v in raw.items()}
    )


def _error(raw: dict) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        _load(raw)
    return caught.value


def test_dns_defaults_are_documented_ones():
    dns = _load(_raw()).dns
    assert dns.hosted_zone_id == "Z0123456ACMEEXAMPLE" and dns.create_zone is False
    assert (dns.health_check_interval_seconds, dns.health_check_failure_threshold, dns.health_check_regions) == (
        30,
        3,
        [],
    )


@pytest.mark.parametrize(
    ("dns", "path", "fragment"),
    [
        ({"zoneName": "acme.example"}, "platform:dns", "exactly one of hostedZoneId"),
        ({"zoneName": "acme.example", "hostedZoneId": "Z1", "createZone": True}, "platform:dns", "exactly one"),
        ({"zoneName": "acme.example", "hostedZoneId": "/hostedzone/Z1"}, "platform:dns.hostedZoneId", "pattern"),
        (
            {"zoneName": "acme.example", "createZone": True, "healthCheckIntervalSeconds": 60},
            "platform:dns.healthCheckIntervalSeconds",
            "",
        ),
        (
            {"zoneName": "acme.example", "createZone": True, "healthCheckFailureThreshold": 0},
            "platform:dns.healthCheckFailureThreshold",
            "",
        ),
        (
            {"zoneName": "acme.example", "createZone": True, "healthCheckRegions": ["us-east-1", "eu-west-1"]},
            "platform:dns.healthCheckRegions",
            "three",
        ),
        (
            {"zoneName": "acme.example", "createZone": True, "healthCheckRegions": ["eu-central-1"] * 3},
            "platform:dns.healthCheckRegions[0]",
            "",
        ),
        ({"zoneName": "other.example", "createZone": True}, "platform:apps.api.host", "inside platform:dns.zoneName"),
    ],
)
def test_invalid_dns_config_names_the_key(dns, path, fragment):
    raw = _raw()
    raw["dns"] = dns
    error = _error(raw)
    assert error.path == path and fragment in str(error)


def test_cdn_aliases_must_be_inside_the_zone():
    raw = _raw()
    raw["assets"] = {
        "aliases": ["cdn.other.example"],
        "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/cdn",
    }
    assert _error(raw).path == "platform:assets.aliases[0]"


def test_cdn_aliases_get_records_in_the_stack():
    from infra.offline.harness import run_stack

    flat = stack_config("phase1")
    flat["platform:assets"] = json.dumps(
        {"aliases": ["cdn.acme.example"], "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/cdn"}
    )
    plan = run_stack("phase1", config=flat)
    cdn = [r for r in plan.of_type(RECORD) if r.inputs["name"] == "cdn.acme.example"]
    assert sorted(r.inputs["type"] for r in cdn) == ["A", "AAAA"]
    assert all(r.inputs["aliases"][0]["zoneId"] == "Z2FDTNDATAQYW2" for r in cdn)
    assert all(r.inputs["aliases"][0]["name"].endswith(".cloudfront.net") for r in cdn)


def test_without_platform_dns_nothing_is_routed_and_the_ingress_keeps_one_rule():
    from infra.offline.harness import run_stack

    flat = {k: v for k, v in stack_config("phase1").items() if k != "platform:dns"}
    plan = run_stack("phase1", config=flat)
    assert not [r for r in plan.resources if r.type.startswith("aws:route53/")]
    assert len(plan.named("use1-api-ingress").inputs["spec"]["rules"]) == 1

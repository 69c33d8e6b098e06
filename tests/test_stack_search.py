"""OpenSearch across the phases: none in 1-2, created by 2->3, resized in place by 3->4, wired to the apps."""

from __future__ import annotations

import json

import pytest

from infra.config import ConfigError, load_config
from infra.offline.diff import diff_plans
from infra.offline.harness import stack_config
from tests.conftest import plan_of

DOMAIN = "aws:opensearch/domain:Domain"


def _domain(stack: str):
    (domain,) = plan_of(stack).of_type(DOMAIN)
    return domain


@pytest.mark.parametrize("stack", ["phase1", "phase2"])
def test_no_search_before_phase_3(stack):
    assert plan_of(stack).of_type(DOMAIN) == []


@pytest.mark.parametrize(
    ("stack", "instance_type", "count", "volume"),
    [("phase3", "r7g.large.search", 3, 200), ("phase4", "r7g.xlarge.search", 3, 500)],
)
def test_phase_3_and_4_sizes(stack, instance_type, count, volume):
    domain = _domain(stack)
    cluster, ebs = domain.inputs["clusterConfig"], domain.inputs["ebsOptions"]
    assert (cluster["instanceType"], cluster["instanceCount"], ebs["volumeSize"]) == (instance_type, count, volume)
    assert cluster["zoneAwarenessConfig"] == {"availabilityZoneCount": 3}
    assert domain.inputs["domainName"] == "acme-prod-search"
    assert domain.region == "us-east-1" and domain.protect
    # Three private subnets of the primary cell, one per zone.
    assert len(domain.inputs["vpcOptions"]["subnetIds"]) == 3


def test_phase_2_to_3_creates_the_domain_safely():
    diff = diff_plans(plan_of("phase2"), plan_of("phase3"))
    (change,) = [c for c in diff.changes if c.type == DOMAIN]
    assert change.action == "create"
    assert diff.unsafe == [] or all(r.change.type != DOMAIN for r in diff.unsafe)


def test_phase_3_to_4_resizes_the_domain_in_place():
    diff = diff_plans(plan_of("phase3"), plan_of("phase4"))
    (change,) = [c for c in diff.changes if c.type == DOMAIN]
    assert change.action == "update", change
    assert set(change.changed) == {"clusterConfig", "ebsOptions"}
    assert change.forcing == []
    assert not [r for r in diff.unsafe if r.change.type == DOMAIN]


def test_the_apps_get_the_endpoint_and_only_es_http_on_the_domain():
    plan = plan_of("phase3")
    domain = _domain("phase3")
    maps = [
        r for r in plan.of_type("kubernetes:core/v1:ConfigMap") if "SEARCH_ENDPOINT" in (r.inputs.get("data") or {})
    ]
    assert {m.inputs["metadata"]["namespace"] for m in maps} == {"api", "worker"}
    assert all(m.inputs["data"]["SEARCH_ENDPOINT"].endswith(".us-east-1.es.amazonaws.com") for m in maps)
    policies = [json.loads(p.inputs["policy"]) for p in plan.of_type("aws:iam/rolePolicy:RolePolicy")]
    search = [s for p in policies for s in p["Statement"] if s.get("Sid") == "Search"]
    assert len(search) == 2
    for statement in search:
        assert statement["Action"] == ["es:ESHttp*"]
        assert statement["Resource"] == [f"arn:aws:es:us-east-1:123456789012:domain/{domain.id}/*"]


def test_alarms_notify_the_primary_cell_topic():
    plan = plan_of("phase3")
    alarms = [
        r for r in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if r.inputs.get("namespace") == "AWS/ES"
    ]
    assert {a.inputs["metricName"] for a in alarms} >= {
        "ClusterStatus.red",
        "ClusterStatus.yellow",
        "JVMMemoryPressure",
    }
    (topic,) = [t for t in plan.of_type("aws:sns/topic:Topic") if t.name == "use1-monitoring-alerts"]
    assert all(a.inputs["alarmActions"] == [f"arn:aws:sns:us-east-1:123456789012:{topic.id}"] for a in alarms)


def test_phase_3_without_search_is_refused():
    flat = stack_config("phase3")
    flat["platform:search"] = json.dumps({"enabled": False})
    with pytest.raises(ConfigError, match="platform:search.enabled"):
        load_config(flat)


@pytest.mark.parametrize(
    ("search", "key"),
    [
        ({"enabled": True, "engineVersion": "OpenSearch_9.9"}, "platform:search.engineVersion"),
        ({"enabled": True, "instanceType": "r5.large.search"}, "platform:search.instanceType"),
        ({"enabled": True, "instanceCount": 4}, "platform:search.instanceCount"),
        ({"enabled": True, "volumeSizeGb": 10, "iops": 6000}, "platform:search.iops"),
        ({"enabled": True, "iops": 3000, "throughputMibps": 1000}, "platform:search.throughputMibps"),
    ],
)
def test_unknown_or_impossible_search_settings_are_refused(search, key):
    flat = stack_config("phase3")
    flat["platform:search"] = json.dumps(search)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(flat)

"""AlbAlarms on its own: p95 latency, 5xx rate and unhealthy targets on one ALB, and the lookup."""

import pulumi
import pulumi_aws as aws
import pytest

from components.alb_alarms import (
    AlbAlarms,
    AlbAlarmsArgs,
    AlbThresholds,
    controller_alb_tags,
    lookup_alb_arn_suffix,
    unhealthy_hosts_query,
)
from tests.readable import run_program

SUFFIX = "app/k8s-api-api-0123456789/0123456789abcdef"
TOPIC = "arn:aws:sns:us-west-2:111122223333:acme-prod-usw2-alerts"


def _program(thresholds: AlbThresholds | None = None):
    def program():
        provider = aws.Provider("cell", region="us-west-2")
        alarms = AlbAlarms(
            "alb",
            AlbAlarmsArgs("acme-prod-usw2", "api", SUFFIX, TOPIC, thresholds or AlbThresholds()),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        pulumi.export("alarm_names", alarms.alarm_names)

    return program


@pytest.fixture(scope="module")
def result():
    return run_program(_program())


def _alarm(result, kind):
    return result.named(f"alb-{kind}")


def test_p95_target_response_time_against_300_ms(result):
    p95 = _alarm(result, "p95")
    assert p95.inputs["name"] == "acme-prod-usw2-alb-p95-api"
    assert (p95.inputs["namespace"], p95.inputs["metricName"]) == ("AWS/ApplicationELB", "TargetResponseTime")
    assert p95.inputs["extendedStatistic"] == "p95" and "statistic" not in p95.inputs
    assert p95.inputs["dimensions"] == {"LoadBalancer": SUFFIX}
    assert (p95.inputs["threshold"], p95.inputs["comparisonOperator"]) == (0.3, "GreaterThanThreshold")
    assert (p95.inputs["period"], p95.inputs["evaluationPeriods"], p95.inputs["datapointsToAlarm"]) == (60, 3, 3)
    assert p95.inputs["treatMissingData"] == "notBreaching"  # no requests is not slow


def test_5xx_rate_is_metric_math_over_request_count(result):
    rate = _alarm(result, "5xx")
    queries = {q["id"]: q for q in rate.inputs["metricQueries"]}
    assert queries["errors"]["metric"] == {
        "namespace": "AWS/ApplicationELB", "metricName": "HTTPCode_Target_5XX_Count",
        "dimensions": {"LoadBalancer": SUFFIX}, "period": 60, "stat": "Sum",
    }  # fmt: skip
    assert queries["requests"]["metric"]["metricName"] == "RequestCount"
    assert queries["rate"]["expression"] == "IF(requests > 0, 100 * FILL(errors, 0) / requests)"
    assert [q["id"] for q in queries.values() if q.get("returnData")] == ["rate"]
    assert rate.inputs["threshold"] == 1.0 and "metricName" not in rate.inputs


def test_unhealthy_hosts_is_a_metrics_insights_query_over_the_albs_target_groups(result):
    unhealthy = _alarm(result, "unhealthy")
    (query,) = unhealthy.inputs["metricQueries"]
    assert query["expression"] == (
        'SELECT MAX(UnHealthyHostCount) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer, TargetGroup) '
        f"WHERE LoadBalancer = '{SUFFIX}'"
    )
    assert query["period"] == 60 and query["returnData"] is True
    assert unhealthy.inputs["threshold"] == 0.0 and unhealthy.inputs["treatMissingData"] == "missing"


def test_every_alarm_notifies_both_ways_and_is_a_child(result):
    (component,) = result.of_type("platform:observability:AlbAlarms")
    alarms = result.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert len(alarms) == 3
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [TOPIC] == alarm.inputs["okActions"]
        assert alarm.parent == component.urn and alarm.region == "us-west-2"
    assert sorted(result.outputs["alarm_names"]) == sorted(a.inputs["name"] for a in alarms)


def test_thresholds_are_configurable():
    result = run_program(_program(AlbThresholds(p95_seconds=0.5, error_rate_percent=2, unhealthy_hosts=1)))
    assert [result.named(f"alb-{k}").inputs["threshold"] for k in ("p95", "5xx", "unhealthy")] == [0.5, 2.0, 1.0]


def test_the_lookup_uses_the_controllers_tags_and_waits_for_the_ingress():
    assert controller_alb_tags("acme-prod-use1", "api", "api") == {
        "elbv2.k8s.aws/cluster": "acme-prod-use1",
        "ingress.k8s.aws/stack": "api/api",
    }

    def program():
        provider = aws.Provider("cell", region="eu-west-1")
        parent = pulumi.ComponentResource("test:index:Parent", "parent", opts=pulumi.ResourceOptions(provider=provider))
        ready = pulumi.Output.from_input("k8s-api-api-abc.eu-west-1.elb.amazonaws.com")
        pulumi.export("suffix", lookup_alb_arn_suffix(controller_alb_tags("c", "api", "api"), ready, parent))

    suffix = run_program(program).outputs["suffix"]
    kind, name, ident = suffix.split("/")
    assert kind == "app" and name.startswith("k8s-api-api-") and len(name) <= 32 and len(ident) == 16


def test_a_label_making_names_too_long_is_rejected():
    with pytest.raises(ValueError, match="255"):
        AlbAlarmsArgs("p", "x" * 250, SUFFIX, TOPIC)


def test_the_query_quotes_the_load_balancer():
    assert unhealthy_hosts_query("app/a/b").endswith("WHERE LoadBalancer = 'app/a/b'")

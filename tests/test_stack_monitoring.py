"""Monitoring as each phase's real stack program builds it: storage, replica lag, RDS events, ALBs."""

from __future__ import annotations

import json

import pytest

from infra.config import load_config
from infra.offline.harness import stack_config
from tests.conftest import PHASES, plan_of

GIB = 1024**3


def _alarms(plan, kind: str) -> dict[str, dict]:
    return {
        a.inputs["name"]: a
        for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if f"-{kind}-" in a.inputs["name"]
    }


@pytest.mark.parametrize("stack", PHASES)
def test_free_storage_alarms_sit_below_the_autoscaling_trigger_from_day_one(stack):
    plan, db = plan_of(stack), load_config(stack_config(stack)).database
    alarms = _alarms(plan, "db-free-storage")
    assert alarms
    for alarm in alarms.values():
        assert (alarm.inputs["metricName"], alarm.inputs["statistic"]) == ("FreeStorageSpace", "Minimum")
        assert alarm.inputs["comparisonOperator"] == "LessThanThreshold"
        # 5% of the initial allocation: autoscaling triggers at <= 10% of an allocation that is
        # never smaller, and a new instance has all of it free, so normal operation never fires it.
        assert alarm.inputs["threshold"] == db.allocated_storage_gb * GIB * 5 / 100
        assert alarm.inputs["threshold"] < 0.10 * db.allocated_storage_gb * GIB
    if stack == "phase1":  # 50 GiB allocated, 500 GiB maximum
        assert {a.inputs["threshold"] for a in alarms.values()} == {2.5 * GIB}


def test_replica_lag_does_not_page_while_a_cross_region_replica_is_created():
    alarms = _alarms(plan_of("phase3"), "db-replica-lag")
    assert "acme-prod-usw2-db-replica-lag-acme-prod-usw2-db-replica-1" in alarms
    for alarm in alarms.values():
        assert (alarm.inputs["metricName"], alarm.inputs["statistic"]) == ("ReplicaLag", "Maximum")
        assert alarm.inputs["treatMissingData"] == "missing" and alarm.inputs["threshold"] == 30.0


def test_each_region_routes_its_instances_rds_events_to_its_alert_topic(phase_plan):
    rules = {r.region: r for r in phase_plan.of_type("aws:cloudwatch/eventRule:EventRule")}
    cells = phase_plan.of_type("platform:stack:Cell")
    assert len(rules) == len(cells)
    instances = phase_plan.of_type("aws:rds/instance:Instance")
    # The cells' own alert topics (the edge's lives in us-east-1 too; which registers last varies).
    topics = {
        t.region: t
        for t in phase_plan.of_type("aws:sns/topic:Topic")
        if t.inputs["name"].endswith("-alerts") and not t.name.startswith("edge-")
    }
    for region, rule in rules.items():
        pattern = json.loads(rule.inputs["eventPattern"])
        assert pattern["source"] == ["aws.rds"] and pattern["detail-type"] == ["RDS DB Instance Event"]
        local = sorted(i.inputs["identifier"] for i in instances if i.region == region)
        assert pattern["detail"]["SourceIdentifier"] == local
        assert {"RDS-EVENT-0224", "RDS-EVENT-0225", "RDS-EVENT-0221", "RDS-EVENT-0045"} <= set(
            pattern["detail"]["EventID"]
        )
        (target,) = [t for t in phase_plan.of_type("aws:cloudwatch/eventTarget:EventTarget") if t.region == region]
        assert target.inputs["rule"] == rule.inputs["name"] and "roleArn" not in target.inputs
        assert topics[region].urn in target.dependencies


def test_alert_topics_and_keys_let_eventbridge_publish(phase_plan):
    targeted = {u for t in phase_plan.of_type("aws:cloudwatch/eventTarget:EventTarget") for u in t.dependencies}
    topics = [t for t in phase_plan.of_type("aws:sns/topic:Topic") if t.urn in targeted]
    assert len(topics) == len(phase_plan.of_type("platform:stack:Cell"))
    for topic in topics:
        (policy,) = [p for p in phase_plan.of_type("aws:sns/topicPolicy:TopicPolicy") if topic.urn in p.dependencies]
        statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
        events = statements["AllowEventBridgeToPublish"]
        assert events["Principal"] == {"Service": "events.amazonaws.com"} and events["Action"] == "sns:Publish"
        assert "Condition" not in events and events["Resource"] == policy.inputs["arn"]
        (key,) = [r for r in phase_plan.of_type("aws:kms/key:Key") if r.urn in topic.dependencies]
        grants = [
            s
            for s in json.loads(key.inputs["policy"])["Statement"]
            if s["Principal"] == {"Service": "events.amazonaws.com"}
        ]
        assert [g["Action"] for g in grants] == [["kms:Decrypt", "kms:GenerateDataKey*"]]
        assert "Condition" not in grants[0]


@pytest.mark.parametrize(("stack", "regions"), [("phase1", ["us-east-1"]), ("phase3", ["us-east-1"]),
                                               ("phase4", ["eu-west-1", "us-east-1", "us-west-2"])])  # fmt: skip
def test_every_serving_region_alarms_on_its_api_alb(stack, regions):
    plan = plan_of(stack)
    p95 = _alarms(plan, "alb-p95")
    assert sorted(a.region for a in p95.values()) == regions  # phase 3's standby region serves nothing
    for alarm in p95.values():
        prefix = alarm.inputs["name"].removesuffix("-alb-p95-api")
        (suffix,) = alarm.inputs["dimensions"].values()
        assert suffix.startswith("app/k8s-api-api-")
        assert (alarm.inputs["metricName"], alarm.inputs["extendedStatistic"], alarm.inputs["threshold"]) == (
            "TargetResponseTime", "p95", 0.3,
        )  # fmt: skip
        rate = plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        (errors,) = [a for a in rate if a.inputs["name"] == f"{prefix}-alb-5xx-api"]
        metrics = [q["metric"] for q in errors.inputs["metricQueries"] if "metric" in q]
        assert {m["metricName"] for m in metrics} == {"HTTPCode_Target_5XX_Count", "RequestCount"}
        assert all(m["dimensions"] == {"LoadBalancer": suffix} for m in metrics)
        assert errors.inputs["threshold"] == 1.0
        (unhealthy,) = [a for a in rate if a.inputs["name"] == f"{prefix}-alb-unhealthy-api"]
        (query,) = unhealthy.inputs["metricQueries"]
        assert "MAX(UnHealthyHostCount)" in query["expression"] and f"'{suffix}'" in query["expression"]


def test_dashboards_show_the_alb_row_where_dashboards_are_on():
    assert plan_of("phase1").of_type("aws:cloudwatch/dashboard:Dashboard") == []
    dashboards = [
        d
        for d in plan_of("phase4").of_type("aws:cloudwatch/dashboard:Dashboard")
        if "-edge" not in d.inputs["dashboardName"]
    ]
    assert sorted(d.inputs["dashboardName"] for d in dashboards) == [
        "acme-prod-euw1",
        "acme-prod-use1",
        "acme-prod-usw2",
    ]
    for dashboard in dashboards:
        widgets = json.loads(dashboard.inputs["dashboardBody"])["widgets"]
        titles = [w["properties"]["title"] for w in widgets if w["y"] == 0]
        assert titles == ["ALB: target p95 response time (s)", "ALB: target 5xx rate (%)", "ALB: unhealthy targets"]
        assert all(w["properties"]["region"] == dashboard.region for w in widgets if w["y"] == 0)


def test_the_dashboard_shows_search_events_and_the_stream_where_they_run():
    def titles(stack: str) -> set[str]:
        (board,) = [d for d in plan_of(stack).of_type("aws:cloudwatch/dashboard:Dashboard") if "use1" in d.name]
        return {w["properties"]["title"].split(":")[0] for w in json.loads(board.inputs["dashboardBody"])["widgets"]}

    assert not {"Search", "Events", "Stream"} & titles("phase2")
    assert {"Search", "Events"} <= titles("phase3") and "Stream" not in titles("phase3")
    assert {"Search", "Events", "Stream"} <= titles("phase4")

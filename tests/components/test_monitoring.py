"""Monitoring on its own: exact seed thresholds, an encrypted CloudWatch-only topic, wired alarms,
retained encrypted log groups and a deterministic dashboard."""

import json

import pulumi
import pulumi_aws as aws
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.monitoring import (
    AlarmThresholds,
    DbTarget,
    Monitoring,
    MonitoringArgs,
    alarm_name,
    alarm_specs,
    dashboard_body,
    topic_policy,
)
from tests.readable import run_program

KEY = "arn:aws:kms:us-west-2:111122223333:key/abc"
ACCOUNT = "111122223333"
PRIMARY = DbTarget("acme-prod-db", max_connections=1000, allocated_storage_gb=100, is_replica=False)
REPLICA = DbTarget("acme-prod-db-r1", max_connections=1000, allocated_storage_gb=100, is_replica=True)
FULL = {
    "alert_emails": ["oncall@acme.example", "cto@acme.example"],
    "db_instances": [PRIMARY, REPLICA],
    "cache_nodes": ["acme-prod-redis-001", "acme-prod-redis-002", "acme-prod-redis-003"],
    "queues": ["acme-prod-jobs"],
    "dead_letter_queues": ["acme-prod-jobs-dlq"],
    "app_log_groups": ["/platform/acme-prod/api", "/platform/acme-prod/worker"],
    "tags": {"Team": "platform"},
}


def _args(**overrides) -> MonitoringArgs:
    return MonitoringArgs(name="acme-prod-usw2", account_id=ACCOUNT, kms_key_arn=KEY, **overrides)


def _program(region="us-west-2", **overrides):
    def program():
        provider = aws.Provider("cell", region=region)
        monitoring = Monitoring("mon", _args(**overrides), opts=pulumi.ResourceOptions(provider=provider))
        for key in ("topic_arn", "alarm_names", "dashboard_name", "log_group_names"):
            pulumi.export(key, getattr(monitoring, key))

    return program


@pytest.fixture(scope="module")
def full():
    """The component with every kind of target, as the topic, alarm and dashboard tests see it."""
    return run_program(_program(**FULL))


def _by_kind(specs):
    return {(s.kind, s.target): s for s in specs}


def test_db_alarms_use_seed_thresholds_and_sustained_periods():
    specs = _by_kind(alarm_specs(_args(db_instances=[PRIMARY, REPLICA])))
    cpu = specs["db-cpu", "acme-prod-db"]
    assert (cpu.namespace, cpu.metric_name, cpu.comparison, cpu.threshold) == (
        "AWS/RDS", "CPUUtilization", "GreaterThanThreshold", 70.0,
    )  # fmt: skip
    assert (cpu.period, cpu.evaluation_periods, cpu.datapoints_to_alarm) == (300, 3, 3)
    assert cpu.dimensions == {"DBInstanceIdentifier": "acme-prod-db"}
    assert specs["db-connections", "acme-prod-db"].threshold == 800.0
    storage = specs["db-free-storage", "acme-prod-db"]
    assert storage.comparison == "LessThanThreshold"
    # 5% of the initial 100 GiB, in bytes: below autoscaling's 10% trigger at the smallest allocation.
    assert (storage.metric_name, storage.statistic, storage.threshold) == ("FreeStorageSpace", "Minimum", 5 * 1024**3)
    assert storage.threshold < 0.10 * PRIMARY.allocated_storage_gb * 1024**3
    lag = [s for s in specs.values() if s.kind == "db-replica-lag"]
    assert [s.target for s in lag] == ["acme-prod-db-r1"]
    # A replica being created reports no lag: that must not page (its failure events do).
    assert lag[0].threshold == 30.0 and lag[0].treat_missing_data == "missing"
    assert cpu.name == "acme-prod-usw2-db-cpu-acme-prod-db"


def test_cache_queue_dlq_and_cdn_alarms():
    specs = alarm_specs(_args(cache_nodes=FULL["cache_nodes"], queues=["q"], dead_letter_queues=["dlq"],
                              cdn_distribution_ids=["E123"]))  # fmt: skip
    cache = [s for s in specs if s.namespace == "AWS/ElastiCache"]
    assert len(cache) == 9
    node = _by_kind(s for s in cache if s.target == "acme-prod-redis-002")
    assert node["cache-cpu", "acme-prod-redis-002"].metric_name == "EngineCPUUtilization"
    assert node["cache-cpu", "acme-prod-redis-002"].threshold == 70.0
    assert node["cache-memory", "acme-prod-redis-002"].metric_name == "DatabaseMemoryUsagePercentage"
    assert node["cache-memory", "acme-prod-redis-002"].threshold == 80.0
    evictions = node["cache-evictions", "acme-prod-redis-002"]
    assert (evictions.metric_name, evictions.statistic, evictions.threshold) == ("Evictions", "Sum", 0.0)
    assert evictions.dimensions == {"CacheClusterId": "acme-prod-redis-002"}
    by_kind = _by_kind(specs)
    age = by_kind["queue-age", "q"]
    assert (age.metric_name, age.threshold, age.dimensions) == (
        "ApproximateAgeOfOldestMessage", 300.0, {"QueueName": "q"},
    )  # fmt: skip
    dlq = by_kind["dlq-depth", "dlq"]
    assert (dlq.metric_name, dlq.comparison, dlq.threshold, dlq.evaluation_periods) == (
        "ApproximateNumberOfMessagesVisible", "GreaterThanThreshold", 0.0, 1,
    )  # fmt: skip
    cdn = by_kind["cdn-5xx", "0"]
    assert (cdn.namespace, cdn.metric_name, cdn.threshold) == ("AWS/CloudFront", "5xxErrorRate", 1.0)
    assert cdn.dimensions == {"DistributionId": "E123", "Region": "Global"}
    assert cdn.name == "acme-prod-usw2-cdn-5xx-0"


def test_thresholds_are_configurable():
    specs = alarm_specs(_args(db_instances=[PRIMARY], thresholds=AlarmThresholds(db_connections_percent=50)))
    assert _by_kind(specs)["db-connections", "acme-prod-db"].threshold == 500.0


def test_alarm_name_rejects_names_cloudwatch_would():
    assert alarm_name("p", "db-cpu", "x") == "p-db-cpu-x"
    assert len(alarm_name("p", "k", "x" * 251)) == 255
    with pytest.raises(ValueError, match="255"):
        alarm_name("p", "k", "x" * 252)


_IDS = st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True), max_size=6, unique=True)


@settings(max_examples=60, deadline=None)
@given(dbs=st.lists(st.booleans(), max_size=5), caches=_IDS, queues=_IDS, dlqs=_IDS, cdns=_IDS)
def test_alarm_counts_follow_targets(dbs, caches, queues, dlqs, cdns):
    targets = [DbTarget(f"db{i}", 100, 20, replica) for i, replica in enumerate(dbs)]
    args = _args(db_instances=targets, cache_nodes=caches, queues=queues, dead_letter_queues=dlqs,
                 cdn_distribution_ids=cdns)  # fmt: skip
    specs = alarm_specs(args)
    expected = 3 * len(dbs) + sum(dbs) + 3 * len(caches) + len(queues) + len(dlqs) + len(cdns)
    assert len(specs) == expected
    assert len({(s.kind, s.target) for s in specs}) == expected  # logical names never collide
    assert all(s.name.startswith("acme-prod-usw2-") for s in specs)


def test_topic_policy_lets_only_own_cloudwatch_alarms_publish_over_tls():
    arn = "arn:aws:sns:eu-west-1:111122223333:acme-alerts"
    allow, deny = json.loads(topic_policy(arn, ACCOUNT, "acme"))["Statement"]
    assert allow["Effect"] == "Allow" and allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish" and allow["Resource"] == arn
    assert allow["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:acme-*"},
    }
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Resource"] == arn
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_dashboard_body_has_a_row_per_kind_present_and_is_deterministic():
    body = dashboard_body("us-west-2", ["db1"], [], ["q"], ["dlq"], ["E1"])
    assert body == dashboard_body("us-west-2", ["db1"], [], ["q"], ["dlq"], ["E1"])
    widgets = json.loads(body)["widgets"]
    assert sorted({w["y"] for w in widgets}) == [0, 6, 12, 18]  # db, queue, dlq, cdn: no cache row
    lines = [line for w in widgets for line in w["properties"]["metrics"]]
    assert ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", "db1"] in lines
    assert ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "q"] in lines
    assert ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "dlq"] in lines
    assert ["AWS/CloudFront", "5xxErrorRate", "DistributionId", "E1", "Region", "Global"] in lines
    assert not any(line[0] == "AWS/ElastiCache" for line in lines)
    regions = {w["properties"]["title"]: w["properties"]["region"] for w in widgets}
    assert regions["CDN: 5xxErrorRate"] == "us-east-1" and regions["Database: CPUUtilization"] == "us-west-2"
    assert all(w["x"] + w["width"] <= 24 for w in widgets)
    assert json.loads(dashboard_body("us-west-2", [], [], [], [], [])) == {"widgets": []}


def test_topic_is_encrypted_cloudwatch_only_and_subscribed_per_email(full):
    (topic,) = full.of_type("aws:sns/topic:Topic")
    assert topic.inputs["name"] == "acme-prod-usw2-alerts"
    assert topic.inputs["kmsMasterKeyId"] == KEY
    assert topic.region == "us-west-2"
    assert topic.inputs["tags"] == {"ManagedBy": "pulumi", "Team": "platform", "Name": "acme-prod-usw2-alerts"}
    (policy,) = full.of_type("aws:sns/topicPolicy:TopicPolicy")
    topic_arn = full.outputs["topic_arn"]
    assert policy.inputs["arn"] == topic_arn
    expected = topic_policy(topic_arn, ACCOUNT, "acme-prod-usw2", eventbridge=True)
    assert json.loads(policy.inputs["policy"]) == json.loads(expected)
    subscriptions = full.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted(s.inputs["endpoint"] for s in subscriptions) == sorted(FULL["alert_emails"])
    assert all(s.inputs["protocol"] == "email" and s.inputs["topic"] == topic_arn for s in subscriptions)
    component = full.of_type("platform:observability:Monitoring")[0]
    # Every resource is the component's child, or the child of its RDS-events child component.
    (events,) = full.of_type("platform:observability:DbEvents")
    assert events.parent == component.urn and events.name == "mon-db-events"
    parents = {r.parent for r in full.resources if r.custom and r.type != "pulumi:providers:aws"}
    assert parents == {component.urn, events.urn}


def test_alarms_notify_the_topic_on_alarm_and_recovery(full):
    alarms = full.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert len(alarms) == 3 * 2 + 1 + 3 * 3 + 1 + 1
    topic_arn = full.outputs["topic_arn"]
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [topic_arn] and alarm.inputs["okActions"] == [topic_arn]
        assert alarm.inputs["treatMissingData"] in {"missing", "notBreaching", "breaching", "ignore"}
        assert alarm.inputs["tags"]["Name"] == alarm.inputs["name"]
        assert alarm.region == "us-west-2" and not alarm.protect
    cpu = full.named("mon-db-cpu-acme-prod-db")
    assert cpu.inputs["name"] == "acme-prod-usw2-db-cpu-acme-prod-db"
    assert cpu.inputs["dimensions"] == {"DBInstanceIdentifier": "acme-prod-db"}
    assert sorted(full.outputs["alarm_names"]) == sorted(a.inputs["name"] for a in alarms)


def test_log_groups_are_encrypted_retained_and_protected():
    result = run_program(_program(**FULL, log_retention_days=731))
    groups = result.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert sorted(g.name for g in groups) == ["mon-log-platform-acme-prod-api", "mon-log-platform-acme-prod-worker"]
    for group in groups:
        assert group.inputs["kmsKeyId"] == KEY
        assert group.inputs["retentionInDays"] == 731
        assert group.inputs["deletionProtectionEnabled"] is True
        assert group.protect is True
    assert result.outputs["log_group_names"] == FULL["app_log_groups"]


@pytest.mark.parametrize("days", [30, 364, 366, 0])
def test_retention_below_a_year_or_not_offered_by_cloudwatch_is_rejected(days):
    with pytest.raises(ValueError, match="log_retention_days"):
        _args(log_retention_days=days)


def test_duplicate_emails_are_rejected():
    with pytest.raises(ValueError, match="alert_emails"):
        _args(alert_emails=["a@x.example", "a@x.example"])


def test_empty_targets_still_give_a_topic_and_defined_outputs():
    result = run_program(_program(dashboard=False))
    assert len(result.of_type("aws:sns/topic:Topic")) == 1
    assert len(result.of_type("aws:sns/topicPolicy:TopicPolicy")) == 1
    for token in ("aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/logGroup:LogGroup",
                  "aws:cloudwatch/dashboard:Dashboard", "aws:sns/topicSubscription:TopicSubscription"):  # fmt: skip
        assert result.of_type(token) == []
    assert result.outputs["alarm_names"] == [] and result.outputs["log_group_names"] == []
    assert result.outputs["dashboard_name"] == ""


def test_dashboard_is_named_after_the_prefix_and_uses_the_cells_region(full):
    (dashboard,) = full.of_type("aws:cloudwatch/dashboard:Dashboard")
    assert dashboard.inputs["dashboardName"] == full.outputs["dashboard_name"] == "acme-prod-usw2"
    widgets = json.loads(dashboard.inputs["dashboardBody"])["widgets"]
    assert {w["properties"]["region"] for w in widgets} == {"us-west-2"}


def test_cdn_alarms_in_us_east_1_take_distribution_ids_from_outputs():
    def program():
        provider = aws.Provider("global", region="us-east-1")
        Monitoring(
            "edge",
            MonitoringArgs(
                name="acme-prod-global",
                account_id=ACCOUNT,
                kms_key_arn=KEY,
                cdn_distribution_ids=[pulumi.Output.from_input("E2ABC")],
            ),
            opts=pulumi.ResourceOptions(provider=provider),
        )

    result = run_program(program)
    alarm = result.named("edge-cdn-5xx-0")
    assert alarm.region == "us-east-1"
    assert alarm.inputs["dimensions"] == {"DistributionId": "E2ABC", "Region": "Global"}
    assert alarm.inputs["threshold"] == 1.0
    body = json.loads(result.of_type("aws:cloudwatch/dashboard:Dashboard")[0].inputs["dashboardBody"])
    assert body["widgets"][0]["properties"]["metrics"][0][3] == "E2ABC"


def test_topic_policy_lets_eventbridge_publish_only_when_asked():
    arn = "arn:aws:sns:eu-west-1:111122223333:acme-alerts"
    assert [s["Sid"] for s in json.loads(topic_policy(arn, ACCOUNT, "acme"))["Statement"]] == [
        "AllowCloudWatchAlarmsToPublish", "DenyInsecureTransport",
    ]  # fmt: skip
    statements = {s["Sid"]: s for s in json.loads(topic_policy(arn, ACCOUNT, "acme", eventbridge=True))["Statement"]}
    # EventBridge does not support a Condition block in SNS topic policies.
    assert statements["AllowEventBridgeToPublish"] == {
        "Sid": "AllowEventBridgeToPublish",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": arn,
    }
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"


def test_db_instances_get_an_event_rule_targeting_the_topic(full):
    (rule,) = full.of_type("aws:cloudwatch/eventRule:EventRule")
    assert rule.name == "mon-db-events-rule" and rule.inputs["name"] == "acme-prod-usw2-db-events"
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["source"] == ["aws.rds"] and pattern["detail-type"] == ["RDS DB Instance Event"]
    assert pattern["detail"]["SourceIdentifier"] == ["acme-prod-db", "acme-prod-db-r1"]
    (target,) = full.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert target.inputs["arn"] == full.outputs["topic_arn"] and "roleArn" not in target.inputs
    assert target.inputs["rule"] == "acme-prod-usw2-db-events"


def test_no_databases_means_no_event_rule_and_no_eventbridge_statement():
    result = run_program(_program(queues=["q"]))
    assert result.of_type("aws:cloudwatch/eventRule:EventRule") == []
    (policy,) = result.of_type("aws:sns/topicPolicy:TopicPolicy")
    assert "events.amazonaws.com" not in policy.inputs["policy"]


@pytest.mark.parametrize("percent", [0, 10, 12.5, -1])
def test_a_free_storage_floor_at_or_above_the_autoscaling_trigger_is_rejected(percent):
    with pytest.raises(ValueError, match="db_free_storage_floor_percent"):
        AlarmThresholds(db_free_storage_floor_percent=percent)


def test_load_balancers_get_alb_alarms_and_a_dashboard_row():
    suffix = "app/k8s-api-api-0123456789/0123456789abcdef"
    result = run_program(_program(db_instances=[PRIMARY], load_balancers={"api": pulumi.Output.from_input(suffix)}))
    alarms = {a.inputs["name"]: a for a in result.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    names = {"acme-prod-usw2-alb-p95-api", "acme-prod-usw2-alb-5xx-api", "acme-prod-usw2-alb-unhealthy-api"}
    assert names <= set(alarms) and names <= set(result.outputs["alarm_names"])
    assert alarms["acme-prod-usw2-alb-p95-api"].inputs["dimensions"] == {"LoadBalancer": suffix}
    (component,) = result.of_type("platform:observability:AlbAlarms")
    assert component.name == "mon-alb-api"
    widgets = json.loads(result.of_type("aws:cloudwatch/dashboard:Dashboard")[0].inputs["dashboardBody"])["widgets"]
    alb_row = [w for w in widgets if w["y"] == 0]
    assert [w["properties"]["title"] for w in alb_row] == [
        "ALB: target p95 response time (s)", "ALB: target 5xx rate (%)", "ALB: unhealthy targets",
    ]  # fmt: skip
    assert alb_row[0]["properties"]["stat"] == "p95"
    assert alb_row[0]["properties"]["metrics"] == [
        ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", suffix, {"label": "api"}]
    ]
    (query,) = alb_row[2]["properties"]["metrics"]
    assert f"WHERE LoadBalancer = '{suffix}'" in query[0]["expression"]
    assert {w["properties"]["title"] for w in widgets if w["y"] == 6} >= {"Database: FreeStorageSpace"}

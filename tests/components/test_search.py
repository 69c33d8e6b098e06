"""The OpenSearch domain on its own: private, three zones, encrypted, IAM-authenticated, logged, alarmed."""

import json

import pulumi
import pulumi_aws as aws
import pytest

from components.search import (
    LOG_TYPES,
    MAX_LOG_POLICY_CHARS,
    TLS_POLICIES,
    TLS_POLICY,
    SearchDomain,
    SearchDomainArgs,
    alarm_specs,
    check_domain_name,
    log_resource_policy,
)
from infra.offline.harness import run_program

KEY = "arn:aws:kms:us-east-1:111122223333:key/search"
ROLE = "arn:aws:iam::111122223333:role/platform-deployer"
TOPIC = "arn:aws:sns:us-east-1:111122223333:alerts"


def _args(**overrides) -> SearchDomainArgs:
    values = {
        "domain_name": "acme-prod-search",
        "region": "us-east-1",
        "account_id": "111122223333",
        "vpc_id": "vpc-123",
        "subnet_ids": ["subnet-a", "subnet-b", "subnet-c"],
        "client_cidr_blocks": ["10.10.32.0/20", "10.10.48.0/20", "10.10.64.0/20"],
        "kms_key_arn": KEY,
        "master_user_arn": ROLE,
        "alarm_topic_arn": TOPIC,
        "tags": {"Team": "platform"},
    }
    return SearchDomainArgs(**{**values, **overrides})


def _run(**overrides):
    def program():
        provider = aws.Provider("use1", region="us-east-1")
        search = SearchDomain("search", _args(**overrides), opts=pulumi.ResourceOptions(provider=provider))
        pulumi.export("endpoint", search.endpoint)

    return run_program(program)


@pytest.fixture(scope="module")
def plan():
    return _run()


def test_three_zones_dedicated_masters_graviton(plan):
    cluster = plan.named("search-domain").inputs["clusterConfig"]
    assert cluster["zoneAwarenessEnabled"] is True
    assert cluster["zoneAwarenessConfig"] == {"availabilityZoneCount": 3}
    assert cluster["dedicatedMasterEnabled"] is True
    assert cluster["dedicatedMasterCount"] == 3
    assert cluster["dedicatedMasterType"] == "m7g.large.search"
    assert cluster["instanceType"] == "r7g.large.search"
    assert cluster["instanceCount"] % 3 == 0


def test_encrypted_https_only_fine_grained_iam(plan):
    inputs = plan.named("search-domain").inputs
    assert inputs["encryptAtRest"] == {"enabled": True, "kmsKeyId": KEY}
    assert inputs["nodeToNodeEncryption"] == {"enabled": True}
    assert inputs["domainEndpointOptions"] == {"enforceHttps": True, "tlsSecurityPolicy": TLS_POLICY}
    assert TLS_POLICY in TLS_POLICIES
    security = inputs["advancedSecurityOptions"]
    assert security["enabled"] is True and security["internalUserDatabaseEnabled"] is False
    assert security["masterUserOptions"] == {"masterUserArn": ROLE}
    policy = json.loads(inputs["accessPolicies"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert statement["Resource"] == "arn:aws:es:us-east-1:111122223333:domain/acme-prod-search/*"


def test_private_gp3_and_maintenance_in_the_off_peak_window(plan):
    inputs = plan.named("search-domain").inputs
    assert inputs["vpcOptions"]["subnetIds"] == ["subnet-a", "subnet-b", "subnet-c"]
    assert inputs["ebsOptions"] == {
        "ebsEnabled": True,
        "volumeType": "gp3",
        "volumeSize": 100,
        "iops": 3000,
        "throughput": 125,
    }
    assert inputs["autoTuneOptions"]["useOffPeakWindow"] is True
    assert inputs["offPeakWindowOptions"]["enabled"] is True
    assert inputs["softwareUpdateOptions"] == {"autoSoftwareUpdateEnabled": True}
    assert inputs["engineVersion"] == "OpenSearch_2.19"
    assert "snapshotOptions" not in inputs


def test_only_the_app_subnets_reach_443_and_nothing_leaves(plan):
    rules = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted(r.inputs["cidrIpv4"] for r in rules) == ["10.10.32.0/20", "10.10.48.0/20", "10.10.64.0/20"]
    assert {(r.inputs["fromPort"], r.inputs["toPort"]) for r in rules} == {(443, 443)}
    assert plan.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") == []


def test_domain_and_log_groups_are_protected(plan):
    assert plan.named("search-domain").protect
    groups = plan.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert len(groups) == 4
    for group in groups:
        assert group.protect and group.inputs["deletionProtectionEnabled"] is True
        assert group.inputs["kmsKeyId"] == KEY and group.inputs["retentionInDays"] == 365
    published = plan.named("search-domain").inputs["logPublishingOptions"]
    assert sorted(p["logType"] for p in published) == sorted(LOG_TYPES)


def test_log_policy_lets_only_this_domain_write_and_precedes_it(plan):
    policy = plan.named("search-log-policy")
    document = json.loads(policy.inputs["policyDocument"])
    (statement,) = document["Statement"]
    assert statement["Principal"] == {"Service": "es.amazonaws.com"}
    assert sorted(statement["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"].endswith(":domain/acme-prod-search")
    prefix = "arn:aws:logs:us-east-1:111122223333:log-group:/aws/opensearch/"
    assert all(r.startswith(prefix) for r in statement["Resource"])
    assert policy.urn in plan.named("search-domain").dependencies


def test_log_policy_stays_within_the_cloudwatch_limit():
    assert len(log_resource_policy("ap-southeast-1", "111122223333", "a" * 28)) <= MAX_LOG_POLICY_CHARS


def test_recommended_alarms_notify_the_topic(plan):
    alarms = plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert {a.inputs["metricName"] for a in alarms} >= {
        "ClusterStatus.red",
        "ClusterStatus.yellow",
        "FreeStorageSpace",
        "JVMMemoryPressure",
        "CPUUtilization",
        "MasterReachableFromNode",
    }
    for alarm in alarms:
        assert alarm.inputs["namespace"] == "AWS/ES"
        assert alarm.inputs["dimensions"] == {"DomainName": "acme-prod-search", "ClientId": "111122223333"}
        assert alarm.inputs["alarmActions"] == [TOPIC]
    free = next(s for s in alarm_specs(100) if s.metric_name == "FreeStorageSpace")
    assert free.threshold == 25600


def test_no_topic_no_alarms():
    assert _run(alarm_topic_arn=None).of_type("aws:cloudwatch/metricAlarm:MetricAlarm") == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"domain_name": "Acme"},
        {"domain_name": "a" * 29},
        {"instance_count": 4},
        {"subnet_ids": ["subnet-a", "subnet-b"]},
        {"instance_type": "r5.large.search"},
        {"iops": 2000},
        {"throughput_mibps": 900},
        {"engine_version": "Elasticsearch_7.10"},
        {"client_cidr_blocks": ["0.0.0.0/0"]},
        {"log_retention_days": 30},
    ],
)
def test_refuses_what_aws_or_our_rules_refuse(overrides):
    with pytest.raises(ValueError):
        _args(**overrides)


def test_domain_names():
    assert check_domain_name("acme-prod-search") == "acme-prod-search"

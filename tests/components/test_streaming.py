"""The Kinesis event stream on its own: provisioned, SSE-KMS, protected, and its two alarms."""

import pulumi
import pulumi_aws as aws
import pytest

from components.streaming import EventStream, StreamArgs
from infra.offline.harness import run_program

KEY = "arn:aws:kms:eu-west-1:111122223333:key/stream"
ALERTS = "arn:aws:sns:eu-west-1:111122223333:alerts"


def _run(**overrides):
    def program():
        provider = aws.Provider("euw1", region="eu-west-1")
        args = StreamArgs(name="acme-prod-euw1-events", kms_key_arn=KEY, alarm_topic_arn=ALERTS, **overrides)
        stream = EventStream("st", args, opts=pulumi.ResourceOptions(provider=provider))
        pulumi.export("name", stream.stream_name)
        pulumi.export("alarms", stream.alarm_names)

    return run_program(program)


@pytest.fixture(scope="module")
def plan():
    return _run()


def test_stream_is_provisioned_encrypted_protected(plan):
    (stream,) = plan.of_type("aws:kinesis/stream:Stream")
    assert stream.protect
    assert stream.inputs["name"] == "acme-prod-euw1-events"
    assert stream.inputs["streamModeDetails"] == {"streamMode": "PROVISIONED"}
    assert stream.inputs["shardCount"] == 4 and stream.inputs["retentionPeriod"] == 24
    assert stream.inputs["encryptionType"] == "KMS" and stream.inputs["kmsKeyId"] == KEY
    assert stream.inputs.get("shardLevelMetrics", []) == []
    assert stream.inputs["enforceConsumerDeletion"] is False


def test_alarms_on_lag_and_throttling(plan):
    alarms = {a.inputs["name"]: a.inputs for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    age = alarms["acme-prod-euw1-stream-iterator-age"]
    assert age["metricName"] == "GetRecords.IteratorAgeMilliseconds" and age["threshold"] == 300_000
    assert age["statistic"] == "Maximum" and age["treatMissingData"] == "missing"
    throttle = alarms["acme-prod-euw1-stream-write-throttled"]
    assert throttle["metricName"] == "WriteProvisionedThroughputExceeded" and throttle["statistic"] == "Sum"
    for alarm in alarms.values():
        assert alarm["namespace"] == "AWS/Kinesis" and alarm["dimensions"] == {"StreamName": "acme-prod-euw1-events"}
        assert alarm["alarmActions"] == [ALERTS] and alarm["evaluationPeriods"] == 5


def test_shard_level_metrics_are_passed_sorted():
    plan = _run(shard_level_metrics=["OutgoingBytes", "IncomingBytes"])
    (stream,) = plan.of_type("aws:kinesis/stream:Stream")
    assert stream.inputs["shardLevelMetrics"] == ["IncomingBytes", "OutgoingBytes"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"shard_count": 0}, "at least 1"),
        ({"retention_hours": 23}, "24-8760"),
        ({"retention_hours": 8761}, "24-8760"),
        ({"shard_level_metrics": ["Bogus"]}, "not among"),
        ({"name": "bad name"}, "stream name"),
    ],
)
def test_arguments_kinesis_refuses_are_refused(overrides, message):
    args = {"name": "acme-prod-euw1-events", "kms_key_arn": KEY, **overrides}
    with pytest.raises(ValueError, match=message):
        StreamArgs(**args)

"""Events on their own: topics, raw-delivery subscriptions with their own DLQs, filter policies,
publisher-only TLS topic policies and delivery-failure alarms."""

import json

import pulumi
import pulumi_aws as aws
import pytest

from components.events import (
    Events,
    EventsArgs,
    SubscriptionSpec,
    TopicSpec,
    subscription_dlq_name,
    topic_policy,
    validate_filter_policy,
)
from tests.readable import run_program

ACCOUNT = "111122223333"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/events"
API = "arn:aws:iam::111122223333:role/api"
QUEUES = {"jobs": "arn:aws:sqs:eu-west-1:111122223333:jobs", "emails": "arn:aws:sqs:eu-west-1:111122223333:emails"}
FILTER = {"type": ["order-confirmed"]}


def _run(alarm_topic="arn:aws:sns:eu-west-1:111122223333:alerts"):
    def program():
        provider = aws.Provider("euw1", region="eu-west-1")
        events = Events(
            "ev",
            EventsArgs(
                name_prefix="acme-prod-euw1",
                topics=[TopicSpec("orders", (SubscriptionSpec("jobs"), SubscriptionSpec("emails", FILTER)))],
                queue_arns=QUEUES,
                account_id=ACCOUNT,
                kms_key_arn=KEY,
                publisher_role_arns=[API],
                alarm_topic_arn=alarm_topic,
                tags={"Team": "platform"},
            ),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        pulumi.export("sources", events.sources)
        pulumi.export("dlq_names", events.dlq_names)

    return run_program(program)


@pytest.fixture(scope="module")
def plan():
    return _run()


def test_topic_is_encrypted_and_named_from_the_prefix(plan):
    (topic,) = plan.of_type("aws:sns/topic:Topic")
    assert topic.inputs["name"] == "acme-prod-euw1-orders"
    assert topic.inputs["kmsMasterKeyId"] == KEY


def test_every_subscription_is_raw_with_its_own_protected_encrypted_dlq(plan):
    subs = {s.name: s.inputs for s in plan.of_type("aws:sns/topicSubscription:TopicSubscription")}
    assert set(subs) == {"ev-orders-jobs", "ev-orders-emails"}
    dlqs = {q.name: q for q in plan.of_type("aws:sqs/queue:Queue")}
    for queue, inputs in (("jobs", subs["ev-orders-jobs"]), ("emails", subs["ev-orders-emails"])):
        assert inputs["protocol"] == "sqs" and inputs["rawMessageDelivery"] is True
        assert inputs["endpoint"] == QUEUES[queue]
        dlq = dlqs[f"ev-orders-{queue}-sdlq"]
        assert dlq.protect and dlq.inputs["kmsMasterKeyId"] == KEY and dlq.inputs["fifoQueue"] is False
        assert dlq.inputs["name"] == f"acme-prod-euw1-orders-{queue}-sdlq"
        target = json.loads(inputs["redrivePolicy"])["deadLetterTargetArn"]
        assert target.endswith(f"ev-orders-{queue}-sdlq")
    assert json.loads(subs["ev-orders-emails"]["filterPolicy"]) == FILTER
    assert subs["ev-orders-emails"]["filterPolicyScope"] == "MessageAttributes"
    assert "filterPolicy" not in subs["ev-orders-jobs"]
    assert plan.outputs["dlq_names"] == {
        "orders/jobs": "acme-prod-euw1-orders-jobs-sdlq",
        "orders/emails": "acme-prod-euw1-orders-emails-sdlq",
    }


def test_dlq_policy_admits_only_sns_from_its_topic(plan):
    (policy,) = [p for p in plan.of_type("aws:sqs/queuePolicy:QueuePolicy") if p.name == "ev-orders-jobs-sdlq-policy"]
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    topic = "arn:aws:sns:eu-west-1:123456789012:ev-orders"
    assert statements["AllowTopicsToSend"]["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statements["AllowTopicsToSend"]["Action"] == "sqs:SendMessage"
    assert statements["AllowTopicsToSend"]["Condition"] == {"ArnEquals": {"aws:SourceArn": [topic]}}
    assert statements["DenyOtherAccounts"]["Condition"]["ArnNotEquals"] == {"aws:SourceArn": [topic]}
    assert set(statements) == {"DenyInsecureTransport", "DenyOtherAccounts", "AllowTopicsToSend"}


def test_sources_map_each_queue_to_its_topics(plan):
    topic = "arn:aws:sns:eu-west-1:123456789012:ev-orders"
    assert plan.outputs["sources"] == {"jobs": [topic], "emails": [topic]}


def test_topic_policy_publishers_only_and_tls():
    doc = json.loads(topic_policy("arn:aws:sns:eu-west-1:1:t", [API]))
    s = {x["Sid"]: x for x in doc["Statement"]}
    assert s["AllowPublishers"]["Principal"] == {"AWS": [API]} and s["AllowPublishers"]["Action"] == "sns:Publish"
    assert s["DenyOtherPublishers"]["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": [API]}}
    assert s["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    nobody = {x["Sid"]: x for x in json.loads(topic_policy("arn:aws:sns:eu-west-1:1:t", []))["Statement"]}
    assert "AllowPublishers" not in nobody and "Condition" not in nobody["DenyOtherPublishers"]


def test_alarms_page_the_alert_topic_and_are_optional(plan):
    alarms = {a.inputs["name"]: a.inputs for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert set(alarms) == {"acme-prod-euw1-sns-failed-orders", "acme-prod-euw1-sns-redrive-failed-orders"}
    for alarm in alarms.values():
        assert alarm["namespace"] == "AWS/SNS" and alarm["dimensions"] == {"TopicName": "acme-prod-euw1-orders"}
        assert alarm["alarmActions"] == ["arn:aws:sns:eu-west-1:111122223333:alerts"]
        assert alarm["threshold"] == 0 and alarm["treatMissingData"] == "notBreaching"
    assert not _run(alarm_topic=None).of_type("aws:cloudwatch/metricAlarm:MetricAlarm")


@pytest.mark.parametrize(
    ("policy", "scope", "message"),
    [
        ({"a": [1], "b": [1], "c": [1], "d": [1], "e": [1], "f": [1]}, "MessageAttributes", "at most 5"),
        ({"a": list(range(11)), "b": list(range(14))}, "MessageAttributes", "154 combinations"),
        ({"a": {"b": ["x"]}}, "MessageAttributes", "cannot be nested"),
        ({}, "MessageAttributes", "at least one key"),
    ],
)
def test_filter_policies_sns_refuses_are_refused(policy, scope, message):
    with pytest.raises(ValueError, match=message):
        validate_filter_policy(policy, scope)


def test_nested_body_policies_and_limits_pass():
    validate_filter_policy({"order": {"type": ["a", "b"]}, "region": ["eu"]}, "MessageBody")
    validate_filter_policy({"a": list(range(10)), "b": list(range(15))}, "MessageAttributes")


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="not one of"):
        EventsArgs("p", [TopicSpec("t", (SubscriptionSpec("nope"),))], QUEUES, ACCOUNT, KEY)
    with pytest.raises(ValueError, match="at least one subscription"):
        TopicSpec("t", ())
    with pytest.raises(ValueError, match="twice"):
        TopicSpec("t", (SubscriptionSpec("jobs"), SubscriptionSpec("jobs")))
    with pytest.raises(ValueError, match="80 characters"):
        subscription_dlq_name("acme-prod-euw1", "t" * 30, "q" * 40)

"""Events (phase 3+) and streaming (phase 4) in the real stacks: where they are, what they grant,
the policy rules over them (passing and failing), the config rules, and promotion."""

from __future__ import annotations

import copy
import json

import pytest

from infra.config import ConfigError, load_config
from infra.offline.diff import diff_plans
from infra.offline.harness import stack_config
from policy.rules import violations
from policy.stack_rules import StackResource, sns_sqs_delivery
from tests.conftest import plan_of

TOPIC, SUB, STREAM = (
    "aws:sns/topic:Topic",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:kinesis/stream:Stream",
)
EVENT_TYPES = {TOPIC, SUB, STREAM}


def _resources(plan, edit=None):
    out = []
    for r in plan.resources:
        props = (edit(r) if edit else None) or r.inputs
        out.append(StackResource(r.type, r.urn, props, tuple(r.dependencies)))
    return out


def _cells(plan, type_):
    """Cells holding ``type_`` (SQS subscriptions only: the alert topics have e-mail ones)."""
    found = [r for r in plan.of_type(type_) if type_ != SUB or r.inputs["protocol"] == "sqs"]
    return sorted({r.name.split("-")[0] for r in found})


def test_topics_in_every_serving_cell_from_phase_3_and_streams_in_phase_4():
    assert _cells(plan_of("phase1"), SUB) == _cells(plan_of("phase2"), SUB) == []
    assert _cells(plan_of("phase3"), SUB) == ["use1"]  # the standby region serves nothing
    assert _cells(plan_of("phase3"), STREAM) == []
    assert _cells(plan_of("phase4"), SUB) == ["euw1", "use1", "usw2"]
    assert _cells(plan_of("phase4"), STREAM) == ["euw1", "use1", "usw2"]
    assert all(s.protect for s in plan_of("phase4").of_type(STREAM))


def test_apps_get_topic_arns_and_scoped_grants():
    plan = plan_of("phase4")
    policies = {r.name: json.loads(r.inputs["policy"]) for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")}
    api = {s["Sid"]: s for s in policies["use1-api-role-policy"]["Statement"]}
    worker = {s["Sid"]: s for s in policies["use1-worker-role-policy"]["Statement"]}
    assert api["PublishEvents"]["Action"] == ["sns:Publish"] and len(api["PublishEvents"]["Resource"]) == 1
    assert api["TopicKey"]["Condition"] == {"StringEquals": {"kms:ViaService": "sns.us-east-1.amazonaws.com"}}
    assert "ReadStream" not in api and "kinesis:PutRecords" in api["WriteStream"]["Action"]
    assert "kinesis:GetRecords" in worker["ReadStream"]["Action"]
    (stream,) = worker["ReadStream"]["Resource"]
    assert worker["ReadStreamKey"]["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:kinesis:arn": [stream]}}
    config = [r for r in plan.resources if r.type == "kubernetes:core/v1:ConfigMap" and r.name.startswith("use1-api")]
    data = {k: v for c in config for k, v in (c.inputs.get("data") or {}).items()}
    assert data["EVENTS_TOPIC_ARN_ORDERS"].startswith("arn:aws:sns:us-east-1:")
    assert data["EVENTS_STREAM_NAME"] == "acme-prod-use1-events"


def test_subscription_dlqs_are_alarmed_by_monitoring():
    alarms = {r.inputs["name"] for r in plan_of("phase3").of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert {"acme-prod-use1-dlq-depth-acme-prod-use1-orders-jobs-sdlq", "acme-prod-use1-sns-failed-orders"} <= alarms
    assert "acme-prod-use1-stream-iterator-age" in {
        r.inputs["name"] for r in plan_of("phase4").of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }


def test_phases_1_and_2_keep_their_queue_and_key_policies():
    """No topic, no SNS exception: the queue policies and keys of phases 1-2 are as before."""
    for stack in ("phase1", "phase2"):
        plan = plan_of(stack)
        for r in plan.of_type("aws:sqs/queuePolicy:QueuePolicy") + plan.of_type("aws:kms/key:Key"):
            assert "sns.amazonaws.com" not in r.inputs["policy"]


@pytest.mark.parametrize(("before", "after"), [("phase2", "phase3"), ("phase3", "phase4")])
def test_promotion_only_creates_event_resources(before, after):
    diff = diff_plans(plan_of(before), plan_of(after))
    assert diff.is_safe
    events = [c for c in diff.changes if c.type in EVENT_TYPES or "-sdlq" in c.name]
    assert events and all(c.action in ("create", "same") for c in events)
    created = {c.type for c in events if c.action == "create"}
    assert (STREAM in created) == (after == "phase4")


def test_no_rule_is_broken_in_any_phase(phase_plan):
    assert sns_sqs_delivery(_resources(phase_plan)) == []
    assert [v for r in phase_plan.resources for v in violations(r.type, r.urn, r.inputs, r.protect)] == []


# --- per-resource rules: failing cases -------------------------------------------------------


def test_sqs_subscription_without_dlq_is_caught():
    sub = next(s for s in plan_of("phase3").of_type(SUB) if s.inputs["protocol"] == "sqs")
    props = {k: v for k, v in sub.inputs.items() if k != "redrivePolicy"}
    assert [n for n, _ in violations(SUB, sub.urn, props, False)] == ["sns-sqs-subscription-dlq"]
    email = {"protocol": "email", "endpoint": "a@b.c", "topic": "arn"}
    assert violations(SUB, sub.urn, email, False) == []


@pytest.mark.parametrize(
    "edit",
    [
        {"encryptionType": "NONE"},
        {"kmsKeyId": "alias/aws/kinesis"},
        {"kmsKeyId": None},
    ],
)
def test_unencrypted_or_aws_managed_stream_is_caught(edit):
    stream = plan_of("phase4").of_type(STREAM)[0]
    assert [n for n, _ in violations(STREAM, stream.urn, {**stream.inputs, **edit}, True)] == ["kinesis-encrypted"]
    assert [n for n, _ in violations(STREAM, stream.urn, stream.inputs, False)] == ["stateful-protected"]


# --- stack rule: failing cases ---------------------------------------------------------------


def _edit_policy(name_part, mutate):
    def edit(r):
        if r.type in ("aws:sqs/queuePolicy:QueuePolicy", "aws:kms/key:Key") and name_part in r.name:
            doc = json.loads(r.inputs["policy"])
            mutate(doc["Statement"])
            return {**r.inputs, "policy": json.dumps(doc)}
        return None

    return edit


def test_queue_policy_without_the_topic_allow_is_caught():
    def drop(statements):
        statements[:] = [s for s in statements if s.get("Sid") != "AllowTopicsToSend"]

    found = sns_sqs_delivery(_resources(plan_of("phase3"), _edit_policy("use1-queues-jobs-policy", drop)))
    assert len(found) == 1 and "has no policy letting sns.amazonaws.com" in found[0][1]


def test_foreign_account_deny_without_the_topic_exception_is_caught():
    def strict(statements):
        for s in statements:
            if s.get("Sid") == "DenyOtherAccounts":
                s["Condition"].pop("ArnNotEquals")

    found = sns_sqs_delivery(_resources(plan_of("phase3"), _edit_policy("orders-jobs-sdlq-policy", strict)))
    assert len(found) == 1 and "['DenyOtherAccounts'] deny" in found[0][1]


def test_allow_for_another_topic_does_not_count():
    def other(statements):
        for s in statements:
            if s.get("Sid") == "AllowTopicsToSend":
                s["Condition"] = {"ArnEquals": {"aws:SourceArn": ["arn:aws:sns:us-east-1:123456789012:other"]}}

    found = sns_sqs_delivery(_resources(plan_of("phase3"), _edit_policy("use1-queues-emails-policy", other)))
    assert len(found) == 1 and "use1-queues-emails" in found[0][1]


def test_queue_key_without_the_sns_grant_is_caught():
    def drop(statements):
        statements[:] = [s for s in statements if "sns.amazonaws.com" not in json.dumps(s.get("Principal"))]

    found = sns_sqs_delivery(_resources(plan_of("phase3"), _edit_policy("use1-key-key", drop)))
    # Both subscriptions, each for its target queue and its DLQ.
    assert len(found) == 4 and all("does not let sns.amazonaws.com encrypt" in m for _, m in found)


def test_key_grant_for_other_topics_is_caught():
    def narrow(statements):
        for s in statements:
            if "sns.amazonaws.com" in json.dumps(s.get("Principal")):
                s["Condition"] = {"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:someone-else-*"}}

    assert len(sns_sqs_delivery(_resources(plan_of("phase3"), _edit_policy("use1-key-key", narrow)))) == 4


# --- config -------------------------------------------------------------------------------------


def _flat(stack, **changes):
    flat = copy.deepcopy(stack_config(stack))
    for key, value in changes.items():
        if value is None:
            flat.pop(f"platform:{key}", None)
        else:
            flat[f"platform:{key}"] = json.dumps(value)
    return flat


def _error(flat) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(flat)
    return caught.value


def test_phase_3_needs_a_topic_and_phase_4_a_stream():
    assert _error(_flat("phase3", events=None)).path == "platform:events.topics"
    error = _error(_flat("phase4", streaming=None))
    assert error.path == "platform:streaming" and "missing" in str(error)


@pytest.mark.parametrize(
    ("topics", "path", "message"),
    [
        ([{"name": "t", "subscriptions": [{"queue": "nope"}]}], "subscriptions[0].queue", "platform:queues"),
        (
            [{"name": "t", "subscriptions": [{"queue": "jobs"}, {"queue": "jobs"}]}],
            "subscriptions[1].queue",
            "already delivers",
        ),
        (
            [{"name": "t", "subscriptions": [{"queue": "jobs", "filterPolicy": {"a": {"b": ["c"]}}}]}],
            "subscriptions[0].filterPolicy",
            "cannot be nested",
        ),
        ([{"name": "t", "subscriptions": [{"queue": "jobs"}]}] * 2, "topics[1].name", "distinct"),
        ([{"name": "t", "subscriptions": []}], "topics[0].subscriptions", "at least 1"),
    ],
)
def test_bad_topics_are_refused_with_their_key(topics, path, message):
    error = _error(_flat("phase3", events={"topics": topics}))
    assert error.path.endswith(path) and message in str(error)


def test_fifo_queues_cannot_be_subscribed():
    queues = [{"name": "jobs"}, {"name": "emails"}, {"name": "ledger", "fifo": True}]
    topics = [{"name": "t", "subscriptions": [{"queue": "ledger"}]}]
    error = _error(_flat("phase3", queues=queues, events={"topics": topics}))
    assert "standard queues only" in str(error)


def test_streaming_values_are_bounded():
    assert _error(_flat("phase4", streaming={"retentionHours": 12})).path == "platform:streaming.retentionHours"
    assert _error(_flat("phase4", streaming={"shardLevelMetrics": ["Bogus"]})).path.startswith(
        "platform:streaming.shardLevelMetrics"
    )

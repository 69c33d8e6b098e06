"""Queues on their own: encryption, redrive wiring, retention, FIFO names and least-privilege policies."""

import json

import pulumi
import pulumi_aws as aws
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.queues import (
    CONSUMER_ACTIONS,
    PRODUCER_ACTIONS,
    Queues,
    QueuesArgs,
    QueueSpec,
    queue_physical_name,
    queue_policy,
)
from tests.readable import run_program

ACCOUNT = "111122223333"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/queues"
PRODUCER = "arn:aws:iam::111122223333:role/api"
CONSUMER = "arn:aws:iam::111122223333:role/worker"
QUEUE = "aws:sqs/queue:Queue"


def _run(kms_key_arn=None, producers=(PRODUCER,), consumers=(CONSUMER,)):
    def program():
        provider = aws.Provider("euw1", region="eu-west-1")
        queues = Queues(
            "jobs",
            QueuesArgs(
                name_prefix="acme-prod-euw1",
                queues=[QueueSpec("email"), QueueSpec("billing", fifo=True, max_receive_count=3)],
                account_id=ACCOUNT,
                kms_key_arn=kms_key_arn,
                producer_role_arns=list(producers),
                consumer_role_arns=list(consumers),
                tags={"Team": "platform"},
            ),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        for output in ("queue_urls", "queue_arns", "dlq_arns", "queue_names", "dlq_names"):
            pulumi.export(output, getattr(queues, output))

    return run_program(program)


@pytest.fixture(scope="module")
def plan():
    return _run()


def _policies(plan) -> dict[str, dict]:
    return {p.name: json.loads(p.inputs["policy"]) for p in plan.of_type("aws:sqs/queuePolicy:QueuePolicy")}


def test_logical_and_physical_names_and_fifo_suffix(plan):
    names = {q.name: q.inputs["name"] for q in plan.of_type(QUEUE)}
    assert names == {
        "jobs-email": "acme-prod-euw1-email",
        "jobs-email-dlq": "acme-prod-euw1-email-dlq",
        "jobs-billing": "acme-prod-euw1-billing.fifo",
        "jobs-billing-dlq": "acme-prod-euw1-billing-dlq.fifo",
    }
    assert plan.named("jobs-billing").inputs["fifoQueue"] is True
    assert plan.named("jobs-billing-dlq").inputs["fifoQueue"] is True
    assert plan.named("jobs-email").inputs["fifoQueue"] is False
    assert plan.outputs["queue_names"] == {"email": names["jobs-email"], "billing": names["jobs-billing"]}
    assert plan.outputs["dlq_names"] == {
        "email": names["jobs-email-dlq"],
        "billing": names["jobs-billing-dlq"],
    }


def test_every_queue_is_protected_tagged_and_in_the_providers_region(plan):
    (component,) = plan.of_type("platform:messaging:Queues")
    queues = plan.of_type(QUEUE)
    assert len(queues) == 4
    for queue in queues:
        assert queue.protect is True
        assert queue.parent == component.urn
        assert queue.region == "eu-west-1"
        assert queue.inputs["tags"] == {
            "ManagedBy": "pulumi",
            "Team": "platform",
            "Name": queue.inputs["name"],
        }
    assert {r.name for r in plan.resources if r.protect} == {q.name for q in plan.of_type(QUEUE)}


def test_sse_sqs_without_a_key(plan):
    queues = plan.of_type(QUEUE)
    assert len(queues) == 4
    for queue in queues:
        assert queue.inputs["sqsManagedSseEnabled"] is True
        assert "kmsMasterKeyId" not in queue.inputs


def test_customer_key_when_given():
    queues = _run(kms_key_arn=KEY).of_type(QUEUE)
    assert len(queues) == 4
    for queue in queues:
        assert queue.inputs["kmsMasterKeyId"] == KEY
        assert queue.inputs["kmsDataKeyReusePeriodSeconds"] == 300
        assert "sqsManagedSseEnabled" not in queue.inputs


def test_redrive_wiring(plan):
    email = plan.named("jobs-email")
    assert json.loads(email.inputs["redrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:eu-west-1:123456789012:jobs-email-dlq",
        "maxReceiveCount": 5,
    }
    assert json.loads(plan.named("jobs-billing").inputs["redrivePolicy"])["maxReceiveCount"] == 3
    assert "redrivePolicy" not in plan.named("jobs-email-dlq").inputs
    allow = plan.named("jobs-email-dlq-redrive-allow")
    assert allow.inputs["queueUrl"].endswith("/jobs-email-dlq")
    assert json.loads(allow.inputs["redriveAllowPolicy"]) == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": ["arn:aws:sqs:eu-west-1:123456789012:jobs-email"],
    }
    assert plan.outputs["dlq_arns"]["email"] == "arn:aws:sqs:eu-west-1:123456789012:jobs-email-dlq"
    assert plan.outputs["queue_urls"]["billing"].endswith("/jobs-billing")


def test_retention_visibility_and_long_polling(plan):
    email, dlq = plan.named("jobs-email"), plan.named("jobs-email-dlq")
    assert email.inputs["messageRetentionSeconds"] == 345600
    assert dlq.inputs["messageRetentionSeconds"] == 1209600
    for queue in (email, dlq):
        assert queue.inputs["visibilityTimeoutSeconds"] == 60
        assert queue.inputs["receiveWaitTimeSeconds"] == 20


def test_every_policy_denies_plaintext_and_foreign_accounts(plan):
    policies = _policies(plan)
    assert set(policies) == {f"jobs-{q}{s}-policy" for q in ("email", "billing") for s in ("", "-dlq")}
    # Producers and consumers on each main queue, consumers on each DLQ: all checked below.
    allows = [s for p in policies.values() for s in p["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 2 * 2 + 2
    for name, policy in policies.items():
        queue_arn = f"arn:aws:sqs:eu-west-1:123456789012:{name.removesuffix('-policy')}"
        tls, foreign = policy["Statement"][:2]
        assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert foreign["Effect"] == "Deny"
        assert foreign["Condition"] == {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT}}
        for statement in policy["Statement"]:
            assert statement["Resource"] == queue_arn
            if statement["Effect"] == "Allow":
                assert statement["Principal"] != "*" and "*" not in statement["Principal"]["AWS"]
                assert all("*" not in action for action in statement["Action"])


def test_producers_send_to_main_queues_only_and_consumers_read_both(plan):
    policies = _policies(plan)
    main = {s["Sid"]: s for s in policies["jobs-email-policy"]["Statement"]}
    assert main["AllowProducers"]["Principal"] == {"AWS": [PRODUCER]}
    assert main["AllowProducers"]["Action"] == PRODUCER_ACTIONS
    assert main["AllowConsumers"]["Principal"] == {"AWS": [CONSUMER]}
    assert main["AllowConsumers"]["Action"] == CONSUMER_ACTIONS
    dlq = {s["Sid"]: s for s in policies["jobs-email-dlq-policy"]["Statement"]}
    assert "AllowProducers" not in dlq
    assert dlq["AllowConsumers"]["Principal"] == {"AWS": [CONSUMER]}


def test_empty_role_lists_emit_no_allow():
    policies = _policies(_run(producers=(), consumers=()))
    assert len(policies) == 4
    for policy in policies.values():
        assert [s["Effect"] for s in policy["Statement"]] == ["Deny", "Deny"]
    only_consumers = json.loads(queue_policy("arn:q", ACCOUNT, [], [CONSUMER]))
    assert [s["Sid"] for s in only_consumers["Statement"]][-1] == "AllowConsumers"
    assert len(only_consumers["Statement"]) == 3


@given(
    prefix=st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True),
    name=st.from_regex(r"[a-z][a-z0-9_]{0,30}", fullmatch=True),
    fifo=st.booleans(),
    dead_letter=st.booleans(),
)
def test_queue_physical_name(prefix, name, fifo, dead_letter):
    physical = queue_physical_name(prefix, name, fifo, dead_letter)
    assert physical.startswith(f"{prefix}-{name}")
    assert physical.endswith(".fifo") == fifo
    assert physical.removesuffix(".fifo").endswith("-dlq") == dead_letter
    assert len(physical) <= 80


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: queue_physical_name("acme", "x" * 80, False, False), "80"),
        (lambda: queue_physical_name("acme", "jobs.v2", False, False), "letters"),
        (lambda: QueueSpec("a", dlq_retention_seconds=60), "dlq_retention_seconds"),
        (lambda: QueueSpec("a", receive_wait_seconds=21), "receive_wait_seconds"),
        (lambda: QueueSpec("a", max_receive_count=0), "max_receive_count"),
        (lambda: QueuesArgs("acme", [QueueSpec("a"), QueueSpec("a")], ACCOUNT), "duplicate"),
        (lambda: QueuesArgs("acme", [QueueSpec("y" * 72)], ACCOUNT), "80"),
    ],
)
def test_invalid_specs_are_rejected(build, message):
    with pytest.raises(ValueError, match=message):
        build()

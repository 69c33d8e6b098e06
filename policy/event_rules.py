"""Event fan-out rules that span resources: SNS can deliver to every SQS queue it is subscribed to.

A subscription is only useful if SNS may write to its endpoint queue and to its dead-letter queue:
each queue's policy must allow ``sns.amazonaws.com`` ``sqs:SendMessage`` for the topic
(``aws:SourceArn``) without a Deny catching that request, and an SSE-KMS queue's key must let
``sns.amazonaws.com`` ``kms:GenerateDataKey*``/``kms:Decrypt``. Otherwise deliveries fail (to the
DLQ, or lost when the DLQ is the broken one) and only ``NumberOfNotificationsFailed`` tells.
https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html
https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Sequence
from typing import Any

try:  # a package for the tests, flat modules for the policy runtime
    from .graph import StackResource
except ImportError:
    from graph import StackResource

SNS = "sns.amazonaws.com"
_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
_TOPIC = "aws:sns/topic:Topic"
_QUEUE = "aws:sqs/queue:Queue"
_QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
_KEY = "aws:kms/key:Key"
_SOURCE_KEYS = {"aws:sourcearn", "aws:sourceaccount"}


def _statements(document: Any) -> list[dict] | None:
    """The statements of a policy document (JSON text); ``None`` while unknown (a preview)."""
    if not isinstance(document, str):
        return None
    statements = json.loads(document).get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _for_sns(statement: dict) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, dict) and (
        SNS in _list(principal.get("Service")) or "*" in _list(principal.get("AWS"))
    )


def _covers(statement: dict, action: str) -> bool:
    service = action.split(":")[0]
    return any(a.lower() in (action.lower(), f"{service}:*", "*") for a in _list(statement.get("Action")))


def _source_matches(condition: dict, topic_arn: str | None, account: str | None) -> bool:
    """Every condition only pins the source to our topic/account (values unknown: accepted)."""
    for operator, block in condition.items():
        for key, values in block.items():
            if key.lower() not in _SOURCE_KEYS:
                return False
            wanted = topic_arn if key.lower() == "aws:sourcearn" else account
            if wanted is None:
                continue
            patterns = [str(v) for v in _list(values)]
            like = operator.lower().startswith(("arnlike", "stringlike"))
            if not any(fnmatch.fnmatchcase(wanted, p) if like else wanted == p for p in patterns):
                return False
    return True


def _exempts(condition: dict, topic_arn: str | None) -> bool:
    """A Deny that does not apply to SNS delivering from ``topic_arn`` (a TLS deny never does:
    SNS calls SQS over HTTPS; otherwise an ``ArnNotEquals``/``ArnNotLike`` on ``aws:SourceArn``)."""
    for operator, block in condition.items():
        for key, values in block.items():
            if key.lower() == "aws:securetransport" and str(values).lower() == "false":
                return True
            if operator.lower() in ("arnnotequals", "arnnotlike") and key.lower() == "aws:sourcearn":
                patterns = [str(v) for v in _list(values)]
                if topic_arn is None or any(fnmatch.fnmatchcase(topic_arn, p) for p in patterns):
                    return True
    return False


def _topic_arn(subscription: StackResource, topic: StackResource) -> str | None:
    """The topic's real ARN: partition, region and account from the subscription's ``topic`` input,
    the name from the topic's ``name`` input (mock ARNs end in logical names); unknown: None."""
    arn, name = subscription.props.get("topic"), topic.props.get("name")
    if not isinstance(arn, str) or arn.count(":") < 5 or not isinstance(name, str):
        return None
    return ":".join(arn.split(":")[:5] + [name])


def _queue_problems(
    queue: StackResource,
    topic_arn: str | None,
    named_arn: str | None,
    resources: Sequence[StackResource],
    by_urn: dict,
) -> list[str]:
    """``topic_arn``: the ARN that flowed into the policies (the subscription's ``topic``);
    ``named_arn``: the same ARN built from the topic's name, which key-policy patterns match."""
    account = topic_arn.split(":")[4] if topic_arn and topic_arn.count(":") >= 5 else None
    problems = []
    policies = [r for r in resources if r.type == _QUEUE_POLICY and queue.urn in r.dependencies]
    documents = [_statements(p.props.get("policy")) for p in policies]
    if all(d is not None for d in documents):
        statements = [s for d in documents for s in d or []]
        allowed = any(
            s.get("Effect") == "Allow"
            and _for_sns(s)
            and _covers(s, "sqs:SendMessage")
            and _source_matches(s.get("Condition") or {}, topic_arn, account)
            for s in statements
        )
        denied = [
            s.get("Sid", "?")
            for s in statements
            if s.get("Effect") == "Deny"
            and _for_sns(s)
            and _covers(s, "sqs:SendMessage")
            and not _exempts(s.get("Condition") or {}, topic_arn)
        ]
        if not allowed:
            problems.append(f"queue {queue.urn} has no policy letting {SNS} sqs:SendMessage from the topic")
        if denied:
            problems.append(f"queue {queue.urn}: statement(s) {denied} deny {SNS} delivering from the topic")
    if queue.props.get("kmsMasterKeyId"):
        for key in (by_urn[u] for u in queue.dependencies if u in by_urn and by_urn[u].type == _KEY):
            statements = _statements(key.props.get("policy"))
            if statements is None:
                continue
            ok = any(
                s.get("Effect") == "Allow"
                and _for_sns(s)
                and _covers(s, "kms:Decrypt")
                and (_covers(s, "kms:GenerateDataKey") or _covers(s, "kms:GenerateDataKey*"))
                and _source_matches(s.get("Condition") or {}, named_arn, account)
                for s in statements
            )
            if not ok:
                problems.append(f"key {key.urn} of queue {queue.urn} does not let {SNS} encrypt for the topic")
    return problems


def sns_sqs_delivery(resources: Sequence[StackResource]) -> list[tuple[str, str]]:
    """Every SQS subscription's endpoint queue and dead-letter queue accept the topic's deliveries:
    queue policy (Allow for SNS with the topic as source, no Deny catching it) and, for SSE-KMS
    queues, a key policy statement for SNS conditioned at most on that source."""
    by_urn = {r.urn: r for r in resources}
    found: list[tuple[str, str]] = []
    for sub in (r for r in resources if r.type == _SUBSCRIPTION and r.props.get("protocol") == "sqs"):
        topics = [by_urn[u] for u in sub.dependencies if u in by_urn and by_urn[u].type == _TOPIC]
        queues = [by_urn[u] for u in sub.dependencies if u in by_urn and by_urn[u].type == _QUEUE]
        arn = sub.props.get("topic")
        topic_arn = arn if isinstance(arn, str) else None
        named_arn = _topic_arn(sub, topics[0]) if topics else None
        for queue in queues:
            problems = _queue_problems(queue, topic_arn, named_arn, resources, by_urn)
            found += [(sub.urn, problem) for problem in problems]
    return found

"""Alerting rules that span resources: EventBridge rules can publish to our encrypted SNS topics."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

try:  # a package for the tests, flat modules for the policy runtime
    from .graph import StackResource
except ImportError:
    from graph import StackResource

EVENTS = "events.amazonaws.com"
_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
_TOPIC = "aws:sns/topic:Topic"
_TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
_KEY = "aws:kms/key:Key"


def _statements(document: Any) -> list[dict] | None:
    """The statements of a policy document (JSON text), ``None`` while it is unknown (preview)."""
    if not isinstance(document, str):
        return None
    statements = json.loads(document).get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _allows(statement: dict, service: str, needed: Iterable[str]) -> bool:
    """An unconditional Allow for ``service`` covering every action in ``needed``."""
    if statement.get("Effect") != "Allow" or statement.get("Condition"):
        return False
    principal = statement.get("Principal")
    services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
    if service not in services and principal != "*":
        return False
    actions = [a.lower() for a in _as_list(statement.get("Action"))]

    def covered(action: str) -> bool:
        prefix = action.split(":")[0].lower()
        return any(a in (action.lower(), f"{prefix}:*", "*") for a in actions)

    return all(covered(action) for action in needed)


def eventbridge_sns_targets(resources: Sequence[StackResource]) -> list[tuple[str, str]]:
    """Every EventBridge target that is one of our SNS topics can actually publish to it.

    The topic policy needs an Allow for ``events.amazonaws.com`` on ``sns:Publish`` with no
    Condition block, which EventBridge does not support in SNS topic policies; a KMS-encrypted
    topic's key policy needs ``kms:GenerateDataKey*`` (or ``kms:GenerateDataKey``) and
    ``kms:Decrypt`` for the same principal. Without either, deliveries fail silently (the rule's
    ``FailedInvocations`` metric only).
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
    https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    """
    by_urn = {r.urn: r for r in resources}
    found: list[tuple[str, str]] = []
    for target in (r for r in resources if r.type == _TARGET):
        topics = [by_urn[u] for u in target.dependencies if u in by_urn and by_urn[u].type == _TOPIC]
        for topic in topics:
            policies = [r for r in resources if r.type == _TOPIC_POLICY and topic.urn in r.dependencies]
            documents = [_statements(p.props.get("policy")) for p in policies]
            known = [d for d in documents if d is not None]
            judged = not policies or (known and len(known) == len(documents))  # unknown in a preview: skip
            if judged and not any(_allows(s, EVENTS, ["sns:Publish"]) for d in known for s in d):
                found.append((target.urn, f"topic {topic.urn} has no policy letting {EVENTS} sns:Publish"))
            if not topic.props.get("kmsMasterKeyId"):
                continue
            keys = [by_urn[u] for u in topic.dependencies if u in by_urn and by_urn[u].type == _KEY]
            for key in keys:
                statements = _statements(key.props.get("policy"))
                needed = (["kms:GenerateDataKey*", "kms:Decrypt"], ["kms:GenerateDataKey", "kms:Decrypt"])
                if statements is not None and not any(
                    _allows(s, EVENTS, actions) for s in statements for actions in needed
                ):
                    found.append(
                        (target.urn, f"key {key.urn} of topic {topic.urn} does not let {EVENTS} encrypt messages")
                    )
    return found

"""Cross-resource rules (policy/stack_rules.py) over the real phase plans and broken copies of them."""

from __future__ import annotations

import json

import pytest

from infra.harness import PlanResult
from policy.stack_rules import StackResource, eventbridge_sns_targets
from tests.conftest import plan_of


def _resources(plan: PlanResult, edit=None) -> list[StackResource]:
    """The plan as the rules see it; ``edit(resource)`` may return replacement props."""
    out = []
    for r in plan.resources:
        props = (edit(r) if edit else None) or r.inputs
        out.append(StackResource(r.type, r.urn, props, tuple(r.dependencies)))
    return out


def _without_events(document: str) -> str:
    policy = json.loads(document)
    kept = [s for s in policy["Statement"] if "events.amazonaws.com" not in json.dumps(s.get("Principal"))]
    return json.dumps({**policy, "Statement": kept})


def test_every_phase_lets_its_rds_event_rules_publish(phase_plan):
    targets = phase_plan.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert len(targets) == len(phase_plan.of_type("platform:stack:Cell"))  # one rule per region
    assert eventbridge_sns_targets(_resources(phase_plan)) == []


def test_a_topic_policy_without_eventbridge_is_caught():
    plan = plan_of("phase2")

    def edit(r):
        if r.type == "aws:sns/topicPolicy:TopicPolicy":
            return {**r.inputs, "policy": _without_events(r.inputs["policy"])}
        return None

    found = eventbridge_sns_targets(_resources(plan, edit))
    assert len(found) == 1 and "has no policy letting events.amazonaws.com sns:Publish" in found[0][1]


def test_a_conditioned_eventbridge_statement_does_not_count():
    plan = plan_of("phase1")

    def edit(r):
        if r.type != "aws:sns/topicPolicy:TopicPolicy":
            return None
        policy = json.loads(r.inputs["policy"])
        for s in policy["Statement"]:
            if s["Sid"] == "AllowEventBridgeToPublish":
                s["Condition"] = {"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/x"}}
        return {**r.inputs, "policy": json.dumps(policy)}

    assert len(eventbridge_sns_targets(_resources(plan, edit))) == 1


def test_a_key_without_the_eventbridge_grant_is_caught():
    plan = plan_of("phase4")

    def edit(r):
        if r.type == "aws:kms/key:Key":
            return {**r.inputs, "policy": _without_events(r.inputs["policy"])}
        return None

    found = eventbridge_sns_targets(_resources(plan, edit))
    # One per region: each cell's topic is under that cell's key.
    assert len(found) == 3 and all("does not let events.amazonaws.com encrypt messages" in m for _, m in found)


def test_a_missing_topic_policy_is_caught_and_an_unknown_one_is_not_judged():
    plan = plan_of("phase1")
    resources = _resources(plan)
    without = [r for r in resources if r.type != "aws:sns/topicPolicy:TopicPolicy"]
    assert len(eventbridge_sns_targets(without)) == 1
    # In a preview the policy of a new topic is unknown (it embeds the topic ARN): not a violation.
    unknown = [
        StackResource(r.type, r.urn, {k: v for k, v in r.props.items() if k != "policy"}, r.dependencies)
        if r.type == "aws:sns/topicPolicy:TopicPolicy"
        else r
        for r in resources
    ]
    assert eventbridge_sns_targets(unknown) == []


@pytest.mark.parametrize("actions", [["kms:Decrypt"], ["kms:GenerateDataKey*"], ["kms:Encrypt"]])
def test_a_key_grant_missing_an_action_is_caught(actions):
    plan = plan_of("phase1")

    def edit(r):
        if r.type != "aws:kms/key:Key":
            return None
        policy = json.loads(r.inputs["policy"])
        for s in policy["Statement"]:
            if s.get("Principal") == {"Service": "events.amazonaws.com"}:
                s["Action"] = actions
        return {**r.inputs, "policy": json.dumps(policy)}

    assert len(eventbridge_sns_targets(_resources(plan, edit))) == 1

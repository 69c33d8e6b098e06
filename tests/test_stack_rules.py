"""Cross-resource rules (policy/stack_rules.py) over the real phase plans and broken copies of them."""

from __future__ import annotations

import json

import pytest

from infra.offline.harness import PlanResult
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


# --- Edge: standard logging v2 and origin-group members (policy/edge_rules.py) ---

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


def test_every_phase_delivers_cdn_access_logs_through_logging_v2(phase_plan):
    from policy.stack_rules import cdn_access_log_violations

    (source,) = phase_plan.of_type("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    assert source.region == "us-east-1" and source.inputs["logType"] == "ACCESS_LOGS"
    assert cdn_access_log_violations(_resources(phase_plan)) == []


def test_a_distribution_without_a_delivery_source_or_delivery_is_caught():
    from policy.stack_rules import cdn_access_log_violations

    plan = plan_of("phase1")
    without_source = [r for r in _resources(plan) if r.type != "aws:cloudwatch/logDeliverySource:LogDeliverySource"]
    (found,) = cdn_access_log_violations(without_source)
    assert "no ACCESS_LOGS delivery source" in found[1]
    without_delivery = [r for r in _resources(plan) if r.type != "aws:cloudwatch/logDelivery:LogDelivery"]
    assert "paired with no destination" in cdn_access_log_violations(without_delivery)[0][1]
    elsewhere = [
        StackResource(r.type, r.urn, r.props, r.dependencies, region="eu-west-1")
        if r.type == "aws:cloudwatch/logDeliverySource:LogDeliverySource"
        else r
        for r in _resources(plan)
    ]
    assert "must be in us-east-1" in cdn_access_log_violations(elsewhere)[0][1]


def test_phase_4_origin_group_members_are_readable_by_the_distribution():
    from policy.stack_rules import origin_group_violations

    plan = plan_of("phase4")
    (cdn,) = plan.of_type(DISTRIBUTION)
    (group,) = cdn.inputs["originGroups"]
    assert len(group["members"]) == 2
    assert origin_group_violations(_resources(plan)) == []


def test_an_origin_group_member_without_oac_or_bucket_policy_is_caught():
    from policy.stack_rules import origin_group_violations

    plan = plan_of("phase4")

    def no_oac(r):
        if r.type == DISTRIBUTION:
            origins = [{k: v for k, v in o.items() if k != "originAccessControlId"} for o in r.inputs["origins"]]
            return {**r.inputs, "origins": origins}
        return None

    assert any("no origin access control" in m for _, m in origin_group_violations(_resources(plan, no_oac)))

    def no_cloudfront_read(r):
        if r.type == "aws:s3/bucketPolicy:BucketPolicy" and "usw2-bucket-policy" in r.urn:
            policy = json.loads(r.inputs["policy"])
            kept = [s for s in policy["Statement"] if s["Sid"] != "AllowCloudFrontRead"]
            return {**r.inputs, "policy": json.dumps({**policy, "Statement": kept})}
        return None

    (found,) = origin_group_violations(_resources(plan, no_cloudfront_read))
    assert "does not let" in found[1] and "usw2-bucket" in found[0]

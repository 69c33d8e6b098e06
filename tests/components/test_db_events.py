"""DbEvents on its own: the exact RDS event IDs, one rule per region, an SNS target without a role."""

import json

import pulumi
import pulumi_aws as aws
import pytest

from components.db_events import REPLICATION_EVENT_IDS, STORAGE_EVENT_IDS, DbEvents, DbEventsArgs, event_pattern
from tests.readable import run_program

TOPIC = "arn:aws:sns:eu-west-1:111122223333:acme-prod-euw1-alerts"


def _args(**overrides) -> DbEventsArgs:
    values = {"name": "acme-prod-euw1", "topic_arn": TOPIC, "db_identifiers": ["acme-prod-euw1-db-2", "acme-prod-db"]}
    return DbEventsArgs(**{**values, **overrides})


def test_the_pattern_matches_our_instances_storage_and_replication_events():
    pattern = json.loads(event_pattern(_args()))
    assert pattern == {
        "source": ["aws.rds"],
        "detail-type": ["RDS DB Instance Event"],
        "detail": {
            "SourceIdentifier": ["acme-prod-db", "acme-prod-euw1-db-2"],
            "EventID": [*STORAGE_EVENT_IDS, *REPLICATION_EVENT_IDS],
        },
    }


def test_the_event_ids_are_the_ones_autoscaling_cannot_fix_and_broken_replicas():
    # Approaching / reaching the maximum storage threshold, storage full, autoscaling blocked.
    assert {"RDS-EVENT-0224", "RDS-EVENT-0225", "RDS-EVENT-0221", "RDS-EVENT-0007", "RDS-EVENT-0223"} <= set(
        STORAGE_EVENT_IDS
    )
    # "More than 90% consumed" is autoscaling's own trigger: it fixes itself.
    assert "RDS-EVENT-0089" not in STORAGE_EVENT_IDS
    assert set(REPLICATION_EVENT_IDS) == {"RDS-EVENT-0045", "RDS-EVENT-0057", "RDS-EVENT-0062", "RDS-EVENT-0202"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"db_identifiers": []}, "at least one"),
        ({"db_identifiers": ["a", "a"]}, "duplicates"),
        ({"name": "x" * 60}, "1-64 characters"),
    ],
)
def test_invalid_arguments_are_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        _args(**overrides)


def test_the_rule_and_target_are_children_in_the_providers_region():
    def program():
        provider = aws.Provider("cell", region="eu-west-1")
        DbEvents("events", _args(tags={"Team": "platform"}), opts=pulumi.ResourceOptions(provider=provider))

    result = run_program(program)
    (component,) = result.of_type("platform:observability:DbEvents")
    (rule,) = result.of_type("aws:cloudwatch/eventRule:EventRule")
    (target,) = result.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert rule.name == "events-rule" and target.name == "events-target"
    assert rule.parent == target.parent == component.urn
    assert rule.region == target.region == "eu-west-1"
    assert rule.inputs["name"] == "acme-prod-euw1-db-events"
    assert rule.inputs["tags"] == {"ManagedBy": "pulumi", "Team": "platform", "Name": "acme-prod-euw1-db-events"}
    assert json.loads(rule.inputs["eventPattern"]) == json.loads(event_pattern(_args()))
    assert target.inputs["arn"] == TOPIC and target.inputs["rule"] == "acme-prod-euw1-db-events"
    assert "roleArn" not in target.inputs  # SNS targets are authorised by the topic policy

"""RDS events that no metric alarm can see, delivered from EventBridge to an alert topic.

Storage autoscaling grows an instance when free space is at most 10% of its allocation for
5 minutes, by the largest of 10 GiB, 10% of the allocation and the growth predicted for the next
7 hours, and not again until 6 hours have passed (or storage optimisation has finished, whichever
is longer), never beyond ``max_allocated_storage``. A CloudWatch alarm cannot know the current
allocation (RDS publishes no such metric), so the conditions autoscaling cannot fix come from the
events RDS emits about them; and a broken read replica reports itself the same way, while its
``ReplicaLag`` metric just stops.
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.Autoscaling.html

AWS constraints relied on:

- RDS sends ``RDS DB Instance Event`` events (source ``aws.rds``) to the default event bus of the
  instance's region, best effort, with ``detail.EventID`` and ``detail.SourceIdentifier`` (the DB
  instance identifier); a rule only sees its own region's events, so each region gets its own.
  https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-rds.html
- Event IDs and meanings: the DB instance table of "Amazon RDS event categories and event messages".
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html
- An SNS target takes no ``role_arn``: EventBridge publishes under the topic's resource policy,
  which must allow ``events.amazonaws.com`` to ``sns:Publish`` (without a Condition block), and an
  SSE-KMS topic's key must allow ``events.amazonaws.com`` ``kms:GenerateDataKey*`` and
  ``kms:Decrypt``. Both are the topic owner's job; ``policy/stack_rules.py`` checks them.
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
  https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
- Rule names: at most 64 characters of ``[.\\-_A-Za-z0-9]``; a rule and its target live in one region.
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import child_opts, merge_tags

_RULE_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")

#: Storage that autoscaling will not (or not in time) fix. Left out on purpose: RDS-EVENT-0089
#: (more than 90% consumed), which is autoscaling's own trigger and fixes itself.
STORAGE_EVENT_IDS = (
    "RDS-EVENT-0007",  # low storage: the allocated storage has been consumed
    "RDS-EVENT-0219",  # autoscaling failed: the instance is in an invalid state, retried later
    "RDS-EVENT-0220",  # autoscaling failed: in the (at least 6 h) cooling-off period
    "RDS-EVENT-0221",  # availability: storage-full threshold reached, database shut down
    "RDS-EVENT-0222",  # availability: free storage low, database will shut down below a value
    "RDS-EVENT-0223",  # autoscaling unable to scale the storage, with the reason
    "RDS-EVENT-0224",  # autoscaling would reach the maximum storage threshold: raise it
    "RDS-EVENT-0225",  # storage at 80% of the maximum storage threshold: raise it
    "RDS-EVENT-0237",  # autoscaling: storage type unavailable in the zone, retried later
    "RDS-EVENT-0254",  # autoscaling blocked: the account's storage quota is exceeded
)
#: A read replica that stopped replicating, or never started.
REPLICATION_EVENT_IDS = (
    "RDS-EVENT-0045",  # an error occurred in the read replication process
    "RDS-EVENT-0057",  # replication on the read replica was terminated
    "RDS-EVENT-0062",  # replication on the read replica was manually stopped
    "RDS-EVENT-0202",  # read replica creation failed
)


@dataclass
class DbEventsArgs:
    """Inputs of :class:`DbEvents`.

    Attributes:
        name: Physical prefix; the rule is ``{name}-db-events``.
        topic_arn: SNS topic in the rule's region. Its policy and key must let EventBridge publish
            (see the module docstring): the caller's job.
        db_identifiers: DB instance identifiers whose events page. Required, at least one. The
            replication events only ever come from read replicas, so one list serves both kinds.
        storage_event_ids: Default: :data:`STORAGE_EVENT_IDS`.
        replication_event_ids: Default: :data:`REPLICATION_EVENT_IDS`.
        tags: Extra tags. Default: none.
    """

    name: str
    topic_arn: pulumi.Input[str]
    db_identifiers: list[str]
    storage_event_ids: tuple[str, ...] = STORAGE_EVENT_IDS
    replication_event_ids: tuple[str, ...] = REPLICATION_EVENT_IDS
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.db_identifiers:
            raise ValueError("db_identifiers must name at least one DB instance")
        if len(set(self.db_identifiers)) != len(self.db_identifiers):
            raise ValueError(f"db_identifiers has duplicates: {self.db_identifiers}")
        if not _RULE_NAME.match(rule_name(self.name)):
            raise ValueError(f"rule name {rule_name(self.name)!r} must be 1-64 characters of [.-_A-Za-z0-9]")


def rule_name(prefix: str) -> str:
    """Physical name of the EventBridge rule."""
    return f"{prefix}-db-events"


def event_pattern(args: DbEventsArgs) -> str:
    """The rule's pattern: any of the event IDs, from any of the instances (fields AND, values OR).

    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html
    """
    detail = {
        "SourceIdentifier": sorted(args.db_identifiers),
        "EventID": [*args.storage_event_ids, *args.replication_event_ids],
    }
    pattern = {"source": ["aws.rds"], "detail-type": ["RDS DB Instance Event"], "detail": detail}
    return json.dumps(pattern, sort_keys=True)


class DbEvents(pulumi.ComponentResource):
    """An EventBridge rule on a region's RDS instance events, targeting an SNS topic.

    Outputs: ``rule_name``, ``rule_arn``. Children: ``{name}-rule`` and ``{name}-target``.
    """

    def __init__(self, name: str, args: DbEventsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:observability:DbEvents", name, None, opts)
        physical = rule_name(args.name)
        rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            name=physical,
            description="RDS storage that autoscaling cannot fix, and broken read replicas",
            event_pattern=event_pattern(args),
            tags=merge_tags(physical, args.tags),
            opts=child_opts(self),
        )
        # No role_arn: SNS targets are authorised by the topic policy (a role breaks KMS topics).
        aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=rule.name,
            target_id="alerts",
            arn=args.topic_arn,
            opts=child_opts(self),
        )
        self.rule_name = rule.name
        self.rule_arn = rule.arn
        self.register_outputs({"rule_name": self.rule_name, "rule_arn": self.rule_arn})

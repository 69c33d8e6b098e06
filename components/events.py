"""SNS event topics fanning out to SQS queues: raw delivery, a dead-letter queue per subscription,
filter policies, a publisher-only, TLS-only topic policy and delivery-failure alarms.

AWS constraints this component relies on:

- Topic names: up to 256 letters, digits, ``-`` and ``_`` (``.fifo`` only for FIFO topics, not
  built here). A standard topic's subscriptions and subscription DLQs are standard queues (FIFO
  topics pair with FIFO queues), in the subscription's account and Region.
  https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
  https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html
- Delivery to SQS: the queue policy must let ``sns.amazonaws.com`` ``sqs:SendMessage`` with
  ``aws:SourceArn`` = the topic ARN (the target queues' policies, ``components.queues``, and each
  subscription DLQ's policy here); the subscription DLQ needs the same grant, since SNS itself
  moves undeliverable messages there (``RedrivePolicy`` = ``{"deadLetterTargetArn": ...}``).
  https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html
  https://docs.aws.amazon.com/sns/latest/dg/sns-configure-dead-letter-queue.html
- Encryption: an SSE-KMS queue (target or DLQ) needs a customer-managed key whose policy lets
  ``sns.amazonaws.com`` ``kms:GenerateDataKey*`` and ``kms:Decrypt`` (the AWS-managed SQS key cannot
  be used); the caller's ``KmsKey`` grants it, scoped by ``aws:SourceArn`` to our topics. Publishers
  of an encrypted topic need ``kms:GenerateDataKey*`` and ``kms:Decrypt`` on its key themselves
  (``infra.compute.app_policy``, through ``kms:ViaService`` = SNS).
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services
  https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
  https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
- Raw message delivery strips SNS's JSON envelope and sends the message as is; with it an SQS
  subscription carries at most 10 message attributes, and a message with more is discarded as a
  client-side error (which the subscription DLQ catches: SNS redrives client and server errors).
  https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html
  https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html
- Filter policies: at most 5 keys, at most 150 combinations of values (the product of the array
  sizes), 256 KB; ``MessageAttributes`` scope (the default) takes no nested keys, ``MessageBody``
  does; 200 filter policies per topic by default. Validated here (:func:`validate_filter_policy`).
  https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
- Topic policy: an Allow of ``sns:Publish`` for the publisher roles, a Deny of ``sns:Publish`` to
  every other principal (``ArnNotEquals aws:PrincipalArn``: for an assumed-role session that key is
  the role's ARN), and a Deny of ``sns:Publish`` when ``aws:SecureTransport`` is false (AWS's own
  example enforces TLS on ``Publish``).
  https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html#enforce-encryption-data-in-transit
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
- Metrics: ``AWS/SNS`` ``NumberOfNotificationsFailed`` (for SQS endpoints, +1 when SNS stops
  retrying a message) and ``NumberOfNotificationsFailedToRedriveToDlq`` per ``TopicName``, published
  every 5 minutes; no datapoint means nothing failed. The subscription DLQs' depth is alarmed by the
  caller's ``Monitoring`` (``dead_letter_queues``). Alarm names at most 255 characters.
  https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html
- Updates: policies, filter policies, raw delivery and redrive policies change in place
  (``SetSubscriptionAttributes``/``SetTopicAttributes``); a new topic name replaces the topic and a
  new ``endpoint``/``protocol``/``topic`` replaces the subscription (``infra/offline/forcenew.py``). The
  subscription DLQs hold data and are protected.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components.base import child_opts, merge_tags, stateful_opts
from components.queues import queue_physical_name, queue_policy

_OUTPUTS = ("topic_arns", "topic_names", "dlq_names", "dlq_arns", "alarm_names")
#: SNS filter policy limits (subscription-filter-policy-constraints).
MAX_FILTER_KEYS = 5
MAX_FILTER_COMBINATIONS = 150
MAX_FILTER_BYTES = 256 * 1024
_MAX_ALARM_NAME = 255
#: Dead letters stay 14 days (SQS's maximum): time to inspect and redrive.
DLQ_RETENTION_SECONDS = 1209600


def validate_filter_policy(policy: Mapping[str, Any], scope: str) -> None:
    """ValueError unless SNS accepts ``policy`` for ``scope``: keys, combinations, size, nesting."""
    if not policy:
        raise ValueError("a filter policy must have at least one key")
    leaves: list[int] = []
    keys = 0

    def walk(node: Mapping[str, Any], depth: int) -> None:
        nonlocal keys
        for key, value in node.items():
            if isinstance(value, Mapping):
                if scope == "MessageAttributes":
                    raise ValueError(f"key {key!r}: MessageAttributes filter policies cannot be nested")
                walk(value, depth + 1)
            else:
                keys += 1
                leaves.append(len(value) if isinstance(value, list) else 1)

    walk(policy, 0)
    if keys > MAX_FILTER_KEYS:
        raise ValueError(f"{keys} keys: SNS allows at most {MAX_FILTER_KEYS}")
    combinations = math.prod(leaves)
    if combinations > MAX_FILTER_COMBINATIONS:
        raise ValueError(f"{combinations} combinations of values: SNS allows at most {MAX_FILTER_COMBINATIONS}")
    if len(json.dumps(policy).encode()) > MAX_FILTER_BYTES:
        raise ValueError("larger than SNS's 256 KB")


@dataclass(frozen=True)
class SubscriptionSpec:
    """One SQS subscription of a topic.

    Attributes:
        queue: Short name of the target queue (a key of ``EventsArgs.queue_arns``; standard queue).
        filter_policy: SNS filter policy. Default: None (every message).
        filter_policy_scope: ``MessageAttributes`` or ``MessageBody``. Default: ``MessageAttributes``.
    """

    queue: str
    filter_policy: Mapping[str, Any] | None = None
    filter_policy_scope: Literal["MessageAttributes", "MessageBody"] = "MessageAttributes"

    def __post_init__(self) -> None:
        if self.filter_policy is not None:
            try:
                validate_filter_policy(self.filter_policy, self.filter_policy_scope)
            except ValueError as error:
                raise ValueError(f"subscription to {self.queue!r}: filter policy {error}") from None


@dataclass(frozen=True)
class TopicSpec:
    """One standard topic and its subscriptions (at least one, to distinct queues)."""

    name: str
    subscriptions: tuple[SubscriptionSpec, ...]

    def __post_init__(self) -> None:
        queues = [s.queue for s in self.subscriptions]
        if not queues:
            raise ValueError(f"topic {self.name!r}: needs at least one subscription")
        if len(set(queues)) != len(queues):
            raise ValueError(f"topic {self.name!r}: subscribes a queue twice: {queues}")


@dataclass
class EventsArgs:
    """Inputs of :class:`Events`.

    Attributes:
        name_prefix: Physical prefix (``acme-prod-use1``): topics are ``{prefix}-{topic}``, DLQs
            ``{prefix}-{topic}-{queue}-sdlq``.
        topics: Topic specs; names unique.
        queue_arns: ARNs of the target queues by short name (their policies must admit the topics:
            ``QueuesArgs.sns_topic_arns``, fed from :attr:`Events.sources`).
        account_id: Our account; nothing else may reach the DLQs.
        kms_key_arn: Customer-managed key of the topics and DLQs; its policy must let
            ``sns.amazonaws.com`` ``kms:GenerateDataKey*`` and ``kms:Decrypt`` (caller's ``KmsKey``).
        publisher_role_arns: The only principals that may publish (the apps' roles). Default: none,
            meaning nobody may publish.
        alarm_topic_arn: Alert topic for the delivery-failure alarms. Default: None (no alarms).
        alarm_prefix: Prefix of alarm names; the alert topic's policy admits ``{prefix}-*`` alarms.
            Default: ``name_prefix``.
        tags: Extra tags. Default: none.
    """

    name_prefix: str
    topics: list[TopicSpec]
    queue_arns: Mapping[str, pulumi.Input[str]]
    account_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    publisher_role_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = field(default_factory=list)
    alarm_topic_arn: pulumi.Input[str] | None = None
    alarm_prefix: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [t.name for t in self.topics]
        if len(set(names)) != len(names):
            raise ValueError(f"topics: duplicate names {names}")
        for topic in self.topics:
            topic_physical_name(self.name_prefix, topic.name)
            for sub in topic.subscriptions:
                if sub.queue not in self.queue_arns:
                    raise ValueError(
                        f"topic {topic.name!r}: queue {sub.queue!r} is not one of {sorted(self.queue_arns)}"
                    )
                subscription_dlq_name(self.name_prefix, topic.name, sub.queue)
                alarm_name(self.alarm_prefix or self.name_prefix, "sns-redrive-failed", topic.name)


def topic_physical_name(prefix: str, topic: str) -> str:
    """``{prefix}-{topic}``; ValueError if SNS would reject it (charset, 256 characters)."""
    name = f"{prefix}-{topic}"
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", name):
        raise ValueError(f"topic name {name!r} is invalid: letters, digits, '-' and '_', at most 256 characters")
    return name


def subscription_dlq_name(prefix: str, topic: str, queue: str) -> str:
    """The subscription's dead-letter queue, ``{prefix}-{topic}-{queue}-sdlq`` (SQS's 80 characters)."""
    return queue_physical_name(prefix, f"{topic}-{queue}-sdlq", fifo=False, dead_letter=False)


def alarm_name(prefix: str, kind: str, target: str) -> str:
    """``{prefix}-{kind}-{target}``; ValueError past CloudWatch's 255 characters."""
    name = f"{prefix}-{kind}-{target}"
    if len(name) > _MAX_ALARM_NAME:
        raise ValueError(f"alarm name {name!r} is longer than {_MAX_ALARM_NAME} characters")
    return name


def topic_policy(topic_arn: str, publisher_role_arns: Sequence[str]) -> str:
    """Only ``publisher_role_arns`` may publish, and only over TLS; no publishers: nobody may."""
    roles = sorted(set(publisher_role_arns))
    statements: list[dict] = []
    if roles:
        statements.append(
            {
                "Sid": "AllowPublishers",
                "Effect": "Allow",
                "Principal": {"AWS": roles},
                "Action": "sns:Publish",
                "Resource": topic_arn,
            }
        )
    others: dict = {
        "Sid": "DenyOtherPublishers",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sns:Publish",
        "Resource": topic_arn,
    }
    if roles:
        others["Condition"] = {"ArnNotEquals": {"aws:PrincipalArn": roles}}
    statements += [
        others,
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def redrive_policy(dlq_arn: str) -> str:
    """A subscription's redrive policy: undeliverable messages go to ``dlq_arn``."""
    return json.dumps({"deadLetterTargetArn": dlq_arn})


class Events(pulumi.ComponentResource):
    """Encrypted SNS topics, each fanning out to SQS queues through raw-delivery subscriptions.

    Every subscription has its own protected dead-letter queue (SNS's redrive policy), so a queue
    SNS cannot deliver to (policy, key, attribute limits) keeps its messages. Outputs:
    ``topic_arns`` / ``topic_names`` by topic; ``dlq_names`` / ``dlq_arns`` by ``topic/queue``;
    ``alarm_names`` (empty without an alarm topic); :attr:`sources` (queue name -> topic ARNs)
    for the target queues' policies.
    """

    def __init__(self, name: str, args: EventsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:messaging:Events", name, None, opts)
        self._name, self._args = name, args
        self.topic_arns: dict[str, pulumi.Output[str]] = {}
        self.topic_names: dict[str, str] = {}
        self.dlq_names: dict[str, str] = {}
        self.dlq_arns: dict[str, pulumi.Output[str]] = {}
        sources: dict[str, list[pulumi.Output[str]]] = {}
        alarms: list[aws.cloudwatch.MetricAlarm] = []
        for spec in args.topics:
            topic = self._topic(spec)
            for sub in spec.subscriptions:
                self._subscription(spec, sub, topic)
                sources.setdefault(sub.queue, []).append(topic.arn)
            if args.alarm_topic_arn is not None:
                alarms += self._alarms(spec)
        #: Queue short name -> ARNs of the topics delivering to it (for ``QueuesArgs.sns_topic_arns``).
        self.sources: pulumi.Output[dict[str, list[str]]] = pulumi.Output.all(
            **{queue: pulumi.Output.all(*arns) for queue, arns in sources.items()}
        )
        self.alarm_names = pulumi.Output.all(*[a.name for a in alarms])
        self.register_outputs({key: getattr(self, key) for key in _OUTPUTS})

    def _topic(self, spec: TopicSpec) -> aws.sns.Topic:
        args = self._args
        physical = topic_physical_name(args.name_prefix, spec.name)
        topic = aws.sns.Topic(
            f"{self._name}-{spec.name}",
            name=physical,
            kms_master_key_id=args.kms_key_arn,
            tags=merge_tags(physical, args.tags),
            opts=child_opts(self),
        )
        aws.sns.TopicPolicy(
            f"{self._name}-{spec.name}-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, args.publisher_role_arns).apply(lambda v: topic_policy(v[0], v[1])),
            opts=child_opts(self),
        )
        self.topic_arns[spec.name] = topic.arn
        self.topic_names[spec.name] = physical
        return topic

    def _subscription(self, spec: TopicSpec, sub: SubscriptionSpec, topic: aws.sns.Topic) -> None:
        args = self._args
        logical = f"{self._name}-{spec.name}-{sub.queue}"
        physical = subscription_dlq_name(args.name_prefix, spec.name, sub.queue)
        dlq = aws.sqs.Queue(
            f"{logical}-sdlq",
            name=physical,
            fifo_queue=False,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            kms_master_key_id=args.kms_key_arn,
            kms_data_key_reuse_period_seconds=300,
            tags=merge_tags(physical, args.tags),
            opts=stateful_opts(self),
        )
        # SNS is the DLQ's only writer; operators read it with their own IAM permissions.
        dlq_policy = aws.sqs.QueuePolicy(
            f"{logical}-sdlq-policy",
            queue_url=dlq.url,
            policy=pulumi.Output.all(dlq.arn, args.account_id, topic.arn).apply(
                lambda v: queue_policy(v[0], v[1], [], [], [v[2]])
            ),
            opts=child_opts(self),
        )
        extra: dict[str, Any] = {}
        if sub.filter_policy is not None:
            extra = {
                "filter_policy": json.dumps(sub.filter_policy, sort_keys=True),
                "filter_policy_scope": sub.filter_policy_scope,
            }
        aws.sns.TopicSubscription(
            logical,
            topic=topic.arn,
            protocol="sqs",
            endpoint=args.queue_arns[sub.queue],
            raw_message_delivery=True,
            redrive_policy=dlq.arn.apply(redrive_policy),
            opts=child_opts(self, depends_on=[dlq_policy]),
            **extra,
        )
        key = f"{spec.name}/{sub.queue}"
        self.dlq_names[key] = physical
        self.dlq_arns[key] = dlq.arn

    def _alarms(self, spec: TopicSpec) -> list[aws.cloudwatch.MetricAlarm]:
        """Delivery given up (to the DLQ) and redrive to the DLQ failed (message lost): both page."""
        args = self._args
        prefix = args.alarm_prefix or args.name_prefix
        topic_name = self.topic_names[spec.name]
        alarms = []
        for kind, metric, summary in (
            ("sns-failed", "NumberOfNotificationsFailed", "SNS gave up delivering messages (see the DLQs)"),
            (
                "sns-redrive-failed",
                "NumberOfNotificationsFailedToRedriveToDlq",
                "SNS could not move undeliverable messages to a DLQ: messages lost",
            ),
        ):
            physical = alarm_name(prefix, kind, spec.name)
            alarms.append(
                aws.cloudwatch.MetricAlarm(
                    f"{self._name}-{kind}-{spec.name}",
                    name=physical,
                    alarm_description=f"{topic_name}: {summary}",
                    namespace="AWS/SNS",
                    metric_name=metric,
                    dimensions={"TopicName": topic_name},
                    statistic="Sum",
                    comparison_operator="GreaterThanThreshold",
                    threshold=0.0,
                    period=300,
                    evaluation_periods=1,
                    datapoints_to_alarm=1,
                    # SNS publishes these only when something failed.
                    treat_missing_data="notBreaching",
                    actions_enabled=True,
                    alarm_actions=[args.alarm_topic_arn],
                    ok_actions=[args.alarm_topic_arn],
                    tags=merge_tags(physical, args.tags),
                    opts=child_opts(self),
                )
            )
        return alarms

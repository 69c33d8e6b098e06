"""SQS job queues, each with a dead-letter queue, encryption, and a TLS-only, same-account policy.

AWS constraints this component relies on:

- Queue names: up to 80 characters of letters, digits, ``-`` and ``_``; a FIFO queue's name must
  end in ``.fifo`` (counted in the 80). Attribute ranges: visibility timeout 0-43200 s, retention
  60-1209600 s, receive wait 0-20 s; ``KmsDataKeyReusePeriodSeconds`` 60-86400 s.
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
- Redrive: ``maxReceiveCount`` 1-1000; the DLQ must be of the same type as its source (FIFO with
  FIFO) and in the same account and Region; ``redrivePermission: byQueue`` lists at most 10 source
  queue ARNs.
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue.html
- DLQ retention: for standard queues a message keeps its original enqueue timestamp in the DLQ
  (so the DLQ's retention must exceed the source's); for FIFO queues the timestamp is reset when
  the message moves to the DLQ.
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html
- Encryption: SSE-SQS (``SqsManagedSseEnabled``) and SSE-KMS (``KmsMasterKeyId``) are exclusive.
  With a customer key, producers need ``kms:GenerateDataKey`` and ``kms:Decrypt`` and consumers
  ``kms:Decrypt`` on it, and an AWS service publishing to the queue needs them in the key policy.
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
- Policy: the deny on ``aws:PrincipalAccount`` also stops AWS service principals (SNS, EventBridge),
  which are not principals of our account; exempting one takes an ``aws:SourceAccount`` /
  ``aws:SourceArn`` condition. ``aws:SecureTransport`` is false for plain-HTTP calls.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
- SNS fan-out (``sns_topic_arns``): SNS delivers as ``sns.amazonaws.com`` with ``aws:SourceArn`` =
  the topic ARN, so the queue allows exactly that (``sqs:SendMessage``, ``ArnEquals``) and the
  foreign-account deny gains ``ArnNotEquals aws:SourceArn`` for the same ARNs. A negated operator
  is true when the key is absent, so every request without that source (any other account's
  principal, any other service) is still denied.
  https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
- Updates: attributes and policies change in place (``SetQueueAttributes``; changes can take up to
  60 s to apply, the retention period up to 15 min); a new name or ``fifo_queue`` replaces the queue,
  and a deleted queue's name cannot be reused for 60 s (blocked anyway: queues are protected).
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteQueue.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import child_opts, merge_tags, stateful_opts

PRODUCER_ACTIONS = ["sqs:SendMessage", "sqs:GetQueueAttributes"]
CONSUMER_ACTIONS = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
]


@dataclass(frozen=True)
class QueueSpec:
    """One job queue and its dead-letter queue.

    Attributes:
        name: Short name (letters, digits, ``-``, ``_``); the physical name adds the prefix.
        visibility_timeout_seconds: Time a consumer has to finish a message, 0-43200. Default: 60.
        message_retention_seconds: 60-1209600. Default: 345600 (4 days).
        dlq_retention_seconds: Dead-letter retention, at least the queue's. Default: 1209600
            (14 days, the maximum: time to inspect failures).
        max_receive_count: Receives before a message moves to the DLQ, 1-1000. Default: 5.
        fifo: FIFO queue (both queues get the ``.fifo`` suffix). Default: False.
        receive_wait_seconds: Long-polling wait, 0-20. Default: 20.
    """

    name: str
    visibility_timeout_seconds: int = 60
    message_retention_seconds: int = 345600
    dlq_retention_seconds: int = 1209600
    max_receive_count: int = 5
    fifo: bool = False
    receive_wait_seconds: int = 20

    def __post_init__(self) -> None:
        limits = {
            "visibility_timeout_seconds": (0, 43200),
            "message_retention_seconds": (60, 1209600),
            # Message age counts from the original enqueue, so a shorter DLQ retention would
            # drop failed messages on arrival.
            "dlq_retention_seconds": (self.message_retention_seconds, 1209600),
            "max_receive_count": (1, 1000),
            "receive_wait_seconds": (0, 20),
        }
        for attribute, (low, high) in limits.items():
            value = getattr(self, attribute)
            if not low <= value <= high:
                raise ValueError(f"queue {self.name!r}: {attribute}={value} must be within {low}-{high}")


@dataclass
class QueuesArgs:
    """Inputs of :class:`Queues`.

    Attributes:
        name_prefix: Physical name prefix, e.g. ``acme-prod-use1``.
        queues: Queue specs; names must be unique.
        account_id: Our account; principals from any other account are denied.
        kms_key_arn: Customer-managed key. Default: None, meaning SSE-SQS (SQS-owned keys).
        producer_role_arns: Roles allowed to send to every queue. Default: none.
        consumer_role_arns: Roles allowed to receive from every queue and its DLQ. Default: none.
        sns_topic_arns: Per queue name, the SNS topics that deliver to it (fan-out, phase 3+):
            each may ``sqs:SendMessage`` as ``sns.amazonaws.com`` with its ARN as
            ``aws:SourceArn``, and nothing else from outside the account. Default: none.
        tags: Extra tags. Default: none.
    """

    name_prefix: str
    queues: list[QueueSpec]
    account_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str] | None = None
    producer_role_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = field(default_factory=list)
    consumer_role_arns: pulumi.Input[Sequence[pulumi.Input[str]]] = field(default_factory=list)
    sns_topic_arns: pulumi.Input[Mapping[str, Sequence[str]]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [spec.name for spec in self.queues]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"queues: duplicate names {duplicates}")
        for spec in self.queues:
            for dead_letter in (False, True):
                queue_physical_name(self.name_prefix, spec.name, spec.fifo, dead_letter)


def queue_physical_name(prefix: str, name: str, fifo: bool, dead_letter: bool) -> str:
    """``{prefix}-{name}[-dlq][.fifo]``; ValueError if SQS would reject it (charset, 80 chars)."""
    physical = f"{prefix}-{name}{'-dlq' if dead_letter else ''}{'.fifo' if fifo else ''}"
    base = physical.removesuffix(".fifo")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", base) or len(physical) > 80:
        raise ValueError(
            f"queue name {physical!r} is invalid: letters, digits, '-' and '_' only, at most 80 characters"
        )
    return physical


def queue_policy(
    queue_arn: str,
    account_id: str,
    producer_role_arns: Sequence[str],
    consumer_role_arns: Sequence[str],
    sns_topic_arns: Sequence[str] = (),
) -> str:
    """Queue policy: deny non-TLS and foreign principals, allow the given roles on this queue only.

    ``sns_topic_arns`` is the one exception to the foreign-principal deny: SNS delivering from
    exactly those topics (``aws:SourceArn``), and only ``sqs:SendMessage``. An empty role or topic
    list yields no Allow statement (an empty principal list is invalid).
    """
    topics = sorted(set(sns_topic_arns))
    deny_foreign: dict = {"StringNotEquals": {"aws:PrincipalAccount": account_id}}
    if topics:
        # SNS's request carries no principal of our account; it is exempt only with our topic as source.
        deny_foreign["ArnNotEquals"] = {"aws:SourceArn": topics}
    statements: list[dict] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:*",
            "Resource": queue_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOtherAccounts",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:*",
            "Resource": queue_arn,
            "Condition": deny_foreign,
        },
    ]
    for sid, roles, actions in (
        ("AllowProducers", producer_role_arns, PRODUCER_ACTIONS),
        ("AllowConsumers", consumer_role_arns, CONSUMER_ACTIONS),
    ):
        if roles:
            statements.append(
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Principal": {"AWS": sorted(roles)},
                    "Action": actions,
                    "Resource": queue_arn,
                }
            )
    if topics:
        statements.append(
            {
                "Sid": "AllowTopicsToSend",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topics}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def redrive_policy(dlq_arn: str, max_receive_count: int) -> str:
    """Main queue's redrive policy: after ``max_receive_count`` receives, move to ``dlq_arn``."""
    return json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})


def redrive_allow_policy(source_queue_arn: str) -> str:
    """DLQ's redrive-allow policy: only its own source queue may use it as a dead-letter target."""
    return json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [source_queue_arn]})


class Queues(pulumi.ComponentResource):
    """A set of encrypted SQS queues, each with a protected dead-letter queue.

    Producers may send to the main queues; consumers may receive from the main queues and their
    DLQs (to inspect or drain failures). Nobody may send to a DLQ directly: SQS moves messages
    there itself without needing a policy grant.
    """

    def __init__(self, name: str, args: QueuesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:messaging:Queues", name, None, opts)
        self.queue_urls: dict[str, pulumi.Output[str]] = {}
        self.queue_arns: dict[str, pulumi.Output[str]] = {}
        self.dlq_arns: dict[str, pulumi.Output[str]] = {}
        self.queue_names: dict[str, str] = {}
        self.dlq_names: dict[str, str] = {}
        for spec in args.queues:
            self._create_pair(f"{name}-{spec.name}", spec, args)
        self.register_outputs(
            {
                "queue_urls": self.queue_urls,
                "queue_arns": self.queue_arns,
                "dlq_arns": self.dlq_arns,
                "queue_names": self.queue_names,
                "dlq_names": self.dlq_names,
            }
        )

    def _create_pair(self, logical: str, spec: QueueSpec, args: QueuesArgs) -> None:
        dlq_name = queue_physical_name(args.name_prefix, spec.name, spec.fifo, dead_letter=True)
        queue_name = queue_physical_name(args.name_prefix, spec.name, spec.fifo, dead_letter=False)
        dlq = self._queue(f"{logical}-dlq", dlq_name, spec, args, spec.dlq_retention_seconds)
        queue = self._queue(
            logical,
            queue_name,
            spec,
            args,
            spec.message_retention_seconds,
            redrive_policy=dlq.arn.apply(lambda arn: redrive_policy(arn, spec.max_receive_count)),
        )
        # A separate resource, because the DLQ cannot name its source queue's ARN before that
        # queue exists, and the queue needs the DLQ's ARN first.
        aws.sqs.RedriveAllowPolicy(
            f"{logical}-dlq-redrive-allow",
            queue_url=dlq.url,
            redrive_allow_policy=queue.arn.apply(redrive_allow_policy),
            opts=child_opts(self),
        )
        self._policy(f"{logical}-policy", queue, args, args.producer_role_arns, spec.name)
        self._policy(f"{logical}-dlq-policy", dlq, args, [])
        self.queue_urls[spec.name] = queue.url
        self.queue_arns[spec.name] = queue.arn
        self.dlq_arns[spec.name] = dlq.arn
        self.queue_names[spec.name] = queue_name
        self.dlq_names[spec.name] = dlq_name

    def _queue(
        self, logical: str, physical: str, spec: QueueSpec, args: QueuesArgs, retention: int, **extra
    ) -> aws.sqs.Queue:
        if args.kms_key_arn is None:
            encryption: dict = {"sqs_managed_sse_enabled": True}
        else:
            encryption = {"kms_master_key_id": args.kms_key_arn, "kms_data_key_reuse_period_seconds": 300}
        return aws.sqs.Queue(
            logical,
            name=physical,
            fifo_queue=spec.fifo,
            visibility_timeout_seconds=spec.visibility_timeout_seconds,
            message_retention_seconds=retention,
            receive_wait_time_seconds=spec.receive_wait_seconds,
            tags=merge_tags(physical, args.tags),
            opts=stateful_opts(self),
            **encryption,
            **extra,
        )

    def _policy(
        self,
        logical: str,
        queue: aws.sqs.Queue,
        args: QueuesArgs,
        producers: pulumi.Input[Sequence[pulumi.Input[str]]],
        topics_of: str | None = None,
    ) -> None:
        """The queue's policy; ``topics_of`` names the queue whose SNS sources it admits (DLQs: none)."""
        document = pulumi.Output.all(
            queue.arn, args.account_id, producers, args.consumer_role_arns, args.sns_topic_arns
        ).apply(lambda v: queue_policy(v[0], v[1], v[2], v[3], (v[4] or {}).get(topics_of, []) if topics_of else []))
        aws.sqs.QueuePolicy(logical, queue_url=queue.url, policy=document, opts=child_opts(self))

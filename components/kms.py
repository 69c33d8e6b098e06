"""Customer-managed KMS key with rotation, an alias and a least-privilege key policy.

AWS constraints this component relies on:

- The ``AccountAdministers`` statement is the default key policy's: it lets IAM policies of the
  account grant use of the key; without it only the key policy itself would, and KMS's lockout
  safety check refuses a policy the caller could not update afterwards. A key policy is at most
  32 KB.
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
  https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html
- Automatic rotation only exists for symmetric encryption keys (the default key spec); the default
  period is 365 days, and old key material stays usable for decryption.
  https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
- Deletion waits 7-30 days (``PendingWindowInDays``); the key is protected besides.
  https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html
- Alias names start with ``alias/``, may not start with ``alias/aws/``, use letters, digits,
  ``/_-``, at most 256 characters, and are unique per account and Region. Re-pointing an alias is in
  place; renaming it replaces the alias.
  https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html
- CloudWatch Logs: principal ``logs.<region>.amazonaws.com``, ``kms:Encrypt*``, ``Decrypt*``,
  ``ReEncrypt*``, ``GenerateDataKey*``, ``Describe*``, with ``ArnLike`` on
  ``kms:EncryptionContext:aws:logs:arn`` (:func:`logs_grant`).
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
- Vended-log delivery to an SSE-KMS bucket: ``delivery.logs.amazonaws.com`` with
  ``aws:SourceAccount`` and ``aws:SourceArn`` (:func:`log_delivery_grant`).
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-S3.html
- Encrypted SNS topics: AWS event sources (``cloudwatch.amazonaws.com``, ``events.amazonaws.com``)
  need ``kms:Decrypt`` and ``kms:GenerateDataKey*``; the SNS guide's statement has no condition.
  https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
- SNS delivering to SSE-KMS queues (fan-out targets and subscription DLQs): ``sns.amazonaws.com``
  needs ``kms:GenerateDataKey*`` and ``kms:Decrypt`` (SQS guide, "Configure KMS permissions for AWS
  services"; the AWS-managed SQS key cannot be used). :func:`sns_delivery_grant` narrows it with
  ``ArnLike aws:SourceArn`` to the cell's topics (``{prefix}-*``), the confused-deputy condition
  KMS documents for service principals, as the AWS CDK's SQS subscriptions do.
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services
  https://docs.aws.amazon.com/kms/latest/developerguide/conditions-aws.html
  https://github.com/aws/aws-cdk/pull/20521
- Updates: policy, description, rotation and tags change in place; the key spec and usage are fixed
  (a change would replace the key, which ``protect`` blocks).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import child_opts, merge_tags, stateful_opts


@dataclass(frozen=True)
class ServiceGrant:
    """Lets an AWS service principal use the key.

    ``service`` is the principal (``logs.us-east-1.amazonaws.com``); ``actions`` the KMS actions it
    may call. ``conditions`` is the statement's IAM condition block, with ``{account}`` in its
    values replaced by the key's account. Default (``None``): ``aws:SourceAccount`` equals the
    account. Services differ in which context keys they send (CloudWatch Logs sends an encryption
    context, not a source account), so callers pass the condition the service documents; ``{}``
    means none, for services that document no condition key.
    """

    service: str
    actions: tuple[str, ...] = ("kms:Decrypt", "kms:GenerateDataKey*")
    conditions: Mapping[str, Mapping[str, str]] | None = None


#: CloudWatch alarms publish to encrypted SNS topics through the key. AWS documents no condition
#: key for this principal, so the grant has none (an alarm elsewhere cannot name our topic).
CLOUDWATCH_ALARMS_GRANT = ServiceGrant("cloudwatch.amazonaws.com", conditions={})
#: EventBridge rules publish to encrypted SNS topics through the key; the SNS guide's statement
#: for AWS event sources has no condition either.
#: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
EVENTBRIDGE_GRANT = ServiceGrant("events.amazonaws.com", conditions={})


@dataclass
class KmsKeyArgs:
    """Inputs of :class:`KmsKey`.

    Attributes:
        account_id: AWS account that owns the key; its root gets administrative access so IAM
            policies can delegate use (the AWS default key policy, made explicit).
        alias: Alias name without the ``alias/`` prefix. Required: operators find keys by alias.
        description: Shown in the console. Default: empty.
        service_grants: Service principals allowed to use the key. Default: none.
        deletion_window_days: Waiting period before a scheduled deletion. Default: 30 (the
            maximum), so a mistaken delete can still be cancelled.
        tags: Extra tags. Default: none.
    """

    account_id: pulumi.Input[str]
    alias: str
    description: str = ""
    service_grants: list[ServiceGrant] = field(default_factory=list)
    deletion_window_days: int = 30
    tags: dict[str, str] = field(default_factory=dict)


def logs_grant(region: str) -> ServiceGrant:
    """What CloudWatch Logs needs to encrypt log groups of ``region`` in our account, as AWS documents it."""
    return ServiceGrant(
        service=f"logs.{region}.amazonaws.com",
        actions=("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
        conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{{account}}:*"}},
    )


def log_delivery_grant(region: str) -> ServiceGrant:
    """What log delivery (VPC flow logs to S3) needs to write SSE-KMS objects in ``region``.

    The actions and the ``aws:SourceAccount`` / ``aws:SourceArn`` conditions are the statement
    AWS documents for V1 vended-log delivery to an SSE-KMS bucket:
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-S3.html
    (linked from https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-cmk-policy.html).
    """
    return ServiceGrant(
        service="delivery.logs.amazonaws.com",
        actions=("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"),
        conditions={
            "StringEquals": {"aws:SourceAccount": "{account}"},
            "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{{account}}:*"},
        },
    )


def sns_delivery_grant(region: str, topic_prefix: str) -> ServiceGrant:
    """What SNS needs to deliver from our topics ``{topic_prefix}-*`` in ``region`` to queues
    encrypted with this key (and to encrypt those topics' messages on the way)."""
    return ServiceGrant(
        service="sns.amazonaws.com",
        actions=("kms:GenerateDataKey*", "kms:Decrypt"),
        conditions={"ArnLike": {"aws:SourceArn": f"arn:aws:sns:{region}:{{account}}:{topic_prefix}-*"}},
    )


def key_policy(account_id: str, grants: list[ServiceGrant]) -> str:
    """Render the key policy: account root administers, each service gets only its actions."""
    statements: list[dict] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    for index, grant in enumerate(grants):
        template = grant.conditions
        if template is None:
            template = {"StringEquals": {"aws:SourceAccount": "{account}"}}
        conditions = {
            operator: {key: value.replace("{account}", account_id) for key, value in block.items()}
            for operator, block in template.items()
        }
        statement = {
            "Sid": f"AllowService{index}",
            "Effect": "Allow",
            "Principal": {"Service": grant.service},
            "Action": list(grant.actions),
            "Resource": "*",
        }
        if conditions:
            statement["Condition"] = conditions
        statements.append(statement)
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class KmsKey(pulumi.ComponentResource):
    """A symmetric customer-managed key with yearly rotation and an alias.

    Keys are stateful: deleting one makes everything encrypted with it unreadable, so the key is
    protected and deletion waits the full window.
    """

    key: aws.kms.Key
    alias: aws.kms.Alias

    def __init__(self, name: str, args: KmsKeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:security:KmsKey", name, None, opts)
        policy = pulumi.Output.from_input(args.account_id).apply(
            lambda account: key_policy(account, args.service_grants)
        )
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=policy,
            tags=merge_tags(args.alias, args.tags),
            opts=stateful_opts(self),
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{args.alias}",
            target_key_id=self.key.key_id,
            opts=child_opts(self),
        )
        self.arn = self.key.arn
        self.key_id = self.key.key_id
        self.register_outputs({"arn": self.arn, "key_id": self.key_id, "alias": self.alias.name})

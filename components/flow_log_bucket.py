"""A cell's VPC flow-log bucket: SSE-KMS, private, versioned, tiered to cheaper storage, then expired.

AWS constraints this component relies on (each enforced here or in :class:`FlowLogBucketArgs`):

- Flow logs to S3 need a bucket policy letting ``delivery.logs.amazonaws.com`` call ``s3:PutObject``
  on ``AWSLogs/<account>/*`` (``AWSLogs/aws-account-id=<account>/*`` with Hive-compatible
  prefixes) with ``s3:x-amz-acl = bucket-owner-full-control``, and ``s3:GetBucketAcl`` +
  ``s3:ListBucket`` on the bucket, both scoped by ``aws:SourceAccount`` and
  ``aws:SourceArn = arn:aws:logs:<region>:<account>:*``; without it flow log creation fails.
  https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-S3.html
- SSE-KMS needs a customer-managed key given by ARN (a key id makes delivery fail with
  "LogDestination undeliverable") whose key policy lets ``delivery.logs.amazonaws.com`` use it
  (``components.kms.log_delivery_grant``).
  https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-cmk-policy.html
- With ObjectOwnership ``BucketOwnerEnforced`` (ACLs off) S3 still accepts PUTs that carry the
  ``bucket-owner-full-control`` ACL, which log delivery sends.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
- Names: 3-63 characters of lowercase letters, digits, hyphens (and dots, which we do not use),
  starting and ending with a letter or digit, globally unique, minus reserved prefixes/suffixes.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
- Lifecycle: STANDARD_IA only after at least 30 days; GLACIER_IR bills at least 90 days, so
  expiring sooner costs extra; objects under 128 KB are not transitioned (small log files simply
  stay in STANDARD).
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html
  Objects must spend 30 days in STANDARD_IA before a lifecycle rule moves them on.
  https://repost.aws/knowledge-center/s3-lifecycle-rule-glacier-storage
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.assets import tls_only_statement
from components.base import child_opts, merge_tags, stateful_opts
from components.bucket_guards import guard_bucket

#: Log delivery writes under this prefix; with Hive-compatible prefixes the account segment is
#: ``aws-account-id=<account>`` (flow-logs-s3-permissions above).
DELIVERY_PREFIX = "AWSLogs/aws-account-id={account}/"
#: AWS account ids are always 12 digits, so a name prefix can be checked before the id is known.
_ACCOUNT_ID_LENGTH = 12
_MAX_BUCKET_NAME = 63
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_MIN_IA_DAYS = 30
_MIN_DAYS_IN_IA = 30
_GLACIER_IR_MIN_DAYS = 90


@dataclass
class FlowLogBucketArgs:
    """Inputs of :class:`FlowLogBucket`.

    Attributes:
        name_prefix: Physical name without the account id (``acme-prod-use1-flow-logs``); the
            bucket is ``{name_prefix}-{account_id}``, globally unique and stable across phases.
        account_id: Account owning the bucket and writing the flow logs (confused-deputy scope).
        region: Region of the bucket and of the VPCs whose flow logs it receives.
        kms_key_arn: Customer-managed key (ARN, not id) for SSE-KMS. Its policy must carry
            ``components.kms.log_delivery_grant(region)``.
        retention_days: Days a log object is kept before it expires. Default: 365.
        transition_to_ia_days: Days before objects move to STANDARD_IA (at least 30). Default: 30.
        transition_to_glacier_ir_days: Days before objects move to GLACIER_IR (at least 30 after
            STANDARD_IA, and 90 before expiry). Default: 90.
        noncurrent_version_expiration_days: Days an overwritten or deleted version is kept.
            Default: 30 (log delivery never overwrites, so these are operator mistakes).
        abort_incomplete_multipart_days: Days before unfinished multipart uploads are removed.
            Default: 7.
        tags: Extra tags. Default: none.
    """

    name_prefix: str
    account_id: pulumi.Input[str]
    region: str
    kms_key_arn: pulumi.Input[str]
    retention_days: int = 365
    transition_to_ia_days: int = 30
    transition_to_glacier_ir_days: int = 90
    noncurrent_version_expiration_days: int = 30
    abort_incomplete_multipart_days: int = 7
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        longest = _MAX_BUCKET_NAME - 1 - _ACCOUNT_ID_LENGTH
        if not _NAME.match(self.name_prefix) or len(self.name_prefix) > longest:
            raise ValueError(
                f"name_prefix {self.name_prefix!r}: S3 bucket names are at most {_MAX_BUCKET_NAME} lowercase letters,"
                f" digits and hyphens starting with a letter or digit, so the prefix before '-<account id>' may have"
                f" at most {longest}"
            )
        if self.name_prefix.startswith(_RESERVED_PREFIXES):
            raise ValueError(f"name_prefix {self.name_prefix!r}: S3 reserves the prefixes {_RESERVED_PREFIXES}")
        if self.transition_to_ia_days < _MIN_IA_DAYS:
            raise ValueError(f"transition_to_ia_days={self.transition_to_ia_days}: S3 requires at least {_MIN_IA_DAYS}")
        if self.transition_to_glacier_ir_days < self.transition_to_ia_days + _MIN_DAYS_IN_IA:
            raise ValueError(
                f"transition_to_glacier_ir_days={self.transition_to_glacier_ir_days}: S3 requires objects to stay"
                f" {_MIN_DAYS_IN_IA} days in STANDARD_IA (transition_to_ia_days={self.transition_to_ia_days})"
            )
        if self.retention_days < self.transition_to_glacier_ir_days + _GLACIER_IR_MIN_DAYS:
            raise ValueError(
                f"retention_days={self.retention_days}: GLACIER_IR bills {_GLACIER_IR_MIN_DAYS} days at least, so"
                f" expire no earlier than {self.transition_to_glacier_ir_days + _GLACIER_IR_MIN_DAYS} days"
            )


def flow_log_bucket_policy(bucket_arn: str, account_id: str, region: str) -> str:
    """TLS only; log delivery may write flow logs of this account and region, and check the bucket."""
    source = {
        "StringEquals": {"aws:SourceAccount": account_id},
        "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{account_id}:*"},
    }
    write = {
        "Sid": "AWSLogDeliveryWrite",
        "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn}/{DELIVERY_PREFIX.format(account=account_id)}*",
        "Condition": {
            "StringEquals": {**source["StringEquals"], "s3:x-amz-acl": "bucket-owner-full-control"},
            "ArnLike": source["ArnLike"],
        },
    }
    check = {
        "Sid": "AWSLogDeliveryAclCheck",
        "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"},
        # ListBucket spares CloudTrail the AccessDenied noise AWS-logs-infrastructure-S3 warns about.
        "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
        "Resource": bucket_arn,
        "Condition": source,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [tls_only_statement(bucket_arn), write, check]})


class FlowLogBucket(pulumi.ComponentResource):
    """Protected, SSE-KMS, versioned bucket receiving one region's VPC flow logs.

    Not access-logged itself: see docs/security.md. ``policy`` is exposed because a flow log must
    wait for it (AWS checks the bucket policy when the flow log is created).
    """

    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy

    def __init__(self, name: str, args: FlowLogBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:network:FlowLogBucket", name, None, opts)
        account = pulumi.Output.from_input(args.account_id)
        bucket_name = account.apply(lambda account_id: f"{args.name_prefix}-{account_id}")
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=bucket_name,
            tags=merge_tags(args.name_prefix, args.tags),
            opts=stateful_opts(self),
        )
        guards = self._harden(name, args)
        self.policy = aws.s3.BucketPolicy(
            f"{name}-bucket-policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, account).apply(
                lambda values: flow_log_bucket_policy(values[0], values[1], args.region)
            ),
            # As in assets.py, the policy lands on a bucket whose public access and ACLs are settled.
            opts=child_opts(self, depends_on=guards),
        )
        self.bucket_name = self.bucket.bucket
        self.bucket_arn = self.bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn})

    def _harden(self, name: str, args: FlowLogBucketArgs) -> list[pulumi.Resource]:
        """Versioning, SSE-KMS with a bucket key, public access block, owner-enforced and lifecycle.

        Returns what the policy, and through it the flow log, waits for: the public access block and
        ownership controls, and the default encryption, which takes the key ARN and so follows any
        update of the key (and of its policy admitting log delivery).
        """
        abort_days = args.abort_incomplete_multipart_days
        # The bucket key cuts KMS requests (and their cost) for the many small log objects.
        encryption = {
            "apply_server_side_encryption_by_default": {
                "sse_algorithm": "aws:kms",
                "kms_master_key_id": args.kms_key_arn,
            },
            "bucket_key_enabled": True,
        }
        lifecycle = {
            "id": "flow-logs-tiering-and-expiry",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "transitions": [
                {"days": args.transition_to_ia_days, "storage_class": "STANDARD_IA"},
                {"days": args.transition_to_glacier_ir_days, "storage_class": "GLACIER_IR"},
            ],
            "expiration": {"days": args.retention_days},
            "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_version_expiration_days},
            "abort_incomplete_multipart_upload": {"days_after_initiation": abort_days},
        }
        guards = guard_bucket(name, self.bucket, encryption, lifecycle, self)
        return [*guards.access, guards.encryption]

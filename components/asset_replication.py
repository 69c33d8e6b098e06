"""S3 replication between the regional asset buckets: the role's trust and permissions and the rules.

Pure functions of resolved ARNs, used by :class:`components.assets.Assets`. Every bucket replicates
to every other one (apps write to their own region's bucket); S3 never replicates a replica again,
so the mesh does not loop.

AWS constraints relied on:

- Replication needs versioning on the source and every destination bucket (the configuration
  is created after both :class:`~pulumi_aws.s3.BucketVersioning`); several destinations are
  several rules, each with its own ``priority`` and a ``filter`` (V2 rules), and V2 rules must
  state ``delete_marker_replication``.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html
- Replicas are not replicated again, and only objects written after the configuration exists are
  replicated: objects from before phase 4 need a one-off S3 Batch Replication job.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-batch-replication-batch.html
- SSE-KMS objects replicate only with ``source_selection_criteria.sse_kms_encrypted_objects``
  enabled and a ``replica_kms_key_id`` in the destination's region; the role needs
  ``kms:Decrypt`` on the source key and ``kms:Encrypt`` on the destination key, each limited by
  ``kms:ViaService`` = ``s3.<region>.amazonaws.com`` and ``kms:EncryptionContext:aws:s3:arn``.
  With S3 Bucket Keys the encryption context is the *bucket* ARN, without them the object ARN,
  so both are allowed. Destinations use bucket keys, so the role may also ``kms:GenerateDataKey``.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
- The role is assumed by ``s3.amazonaws.com`` (trust limited here to the source bucket by
  ``aws:SourceArn``) and needs ``s3:GetReplicationConfiguration``/``s3:ListBucket`` on the source,
  ``s3:GetObjectVersionForReplication``/``Acl``/``Tagging`` on its objects and
  ``s3:ReplicateObject``/``ReplicateDelete``/``ReplicateTags`` on the destinations' objects.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
- Two-way replication: ``replica_modifications`` keeps metadata changes of replicas in sync.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-for-metadata-changes.html
- Replication Time Control replicates 99.99% of objects within 15 minutes and needs replication
  metrics on (``metrics.event_threshold`` 15 minutes); it costs extra per GB replicated.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html
- Updates: the replication configuration is replaced only when its ``bucket`` changes
  (terraform-provider-aws ``aws_s3_bucket_replication_configuration``); rules update in place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

#: Replication Time Control's (fixed) threshold, which is also the metrics' event threshold.
RTC_MINUTES = 15


@dataclass(frozen=True)
class ReplicationTarget:
    """One destination: its region, bucket ARN, key ARN and whether the rule runs with RTC.

    RTC is on for destinations that are CloudFront origins (the primary and its failover): they
    decide when an upload written in another region is visible through the CDN, and what the
    failover origin holds. Other destinations only serve their own region's apps, which read
    mostly what they wrote themselves, so they replicate without the per-GB RTC surcharge.
    """

    region: str
    bucket_arn: str
    key_arn: str
    rtc: bool = False


def replication_trust_policy(source_bucket_arn: str) -> str:
    """Trust of the replication role: S3, on behalf of the source bucket only."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "s3.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"ArnLike": {"aws:SourceArn": source_bucket_arn}},
                }
            ],
        }
    )


def _kms(sid: str, actions: list[str], key_arn: str, region: str, bucket_arn: str) -> dict:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": key_arn,
        "Condition": {
            "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
            # Bucket keys: the bucket ARN; objects encrypted without one: the object ARN.
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
        },
    }


def replication_role_policy(
    source_region: str, source_bucket_arn: str, source_key_arn: str, targets: list[ReplicationTarget]
) -> str:
    """Permissions of the replication role of one source bucket, as S3 documents them."""
    statements = [
        {
            "Sid": "SourceBucket",
            "Effect": "Allow",
            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            "Resource": source_bucket_arn,
        },
        {
            "Sid": "SourceObjects",
            "Effect": "Allow",
            "Action": [
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
            ],
            "Resource": f"{source_bucket_arn}/*",
        },
        {
            "Sid": "DestinationObjects",
            "Effect": "Allow",
            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            "Resource": [f"{t.bucket_arn}/*" for t in targets],
        },
        _kms("DecryptSource", ["kms:Decrypt"], source_key_arn, source_region, source_bucket_arn),
    ]
    statements += [
        _kms(f"EncryptReplicas{index}", ["kms:Encrypt", "kms:GenerateDataKey"], t.key_arn, t.region, t.bucket_arn)
        for index, t in enumerate(targets)
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def replication_rules(targets: list[ReplicationTarget]) -> list[dict]:
    """One rule per destination: everything, deletes included, KMS objects re-encrypted there."""
    rules = []
    for priority, target in enumerate(targets):
        destination: dict = {
            "bucket": target.bucket_arn,
            "storage_class": "STANDARD",
            "encryption_configuration": {"replica_kms_key_id": target.key_arn},
        }
        if target.rtc:
            destination["replication_time"] = {"status": "Enabled", "time": {"minutes": RTC_MINUTES}}
            destination["metrics"] = {"status": "Enabled", "event_threshold": {"minutes": RTC_MINUTES}}
        rules.append(
            {
                "id": f"to-{target.region}",
                "priority": priority,
                "status": "Enabled",
                "filter": {"prefix": ""},
                "delete_marker_replication": {"status": "Enabled"},
                "source_selection_criteria": {
                    "sse_kms_encrypted_objects": {"status": "Enabled"},
                    "replica_modifications": {"status": "Enabled"},
                },
                "destination": destination,
            }
        )
    return rules

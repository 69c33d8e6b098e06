"""The settings every bucket of ours gets, as plain resource helpers shared by the bucket components.

AWS constraints relied on:
- Versioning, default encryption, public access block, ownership controls and lifecycle are
  separate S3 resources in provider v7 (one each per bucket); all update in place.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
- ``BucketOwnerEnforced`` disables ACLs; a bucket policy or log delivery that relies on ownership
  must wait for it (and for the public access block, which refuses public policies).
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import child_opts


@dataclass(frozen=True)
class BucketGuards:
    """What dependents wait for: versioning (replication), encryption (the key), and the public
    access block and ownership controls (policies, log delivery)."""

    versioning: aws.s3.BucketVersioning
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    access: list[pulumi.Resource]


def guard_bucket(
    prefix: str,
    bucket: aws.s3.Bucket,
    encryption_rule: dict,
    lifecycle_rule: dict,
    parent: pulumi.Resource,
    **opts,
) -> BucketGuards:
    """Versioning, ``encryption_rule``, all four public-access blocks, ACLs off and ``lifecycle_rule``,
    as ``{prefix}-versioning/-encryption/-public-access/-ownership/-lifecycle`` under ``parent``."""
    versioning = aws.s3.BucketVersioning(
        f"{prefix}-versioning",
        bucket=bucket.id,
        versioning_configuration={"status": "Enabled"},
        opts=child_opts(parent, **opts),
    )
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{prefix}-encryption", bucket=bucket.id, rules=[encryption_rule], opts=child_opts(parent, **opts)
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{prefix}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child_opts(parent, **opts),
    )
    ownership = aws.s3.BucketOwnershipControls(
        f"{prefix}-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=child_opts(parent, **opts),
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{prefix}-lifecycle", bucket=bucket.id, rules=[lifecycle_rule], opts=child_opts(parent, **opts)
    )
    return BucketGuards(versioning, encryption, [public_access, ownership])

"""Edge rules that span resources: CloudFront access logs through standard logging v2, and origin
groups whose every member CloudFront can actually read.

- Standard logging v2 is a CloudWatch Logs delivery source (``logType = ACCESS_LOGS``,
  ``resourceArn`` = the distribution) created in us-east-1, paired with a destination by a
  delivery; the distribution itself carries nothing:
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html
- An S3 origin reached through origin access control needs an OAC on the origin *and* a bucket
  policy letting ``cloudfront.amazonaws.com`` ``s3:GetObject`` with ``AWS:SourceArn`` = this
  distribution; an origin group fails over to its secondary, so both members need them or the
  failover answers 403:
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html

ARNs are unknown in a real preview, so resources are linked through the dependency graph (a
delivery source depends on the distribution; a bucket policy on its bucket and on the
distribution whose ARN it names; a distribution on the buckets of its origins). A policy
document is checked when it is known.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

try:  # a package for the tests, flat modules for the policy runtime
    from .graph import StackResource
except ImportError:
    from graph import StackResource

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
#: CloudFront's delivery sources exist only in us-east-1.
CLOUDFRONT_LOG_REGION = "us-east-1"


def cdn_access_log_violations(resources: Iterable[StackResource]) -> list[tuple[str, str]]:
    """(urn, message) for each distribution without a standard-logging-v2 delivery of its access logs."""
    resources = list(resources)
    sources = [r for r in resources if r.type == DELIVERY_SOURCE]
    deliveries = [r for r in resources if r.type == DELIVERY]
    found = []
    for distribution in (r for r in resources if r.type == DISTRIBUTION):
        mine = [s for s in sources if distribution.urn in s.dependencies and s.props.get("logType") == "ACCESS_LOGS"]
        if not mine:
            found.append((distribution.urn, "no standard logging v2: no ACCESS_LOGS delivery source for it"))
            continue
        for source in mine:
            if source.region and source.region != CLOUDFRONT_LOG_REGION:
                found.append((source.urn, f"CloudFront delivery sources must be in us-east-1, not {source.region}"))
        if not any(s.urn in d.dependencies for s in mine for d in deliveries):
            found.append(
                (distribution.urn, "its access-log delivery source is paired with no destination (LogDelivery)")
            )
    return found


def _reads_for_cloudfront(policy: object) -> bool:
    """True when the (known) policy lets CloudFront GetObject under an AWS:SourceArn condition."""
    if not isinstance(policy, str):
        return True  # unknown in a preview: the graph link has to do
    try:
        statements = json.loads(policy).get("Statement", [])
    except (ValueError, AttributeError):
        return False
    return any(
        s.get("Effect") == "Allow"
        and "cloudfront.amazonaws.com" in json.dumps(s.get("Principal"))
        and "s3:GetObject" in json.dumps(s.get("Action"))
        and "AWS:SourceArn" in json.dumps(s.get("Condition"))
        for s in statements
    )


def origin_group_violations(resources: Iterable[StackResource]) -> list[tuple[str, str]]:
    """(urn, message) for each origin-group member without OAC or without a bucket policy
    letting this distribution read it."""
    resources = list(resources)
    by_urn = {r.urn: r for r in resources}
    policies = [r for r in resources if r.type == BUCKET_POLICY]
    found = []
    for distribution in (r for r in resources if r.type == DISTRIBUTION):
        groups = distribution.props.get("originGroups") or []
        if not groups:
            continue
        origins = {o.get("originId"): o for o in distribution.props.get("origins") or []}
        members = [m.get("originId") for g in groups for m in g.get("members") or []]
        for member in members:
            origin = origins.get(member)
            if origin is None:
                found.append((distribution.urn, f"origin group member {member!r} is not an origin"))
            elif not origin.get("originAccessControlId"):
                found.append((distribution.urn, f"origin group member {member!r} has no origin access control"))
        buckets = [u for u in distribution.dependencies if u in by_urn and by_urn[u].type == BUCKET]
        if len(buckets) < len(members):
            found.append(
                (distribution.urn, f"{len(members)} origin group members but only {len(buckets)} buckets of this stack")
            )
        for bucket in buckets:
            readable = [
                p
                for p in policies
                if bucket in p.dependencies
                and distribution.urn in p.dependencies
                and _reads_for_cloudfront(p.props.get("policy"))
            ]
            if not readable:
                found.append(
                    (bucket, f"bucket policy does not let {distribution.urn} read it (s3:GetObject, AWS:SourceArn)")
                )
    return found

"""Private S3 asset bucket served only through CloudFront (origin access control), with access logs.

AWS constraints this component relies on:

- OAC: the origin is the bucket's REST (regional) endpoint, not a website endpoint; the bucket
  policy grants ``cloudfront.amazonaws.com`` ``s3:GetObject`` with ``AWS:SourceArn`` = the
  distribution; for SSE-KMS objects the key policy must also let that principal ``kms:Decrypt``
  (same condition). OAC names are at most 64 characters (ours: the bucket name, dots replaced).
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
  https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginAccessControlConfig.html
- S3 server access logging: the destination bucket must be in the same Region and account, must
  not use Object Lock or Requester Pays, and its default encryption can only be SSE-S3 ("Default
  server-side encryption with AWS KMS keys (SSE-KMS) is not supported"). Delivery is granted to
  ``logging.s3.amazonaws.com`` in the bucket policy, the documented way (ACL grants are not needed).
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshooting-server-access-logging.html
- CloudFront standard logging (legacy) writes through ACLs: the log bucket must have ACLs enabled
  (not "bucket owner enforced", hence ``BucketOwnerPreferred`` and the ownership controls before
  the distribution), and buckets in af-south-1, ap-east-1, eu-south-1 and me-south-1 are refused.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html
- Viewer TLS: an ACM certificate for ``aliases`` must be in us-east-1 and needs
  ``ssl_support_method`` and ``minimum_protocol_version``; with the default ``*.cloudfront.net``
  certificate "CloudFront automatically sets the security policy to TLSv1".
  https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ViewerCertificate.html
- ``web_acl_id`` takes a WAFv2 web ACL *ARN* of scope CLOUDFRONT (created in us-east-1).
  https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html
- Managed cache policy CachingOptimized has the fixed ID ``658327ea-f89d-4fab-a63d-7e88639e58f6``.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
- Lifecycle: a STANDARD_IA transition needs at least 30 days after creation, and by default objects
  under 128 KB are not transitioned at all (``all_storage_classes_128K``).
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html
- HSTS preload asks for ``max-age`` of at least one year (hstspreload.org's example uses two),
  ``includeSubDomains`` and ``preload``: every subdomain of an alias must then serve HTTPS.
  https://hstspreload.org/
- Updates: distribution, OAC, policies and lifecycle change in place; a distribution update takes
  minutes to deploy to all edge locations. Renaming a bucket replaces it (blocked: protected).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import child_opts, merge_tags, stateful_opts

#: AWS managed cache policy "CachingOptimized" (gzip + brotli, no cookies/headers/query in the
#: key). Referenced by its fixed ID so no lookup invoke is needed.
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"

#: HSTS max-age CloudFront sends: two years, the value the HSTS preload list asks for.
HSTS_MAX_AGE_SECONDS = 63_072_000

#: Key prefixes inside the log bucket, one per log producer.
S3_ACCESS_LOG_PREFIX = "s3-access/"
CLOUDFRONT_LOG_PREFIX = "cloudfront/"

_ORIGIN_ID = "assets-s3"
#: S3 rejects an IA transition earlier than this many days after creation.
_MIN_IA_TRANSITION_DAYS = 30


@dataclass
class AssetsArgs:
    """Inputs of :class:`Assets`.

    Attributes:
        bucket_name: Physical name of the asset bucket.
        log_bucket_name: Physical name of the bucket receiving S3 access and CloudFront logs.
        kms_key_arn: Customer-managed key for SSE-KMS on the asset bucket. The caller must let
            ``cloudfront.amazonaws.com`` call ``kms:Decrypt`` on it (scoped to the distribution via
            ``aws:SourceArn``), or CloudFront cannot read the objects it serves.
        web_acl_arn: WAFv2 CLOUDFRONT-scope web ACL to attach (see ``EdgeWaf``). Default: none.
        price_class: CloudFront price class. Default: ``PriceClass_100`` (North America, Europe).
        aliases: Custom domain names of the distribution. Default: none.
        acm_certificate_arn: ACM certificate (in us-east-1) covering ``aliases``; required when
            aliases are given. Default: none (the ``*.cloudfront.net`` certificate).
        noncurrent_version_expiration_days: Days a replaced/deleted object version is kept, in both
            buckets. Default: 90.
        transition_to_ia_days: Days before current assets move to STANDARD_IA (minimum 30).
            Default: 30.
        abort_incomplete_multipart_days: Days before unfinished multipart uploads are cleaned up.
            Default: 7.
        log_retention_days: Days access logs are kept in the log bucket. Default: 365.
        tags: Extra tags. Default: none.
    """

    bucket_name: str
    log_bucket_name: str
    kms_key_arn: pulumi.Input[str]
    web_acl_arn: pulumi.Input[str] | None = None
    price_class: str = "PriceClass_100"
    aliases: list[str] = field(default_factory=list)
    acm_certificate_arn: str | None = None
    noncurrent_version_expiration_days: int = 90
    transition_to_ia_days: int = 30
    abort_incomplete_multipart_days: int = 7
    log_retention_days: int = 365
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.aliases and not self.acm_certificate_arn:
            raise ValueError(
                f"aliases {self.aliases} need acm_certificate_arn: CloudFront can only serve custom "
                "domains with an ACM certificate (in us-east-1) that covers them"
            )
        if self.transition_to_ia_days < _MIN_IA_TRANSITION_DAYS:
            raise ValueError(
                f"transition_to_ia_days={self.transition_to_ia_days}: S3 requires at least "
                f"{_MIN_IA_TRANSITION_DAYS} days before a STANDARD_IA transition"
            )


def tls_only_statement(bucket_arn: str) -> dict:
    """Deny every request to the bucket or its objects that does not arrive over TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def asset_bucket_policy(bucket_arn: str, distribution_arn: str) -> str:
    """Asset bucket policy: TLS only; CloudFront may read objects, for this distribution only."""
    read = {
        "Sid": "AllowCloudFrontRead",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [tls_only_statement(bucket_arn), read]})


def log_bucket_policy(log_bucket_arn: str, source_bucket_arn: str) -> str:
    """Log bucket policy: TLS only; S3 log delivery may write access logs of the source bucket only."""
    delivery = {
        "Sid": "AllowS3AccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{log_bucket_arn}/{S3_ACCESS_LOG_PREFIX}*",
        "Condition": {"ArnLike": {"aws:SourceArn": source_bucket_arn}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [tls_only_statement(log_bucket_arn), delivery]})


def viewer_certificate(acm_certificate_arn: str | None) -> dict:
    """Viewer TLS settings: SNI + TLS 1.2 with our certificate, else CloudFront's default one."""
    if acm_certificate_arn:
        return {
            "acm_certificate_arn": acm_certificate_arn,
            "ssl_support_method": "sni-only",
            "minimum_protocol_version": "TLSv1.2_2021",
        }
    # Deliberate deviation (checkov CKV_AWS_174): with the *.cloudfront.net certificate CloudFront
    # ignores minimum_protocol_version and negotiates down to TLSv1. Only environments without a
    # custom domain take this path; setting aliases forces a certificate (see AssetsArgs).
    return {"cloudfront_default_certificate": True}


def security_headers() -> dict:
    """Security headers CloudFront adds to every response, overriding what the origin sent."""
    return {
        "strict_transport_security": {
            "access_control_max_age_sec": HSTS_MAX_AGE_SECONDS,
            "include_subdomains": True,
            "preload": True,
            "override": True,
        },
        "content_type_options": {"override": True},
        "frame_options": {"frame_option": "DENY", "override": True},
        "referrer_policy": {"referrer_policy": "strict-origin-when-cross-origin", "override": True},
        "xss_protection": {"protection": True, "mode_block": True, "override": True},
    }


def cdn_name(bucket_name: str, suffix: str = "") -> str:
    """Name for CloudFront policies/OACs derived from a bucket name (they do not accept dots)."""
    return bucket_name.replace(".", "-") + (f"-{suffix}" if suffix else "")


class Assets(pulumi.ComponentResource):
    """Versioned, KMS-encrypted asset bucket readable only by its CloudFront distribution.

    Both buckets are protected (the log bucket holds audit data). CloudFront is global, so the
    provider in ``opts`` only decides the buckets' region.
    """

    def __init__(self, name: str, args: AssetsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:cdn:Assets", name, None, opts)
        self.bucket, bucket_guards = self._create_asset_bucket(name, args)
        self.log_bucket, log_guards = self._create_log_bucket(name, args)
        guards = [*bucket_guards, *log_guards]
        log_policy = aws.s3.BucketPolicy(
            f"{name}-logs-policy",
            bucket=self.log_bucket.id,
            policy=pulumi.Output.all(self.log_bucket.arn, self.bucket.arn).apply(lambda arns: log_bucket_policy(*arns)),
            opts=child_opts(self, depends_on=guards),
        )
        aws.s3.BucketLogging(
            f"{name}-bucket-logging",
            bucket=self.bucket.id,
            target_bucket=self.log_bucket.id,
            target_prefix=S3_ACCESS_LOG_PREFIX,
            opts=child_opts(self, depends_on=[log_policy]),
        )
        self.distribution, self.origin_access_control = self._create_distribution(name, args, guards)
        aws.s3.BucketPolicy(
            f"{name}-bucket-policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, self.distribution.arn).apply(
                lambda arns: asset_bucket_policy(*arns)
            ),
            opts=child_opts(self, depends_on=guards),
        )
        self.bucket_name = self.bucket.bucket
        self.bucket_arn = self.bucket.arn
        self.log_bucket_name = self.log_bucket.bucket
        self.distribution_id = self.distribution.id
        self.distribution_arn = self.distribution.arn
        self.distribution_domain_name = self.distribution.domain_name
        self.origin_access_control_id = self.origin_access_control.id
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "log_bucket_name": self.log_bucket_name,
                "distribution_id": self.distribution_id,
                "distribution_arn": self.distribution_arn,
                "distribution_domain_name": self.distribution_domain_name,
                "origin_access_control_id": self.origin_access_control_id,
            }
        )

    def _harden(
        self, role: str, bucket: aws.s3.Bucket, encryption: dict, ownership: str, lifecycle: dict
    ) -> list[pulumi.Resource]:
        """Versioning, default encryption, public access block, ownership and lifecycle of a bucket.

        Returns the public access block and ownership controls, which policies, log delivery and
        ACL-based CloudFront logging must wait for.
        """
        aws.s3.BucketVersioning(
            f"{role}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child_opts(self),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{role}-encryption", bucket=bucket.id, rules=[encryption], opts=child_opts(self)
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{role}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child_opts(self),
        )
        controls = aws.s3.BucketOwnershipControls(
            f"{role}-ownership",
            bucket=bucket.id,
            rule={"object_ownership": ownership},
            opts=child_opts(self),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{role}-lifecycle", bucket=bucket.id, rules=[lifecycle], opts=child_opts(self)
        )
        return [public_access, controls]

    def _create_asset_bucket(self, name: str, args: AssetsArgs):
        """The protected asset bucket with SSE-KMS, ACLs disabled and IA tiering."""
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            tags=merge_tags(args.bucket_name, args.tags),
            opts=stateful_opts(self),
        )
        encryption = {
            "apply_server_side_encryption_by_default": {
                "sse_algorithm": "aws:kms",
                "kms_master_key_id": args.kms_key_arn,
            },
            "bucket_key_enabled": True,
        }
        rule = {
            "id": "assets-tiering-and-cleanup",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "transitions": [{"days": args.transition_to_ia_days, "storage_class": "STANDARD_IA"}],
            "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_version_expiration_days},
            "abort_incomplete_multipart_upload": {"days_after_initiation": args.abort_incomplete_multipart_days},
        }
        return bucket, self._harden(f"{name}-bucket", bucket, encryption, "BucketOwnerEnforced", rule)

    def _create_log_bucket(self, name: str, args: AssetsArgs):
        """The protected bucket receiving S3 access logs and CloudFront standard logs."""
        # Deliberate deviations for the log bucket: SSE-S3 instead of SSE-KMS (CKV_AWS_145) because
        # S3 server access logging cannot deliver to SSE-KMS buckets; no access logging of its own
        # (CKV_AWS_18) since logging the log bucket would recurse; ACLs stay enabled
        # (BucketOwnerPreferred) because CloudFront standard logging still writes through ACLs.
        bucket = aws.s3.Bucket(
            f"{name}-logs",
            bucket=args.log_bucket_name,
            tags=merge_tags(args.log_bucket_name, args.tags),
            opts=stateful_opts(self),
        )
        encryption = {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
        rule = {
            "id": "expire-logs",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "expiration": {"days": args.log_retention_days},
            "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_version_expiration_days},
            "abort_incomplete_multipart_upload": {"days_after_initiation": args.abort_incomplete_multipart_days},
        }
        return bucket, self._harden(f"{name}-logs", bucket, encryption, "BucketOwnerPreferred", rule)

    def _create_distribution(self, name: str, args: AssetsArgs, guards: list[pulumi.Resource]):
        """Origin access control, security headers policy and the distribution in front of the bucket."""
        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            name=cdn_name(args.bucket_name),
            description=f"CloudFront access to {args.bucket_name}",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child_opts(self),
        )
        headers = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-headers",
            name=cdn_name(args.bucket_name, "security-headers"),
            comment=f"Security headers for {args.bucket_name}",
            security_headers_config=security_headers(),
            opts=child_opts(self),
        )
        # Deliberate deviations: no default root object (CKV_AWS_305) because this distribution
        # serves assets, not a site; no origin failover group (CKV_AWS_310) with a single origin;
        # the WAF is optional (CKV_AWS_68) so phases without one can still use the component.
        distribution = aws.cloudfront.Distribution(
            f"{name}-cdn",
            enabled=True,
            is_ipv6_enabled=True,
            http_version="http2and3",
            comment=f"Assets of {args.bucket_name}",
            aliases=args.aliases,
            price_class=args.price_class,
            web_acl_id=args.web_acl_arn,
            origins=[
                {
                    "origin_id": _ORIGIN_ID,
                    "domain_name": self.bucket.bucket_regional_domain_name,
                    "origin_access_control_id": oac.id,
                }
            ],
            default_cache_behavior={
                "target_origin_id": _ORIGIN_ID,
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD", "OPTIONS"],
                "cached_methods": ["GET", "HEAD"],
                "compress": True,
                "cache_policy_id": CACHING_OPTIMIZED_POLICY_ID,
                "response_headers_policy_id": headers.id,
            },
            logging_config={
                "bucket": self.log_bucket.bucket.apply(lambda bucket: f"{bucket}.s3.amazonaws.com"),
                "prefix": CLOUDFRONT_LOG_PREFIX,
                "include_cookies": False,
            },
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=viewer_certificate(args.acm_certificate_arn),
            tags=merge_tags(args.bucket_name, args.tags),
            opts=child_opts(self, depends_on=guards),
        )
        return distribution, oac

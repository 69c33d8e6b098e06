"""Private S3 asset buckets served only through CloudFront (origin access control), with signed
URLs for private uploads, an API edge-cache behaviour, and (phase 4) one bucket per serving region
kept in sync by S3 replication behind a CloudFront origin group.

AWS constraints this component relies on:

- OAC: the origin is the bucket's REST (regional) endpoint, not a website endpoint; the bucket
  policy grants ``cloudfront.amazonaws.com`` ``s3:GetObject`` with ``AWS:SourceArn`` = the
  distribution; for SSE-KMS objects the key policy must also let that principal ``kms:Decrypt``
  (same condition). OAC names are at most 64 characters (ours: the bucket name, dots replaced).
  One OAC may serve several S3 origins. Without ``s3:ListBucket`` a missing key answers 403.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
  https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginAccessControlConfig.html
- S3 server access logging: the destination bucket must be in the same Region and account, must
  not use Object Lock or Requester Pays, and its default encryption can only be SSE-S3 ("Default
  server-side encryption with AWS KMS keys (SSE-KMS) is not supported"). Delivery is granted to
  ``logging.s3.amazonaws.com`` in the bucket policy, so the log bucket needs no ACLs
  (``BucketOwnerEnforced``). Hence one log bucket per asset bucket region.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshooting-server-access-logging.html
- CloudFront access logs use standard logging v2 (CloudWatch vended logs, :mod:`components.cdn_logs`),
  not legacy logging, which writes through bucket ACLs. Switching a bucket that received legacy
  logs to ``BucketOwnerEnforced`` fails (``InvalidBucketAclWithObjectOwnership``) while its bucket
  ACL still grants the ``awslogsdelivery`` account: reset it to ``private`` first (docs/promotion.md).
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html
- Viewer TLS: an ACM certificate for ``aliases`` must be in us-east-1 and needs
  ``ssl_support_method`` and ``minimum_protocol_version`` (``TLSv1.2_2021``, ``TLSv1.2_2025`` or
  ``TLSv1.3_2025`` are the TLS 1.2+ policies, see :data:`VIEWER_TLS_POLICIES`); with the default
  ``*.cloudfront.net`` certificate "CloudFront automatically sets the security policy to TLSv1".
  https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ViewerCertificate.html
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-viewer-protocols-ciphers.html
- Signed URLs: a cache behaviour with ``trusted_key_groups`` requires a signed URL or cookie for
  every request it matches; the public key must be RSA 2048 or ECDSA P-256, in PEM
  (SubjectPublicKeyInfo). A public key's ``encoded_key`` and ``name`` cannot change (ForceNew), so
  its name carries a digest of the key: rotating it creates the new key before the key group
  switches over. The private key never reaches us; the app signs with it.
  https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_PublicKey.html
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-trusted-signers.html
- Cache keys: headers, cookies and query strings in a cache policy are both in the key and
  forwarded; an origin request policy adds what is forwarded but not keyed. ``Accept-Encoding``
  is normalised by ``enable_accept_encoding_gzip``/``_brotli``. CloudFront headers such as
  ``CloudFront-Viewer-Address`` are available only in an origin request policy.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-the-cache-key.html
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-origin-requests.html
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/adding-cloudfront-headers.html
- Custom (API) origin: ``origin_protocol_policy = https-only`` with ``origin_ssl_protocols``
  ``TLSv1.2``; CloudFront sends the origin's domain name as Host and SNI, so the API host's own
  certificate (the ALB's) must cover it.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html
- Origin groups: exactly two origins (primary, secondary); failover on the configured status
  codes (allowed: 400, 403, 404, 416, 500, 502, 503, 504) or connection failures, and only for
  GET, HEAD and OPTIONS, so a behaviour targeting a group must not allow other methods.
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorOriginGroups.html
- Replication: see :mod:`components.asset_replication` (versioning on both sides, KMS
  permissions of the role, RTC and metrics, no re-replication of replicas).
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
- Updates: distribution, OAC, key group, cache/origin request policies, ownership controls and
  lifecycle change in place; a distribution update takes minutes to reach all edge locations.
  Renaming a bucket replaces it (blocked: protected). Source: terraform-provider-aws
  ``internal/service/cloudfront/{public_key,key_group}.go`` and the S3 resources' schemas.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.asset_replication import (
    ReplicationTarget,
    replication_role_policy,
    replication_rules,
    replication_trust_policy,
)
from components.base import child_opts, merge_tags, region_code, stateful_opts
from components.bucket_guards import guard_bucket

#: AWS managed cache policy "CachingOptimized" (gzip + brotli, no cookies/headers/query in the
#: key). Referenced by its fixed ID so no lookup invoke is needed.
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"

#: HSTS max-age CloudFront sends: two years, the value the HSTS preload list asks for.
HSTS_MAX_AGE_SECONDS = 63_072_000

#: Key prefix of S3 server access logs inside each log bucket.
S3_ACCESS_LOG_PREFIX = "s3-access/"

#: Viewer security policies of CloudFront that refuse anything below TLS 1.2 (the API's
#: ``MinimumProtocolVersion`` enum also has SSLv3, TLSv1, TLSv1_2016, TLSv1.1_2016, TLSv1.2_2018
#: and TLSv1.2_2019; the last two allow CBC/SHA-1 ciphers, so they are left out).
VIEWER_TLS_POLICIES = ("TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")

#: Origin failover status codes: server errors, and 403/404 because without s3:ListBucket a key
#: the primary lacks (not yet replicated there) answers 403.
FAILOVER_STATUS_CODES = (403, 404, 500, 502, 503, 504)
#: Methods a behaviour may allow when it targets an origin group (CloudFront fails over only these).
FAILOVER_METHODS = ("GET", "HEAD", "OPTIONS")

_ORIGIN_ID = "assets-s3"
_GROUP_ID = "assets"
_API_ORIGIN_ID = "api"
#: S3 rejects an IA transition earlier than this many days after creation.
_MIN_IA_TRANSITION_DAYS = 30

_RSA_OID = bytes.fromhex("2a864886f70d010101")
_EC_OID = bytes.fromhex("2a8648ce3d0201")
_P256_OID = bytes.fromhex("2a8648ce3d030107")
_PEM = re.compile(r"^-----BEGIN PUBLIC KEY-----\s*\n([A-Za-z0-9+/=\s]+?)\n?-----END PUBLIC KEY-----\s*$")


def _der(data: bytes, pos: int = 0) -> tuple[int, bytes, int]:
    """(tag, content, next position) of the DER element at ``pos``; ValueError when truncated."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag, length, pos = data[pos], data[pos + 1], pos + 2
    if length & 0x80:
        count = length & 0x7F
        length, pos = int.from_bytes(data[pos : pos + count], "big"), pos + count
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return tag, data[pos : pos + length], pos + length


def signing_key_problem(pem: str) -> str | None:
    """Why ``pem`` is not a public key CloudFront accepts for signed URLs, or None.

    CloudFront takes an RSA 2048 or ECDSA P-256 key as PEM SubjectPublicKeyInfo
    (``-----BEGIN PUBLIC KEY-----``, what ``openssl rsa -pubout`` writes).
    """
    match = _PEM.match(pem.strip() + "\n")
    if not match:
        return "must be a PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----)"
    try:
        der = base64.b64decode("".join(match.group(1).split()), validate=True)
        tag, spki, _ = _der(der)
        _, algorithm, pos = _der(spki)
        bit_tag, bits, _ = _der(spki, pos)
        _, oid, params_pos = _der(algorithm)
        if tag != 0x30 or bit_tag != 0x03 or not bits or bits[0] != 0:
            raise ValueError("not a SubjectPublicKeyInfo")
        if oid == _RSA_OID:
            _, rsa, _ = _der(bits[1:])
            _, modulus, _ = _der(rsa)
            size = int.from_bytes(modulus, "big").bit_length()
            return None if size == 2048 else f"is an RSA key of {size} bits; CloudFront needs RSA 2048 or ECDSA P-256"
        if oid == _EC_OID:
            _, curve, _ = _der(algorithm, params_pos)
            return None if curve == _P256_OID else "is an EC key on another curve; CloudFront needs ECDSA P-256"
        return "is neither an RSA nor an EC key; CloudFront needs RSA 2048 or ECDSA P-256"
    except (ValueError, binascii.Error) as error:
        return f"is not a valid DER public key ({error})"


@dataclass
class AssetReplica:
    """A bucket in another serving region that the primary bucket (and every other) replicates to.

    Attributes:
        region: Its region.
        bucket_name: Physical name of the bucket.
        log_bucket_name: Physical name of its access-log bucket (same region).
        kms_key_arn: Customer-managed key of that region; replicas are encrypted with it. It must
            grant ``cloudfront.amazonaws.com`` ``kms:Decrypt`` when the bucket is a CloudFront origin.
        provider: AWS provider of ``region``.
    """

    region: str
    bucket_name: str
    log_bucket_name: str
    kms_key_arn: pulumi.Input[str]
    provider: aws.Provider


@dataclass
class AssetsArgs:
    """Inputs of :class:`Assets`.

    Attributes:
        bucket_name: Physical name of the asset bucket.
        log_bucket_name: Physical name of the bucket receiving its S3 access logs.
        kms_key_arn: Customer-managed key for SSE-KMS on the asset bucket. The caller must let
            ``cloudfront.amazonaws.com`` call ``kms:Decrypt`` on it (scoped to the distribution via
            ``aws:SourceArn``), or CloudFront cannot read the objects it serves.
        region: Region of the asset bucket (the provider's); needed with ``replicas``. Default: none.
        web_acl_arn: WAFv2 CLOUDFRONT-scope web ACL to attach (see ``EdgeWaf``). Default: none.
        price_class: CloudFront price class. Default: ``PriceClass_100`` (North America, Europe).
        aliases: Custom domain names of the distribution. Default: none.
        acm_certificate_arn: ACM certificate (in us-east-1) covering ``aliases``; required when
            aliases are given. Default: none (the ``*.cloudfront.net`` certificate).
        minimum_protocol_version: Viewer security policy with a certificate, one of
            :data:`VIEWER_TLS_POLICIES`. Default: ``TLSv1.2_2021``.
        signing_public_key_pem: Public key (RSA 2048 or ECDSA P-256, PEM) whose private half signs
            URLs of ``uploads_path_pattern``. Default: none (no private uploads behaviour).
        uploads_path_pattern: Path pattern of private uploads. Default: ``/uploads/*``.
        api_origin_domain: Host name of the API (served over HTTPS by its load balancers); with it
            GETs on ``api_cache_path_pattern`` are cached at the edge. Default: none.
        api_cache_path_pattern: Path pattern of cacheable public API GETs. Default: ``/api/public/*``.
        api_cache_max_ttl_seconds: Longest the edge keeps an API response (the API's
            ``Cache-Control`` decides below that; without one nothing is cached). Default: 300.
        replicas: Buckets in other regions; every bucket then replicates to every other. Default: none.
        failover_region: Region of the replica that backs the primary in the origin group.
            Default: the first replica's.
        noncurrent_version_expiration_days: Days a replaced/deleted object version is kept, in every
            bucket. Default: 90.
        transition_to_ia_days: Days before current assets move to STANDARD_IA (minimum 30).
            Default: 30.
        abort_incomplete_multipart_days: Days before unfinished multipart uploads are cleaned up.
            Default: 7.
        log_retention_days: Days access logs are kept in the log buckets. Default: 365.
        tags: Extra tags. Default: none.
    """

    bucket_name: str
    log_bucket_name: str
    kms_key_arn: pulumi.Input[str]
    region: str | None = None
    web_acl_arn: pulumi.Input[str] | None = None
    price_class: str = "PriceClass_100"
    aliases: list[str] = field(default_factory=list)
    acm_certificate_arn: str | None = None
    minimum_protocol_version: str = "TLSv1.2_2021"
    signing_public_key_pem: str | None = None
    uploads_path_pattern: str = "/uploads/*"
    api_origin_domain: str | None = None
    api_cache_path_pattern: str = "/api/public/*"
    api_cache_max_ttl_seconds: int = 300
    replicas: list[AssetReplica] = field(default_factory=list)
    failover_region: str | None = None
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
        if self.minimum_protocol_version not in VIEWER_TLS_POLICIES:
            raise ValueError(
                f"minimum_protocol_version={self.minimum_protocol_version!r}: one of {', '.join(VIEWER_TLS_POLICIES)}"
            )
        if self.signing_public_key_pem is not None:
            problem = signing_key_problem(self.signing_public_key_pem)
            if problem:
                raise ValueError(f"signing_public_key_pem {problem}")
        if self.replicas and not self.region:
            raise ValueError("replicas need region (the asset bucket's, for the replication role's KMS conditions)")
        regions = [r.region for r in self.replicas]
        if self.failover_region is not None and self.failover_region not in regions:
            raise ValueError(f"failover_region={self.failover_region!r} is not a replica region ({regions})")
        if self.region in regions or len(set(regions)) != len(regions):
            raise ValueError(f"replica regions {regions} must be distinct and differ from {self.region}")


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


def asset_bucket_policy(bucket_arn: str, distribution_arn: str | None) -> str:
    """Asset bucket policy: TLS only; CloudFront may read objects, for this distribution only
    (none when the bucket is no origin of it)."""
    statements = [tls_only_statement(bucket_arn)]
    if distribution_arn:
        statements.append(
            {
                "Sid": "AllowCloudFrontRead",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


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


def viewer_certificate(acm_certificate_arn: str | None, minimum_protocol_version: str = "TLSv1.2_2021") -> dict:
    """Viewer TLS settings: SNI + TLS 1.2 or newer with our certificate, else CloudFront's default one."""
    if acm_certificate_arn:
        return {
            "acm_certificate_arn": acm_certificate_arn,
            "ssl_support_method": "sni-only",
            "minimum_protocol_version": minimum_protocol_version,
        }
    # Only for an environment without a custom domain (phase 1 may start so; the config requires
    # aliases + certificate from phase 2): CloudFront then negotiates down to TLSv1.
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


def api_cache_key(max_ttl_seconds: int) -> dict:
    """The API cache policy's TTLs and key: every query string, ``Origin``, compression; nothing else.

    - Query strings (all): they select the resource (``?page=2``); a list to maintain beside the
      API would silently serve one page for another when it falls behind.
    - ``Origin``: the API answers CORS per requesting origin; without it in the key, a response
      cached for one site would be served to another and fail its CORS check.
    - No cookies and no ``Authorization``: they are neither keyed nor forwarded, so the origin
      never sees credentials on this path and can only answer the public representation; one
      user's response can never be cached for another.
    - Default TTL 0: nothing is cached unless the API says so (``Cache-Control: max-age`` /
      ``s-maxage``), up to ``max_ttl_seconds``.
    """
    return {
        "min_ttl": 0,
        "default_ttl": 0,
        "max_ttl": max_ttl_seconds,
        "parameters_in_cache_key_and_forwarded_to_origin": {
            "cookies_config": {"cookie_behavior": "none"},
            "headers_config": {"header_behavior": "whitelist", "headers": {"items": ["Origin"]}},
            "query_strings_config": {"query_string_behavior": "all"},
            "enable_accept_encoding_gzip": True,
            "enable_accept_encoding_brotli": True,
        },
    }


#: What the API origin gets beyond the cache key: the viewer's address (the load balancer and its
#: WAF otherwise see only CloudFront's), nothing that could vary the response.
API_ORIGIN_REQUEST = {
    "cookies_config": {"cookie_behavior": "none"},
    "headers_config": {"header_behavior": "whitelist", "headers": {"items": ["CloudFront-Viewer-Address"]}},
    "query_strings_config": {"query_string_behavior": "none"},
}


def api_origin(domain_name: str) -> dict:
    """The API as a custom origin: HTTPS only, TLS 1.2."""
    return {
        "origin_id": _API_ORIGIN_ID,
        "domain_name": domain_name,
        "custom_origin_config": {
            "http_port": 80,
            "https_port": 443,
            "origin_protocol_policy": "https-only",
            "origin_ssl_protocols": ["TLSv1.2"],
        },
    }


def cdn_name(bucket_name: str, suffix: str = "") -> str:
    """Name for CloudFront policies/OACs/keys derived from a bucket name (they do not accept dots)."""
    return bucket_name.replace(".", "-") + (f"-{suffix}" if suffix else "")


def signing_key_name(bucket_name: str, pem: str) -> str:
    """Name of the CloudFront public key: changes with the key, so a rotation creates before it deletes."""
    digest = hashlib.sha256("".join(pem.split()).encode()).hexdigest()[:12]
    return cdn_name(bucket_name, f"uploads-{digest}")


@dataclass
class _Bucket:
    """One asset bucket and what policies and replication wait for."""

    region: str | None
    bucket: aws.s3.Bucket
    log_bucket: aws.s3.Bucket
    key_arn: pulumi.Input[str]
    versioning: aws.s3.BucketVersioning
    guards: list[pulumi.Resource]
    opts: dict


class Assets(pulumi.ComponentResource):
    """Versioned, KMS-encrypted asset buckets readable only by their CloudFront distribution.

    Every bucket is protected, and so is every log bucket (audit data). CloudFront is global, so the
    provider in ``opts`` only decides the primary buckets' region; replicas bring their own.
    """

    def __init__(self, name: str, args: AssetsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:cdn:Assets", name, None, opts)
        self._tags = merge_tags(args.bucket_name, args.tags)
        self.public_key_id: pulumi.Output[str] | None = None
        primary = self._bucket_set(
            name, args.bucket_name, args.log_bucket_name, args.kms_key_arn, args, {}, region=args.region
        )
        self.bucket = primary.bucket
        self.log_bucket = primary.log_bucket
        replicas = {
            replica.region: self._bucket_set(
                f"{name}-{region_code(replica.region)}",
                replica.bucket_name,
                replica.log_bucket_name,
                replica.kms_key_arn,
                args,
                {"provider": replica.provider},
                region=replica.region,
            )
            for replica in args.replicas
        }
        failover = args.failover_region or (args.replicas[0].region if args.replicas else None)
        # The origin group: the primary bucket, backed by one replica (a group holds two origins).
        members = [primary] + ([replicas[failover]] if failover else [])
        self.distribution, self.origin_access_control = self._create_distribution(name, args, members)
        for bucket_set, logical in [(primary, name), *((replicas[r], f"{name}-{region_code(r)}") for r in replicas)]:
            is_origin = bucket_set in members
            aws.s3.BucketPolicy(
                f"{logical}-bucket-policy",
                bucket=bucket_set.bucket.id,
                policy=pulumi.Output.all(bucket_set.bucket.arn, self.distribution.arn).apply(
                    lambda arns, origin=is_origin: asset_bucket_policy(arns[0], arns[1] if origin else None)
                ),
                opts=child_opts(self, depends_on=bucket_set.guards, **bucket_set.opts),
            )
        everyone = [primary, *replicas.values()]
        if replicas:
            for source, logical in zip(everyone, [name, *(f"{name}-{region_code(r)}" for r in replicas)], strict=True):
                self._replicate(logical, source, [b for b in everyone if b is not source], members)
        self.bucket_name = self.bucket.bucket
        self.bucket_arn = self.bucket.arn
        self.log_bucket_name = self.log_bucket.bucket
        self.distribution_id = self.distribution.id
        self.distribution_arn = self.distribution.arn
        self.distribution_domain_name = self.distribution.domain_name
        self.origin_access_control_id = self.origin_access_control.id
        #: Bucket name and ARN per region (the primary's under ``args.region``, or ``""``).
        self.regional_buckets: dict[str, tuple[pulumi.Output[str], pulumi.Output[str]]] = {
            (b.region or ""): (b.bucket.bucket, b.bucket.arn) for b in everyone
        }
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "log_bucket_name": self.log_bucket_name,
                "distribution_id": self.distribution_id,
                "distribution_arn": self.distribution_arn,
                "distribution_domain_name": self.distribution_domain_name,
                "origin_access_control_id": self.origin_access_control_id,
                "public_key_id": self.public_key_id,
                "regional_bucket_names": {region: names[0] for region, names in self.regional_buckets.items()},
            }
        )

    def _bucket_set(self, name, bucket_name, log_bucket_name, key_arn, args, extra, region=None) -> _Bucket:
        """An asset bucket with its log bucket, the log bucket's policy and the access logging."""
        bucket, versioning, bucket_guards = self._create_asset_bucket(name, bucket_name, key_arn, args, extra)
        log_bucket, log_guards = self._create_log_bucket(name, log_bucket_name, args, extra)
        log_policy = aws.s3.BucketPolicy(
            f"{name}-logs-policy",
            bucket=log_bucket.id,
            policy=pulumi.Output.all(log_bucket.arn, bucket.arn).apply(lambda arns: log_bucket_policy(*arns)),
            opts=child_opts(self, depends_on=log_guards, **extra),
        )
        aws.s3.BucketLogging(
            f"{name}-bucket-logging",
            bucket=bucket.id,
            target_bucket=log_bucket.id,
            target_prefix=S3_ACCESS_LOG_PREFIX,
            opts=child_opts(self, depends_on=[log_policy], **extra),
        )
        return _Bucket(region, bucket, log_bucket, key_arn, versioning, bucket_guards, extra)

    def _harden(
        self, role: str, bucket: aws.s3.Bucket, encryption: dict, lifecycle: dict, extra: dict
    ) -> tuple[aws.s3.BucketVersioning, list[pulumi.Resource]]:
        """Versioning, default encryption, public access block, ownership (ACLs off) and lifecycle.

        Returns the versioning (replication waits for it) and the public access block and
        ownership controls, which policies and log delivery must wait for.
        """
        guards = guard_bucket(role, bucket, encryption, lifecycle, self, **extra)
        return guards.versioning, guards.access

    def _create_asset_bucket(self, name: str, bucket_name: str, key_arn, args: AssetsArgs, extra: dict):
        """A protected asset bucket with SSE-KMS (bucket key), ACLs disabled and IA tiering."""
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=bucket_name,
            tags=merge_tags(bucket_name, args.tags),
            opts=stateful_opts(self, **extra),
        )
        encryption = {
            "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key_arn},
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
        versioning, guards = self._harden(f"{name}-bucket", bucket, encryption, rule, extra)
        return bucket, versioning, guards

    def _create_log_bucket(self, name: str, log_bucket_name: str, args: AssetsArgs, extra: dict):
        """A protected bucket receiving the S3 access logs of the asset bucket beside it."""
        # Deliberate deviations for log buckets: SSE-S3 instead of SSE-KMS (CKV_AWS_145) because
        # S3 server access logging cannot deliver to SSE-KMS buckets; no access logging of its own
        # (CKV_AWS_18) since logging the log bucket would recurse.
        bucket = aws.s3.Bucket(
            f"{name}-logs",
            bucket=log_bucket_name,
            tags=merge_tags(log_bucket_name, args.tags),
            opts=stateful_opts(self, **extra),
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
        _, guards = self._harden(f"{name}-logs", bucket, encryption, rule, extra)
        return bucket, guards

    def _replicate(self, name: str, source: _Bucket, targets: list[_Bucket], members: list[_Bucket]) -> None:
        """The replication role of ``source`` and its rules to every other bucket (RTC into CDN origins)."""
        role = aws.iam.Role(
            f"{name}-replication-role",
            name=source.bucket.bucket.apply(lambda b: f"{b}-replication"),
            assume_role_policy=source.bucket.arn.apply(replication_trust_policy),
            tags=self._tags,
            opts=child_opts(self),
        )
        resolved = pulumi.Output.all(
            source.bucket.arn,
            source.key_arn,
            *(t.bucket.arn for t in targets),
            *(t.key_arn for t in targets),
        )
        count = len(targets)

        def targets_of(values: list) -> list[ReplicationTarget]:
            arns, keys = values[2 : 2 + count], values[2 + count :]
            return [
                ReplicationTarget(t.region or "", arn, key, rtc=t in members)
                for t, arn, key in zip(targets, arns, keys, strict=True)
            ]

        aws.iam.RolePolicy(
            f"{name}-replication-policy",
            role=role.id,
            policy=resolved.apply(lambda v: replication_role_policy(source.region or "", v[0], v[1], targets_of(v))),
            opts=child_opts(self),
        )
        aws.s3.BucketReplicationConfig(
            f"{name}-replication",
            bucket=source.bucket.id,
            role=role.arn,
            rules=resolved.apply(lambda v: replication_rules(targets_of(v))),
            opts=child_opts(self, depends_on=[source.versioning, *(t.versioning for t in targets)], **source.opts),
        )

    def _create_distribution(self, name: str, args: AssetsArgs, members: list[_Bucket]):
        """OAC, security headers, the optional signed-URL and API behaviours, and the distribution."""
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
        origin_ids = [_ORIGIN_ID] + [f"{_ORIGIN_ID}-{region_code(m.region) if m.region else ''}" for m in members[1:]]
        origins = [
            {
                "origin_id": origin_id,
                "domain_name": m.bucket.bucket_regional_domain_name,
                "origin_access_control_id": oac.id,
            }
            for origin_id, m in zip(origin_ids, members, strict=True)
        ]
        origin_groups = []
        assets_target = _ORIGIN_ID
        if len(members) > 1:
            assets_target = _GROUP_ID
            origin_groups = [
                {
                    "origin_id": _GROUP_ID,
                    "failover_criteria": {"status_codes": list(FAILOVER_STATUS_CODES)},
                    "members": [{"origin_id": origin_id} for origin_id in origin_ids],
                }
            ]
        static = {
            "target_origin_id": assets_target,
            "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": list(FAILOVER_METHODS),
            "cached_methods": ["GET", "HEAD"],
            "compress": True,
            "cache_policy_id": CACHING_OPTIMIZED_POLICY_ID,
            "response_headers_policy_id": headers.id,
        }
        ordered = []
        if args.signing_public_key_pem:
            key = aws.cloudfront.PublicKey(
                f"{name}-signing-key",
                name=signing_key_name(args.bucket_name, args.signing_public_key_pem),
                comment=f"Signs private uploads of {args.bucket_name} (private key held by the app team)",
                encoded_key=args.signing_public_key_pem.strip() + "\n",
                opts=child_opts(self),
            )
            group = aws.cloudfront.KeyGroup(
                f"{name}-signers",
                name=cdn_name(args.bucket_name, "uploads"),
                comment=f"Signers of private uploads of {args.bucket_name}",
                items=[key.id],
                opts=child_opts(self),
            )
            self.public_key_id = key.id
            # CachingOptimized keys no query strings, so the signature parameters stay out of the key.
            ordered.append({**static, "path_pattern": args.uploads_path_pattern, "trusted_key_groups": [group.id]})
        if args.api_origin_domain:
            cache = aws.cloudfront.CachePolicy(
                f"{name}-api-cache",
                name=cdn_name(args.bucket_name, "api-cache"),
                comment="Public API GETs: keyed on query strings and Origin only",
                **api_cache_key(args.api_cache_max_ttl_seconds),
                opts=child_opts(self),
            )
            forwarded = aws.cloudfront.OriginRequestPolicy(
                f"{name}-api-origin-request",
                name=cdn_name(args.bucket_name, "api-origin-request"),
                comment="Public API GETs: the viewer address, no cookies",
                **API_ORIGIN_REQUEST,
                opts=child_opts(self),
            )
            origins.append(api_origin(args.api_origin_domain))
            ordered.append(
                {
                    "path_pattern": args.api_cache_path_pattern,
                    "target_origin_id": _API_ORIGIN_ID,
                    "viewer_protocol_policy": "https-only",
                    "allowed_methods": ["GET", "HEAD", "OPTIONS"],
                    "cached_methods": ["GET", "HEAD"],
                    "compress": True,
                    "cache_policy_id": cache.id,
                    "origin_request_policy_id": forwarded.id,
                    "response_headers_policy_id": headers.id,
                }
            )
        # Deliberate deviation: no default root object (CKV_AWS_305) because this distribution
        # serves assets and uploads, not a site. The WAF is optional (CKV_AWS_68) so the component
        # works on its own; the stack always attaches one. Access logs: standard logging v2
        # (components.cdn_logs), which needs nothing on the distribution itself.
        distribution = aws.cloudfront.Distribution(
            f"{name}-cdn",
            enabled=True,
            is_ipv6_enabled=True,
            http_version="http2and3",
            comment=f"Assets of {args.bucket_name}",
            aliases=args.aliases,
            price_class=args.price_class,
            web_acl_id=args.web_acl_arn,
            origins=origins,
            origin_groups=origin_groups or None,
            default_cache_behavior=static,
            ordered_cache_behaviors=ordered or None,
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=viewer_certificate(args.acm_certificate_arn, args.minimum_protocol_version),
            tags=self._tags,
            opts=child_opts(self, depends_on=[g for m in members for g in m.guards]),
        )
        return distribution, oac

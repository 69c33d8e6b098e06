"""Assets (private S3 origin behind CloudFront) and EdgeWaf on their own: private, encrypted, logged."""

import json

import pulumi
import pulumi_aws as aws
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.assets import (
    CACHING_OPTIMIZED_POLICY_ID,
    Assets,
    AssetsArgs,
    asset_bucket_policy,
    cdn_name,
    log_bucket_policy,
    viewer_certificate,
)
from components.edge_waf import EdgeWaf, EdgeWafArgs, web_acl_rules
from infra.offline.harness import MOCK_ACCOUNT_ID
from tests.readable import run_program

KEY_ARN = "arn:aws:kms:us-west-2:111122223333:key/assets"
WAF_KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/waf"
CERT_ARN = "arn:aws:acm:us-east-1:111122223333:certificate/abc"
WAF_ARN = "arn:aws:wafv2:us-east-1:111122223333:global/webacl/acme/1"
BUCKET = "aws:s3/bucket:Bucket"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
ASSET_OUTPUTS = (
    "bucket_name",
    "bucket_arn",
    "log_bucket_name",
    "distribution_id",
    "distribution_arn",
    "distribution_domain_name",
    "origin_access_control_id",
)


def _assets_program(**overrides):
    def program():
        provider = aws.Provider("usw2", region="us-west-2")
        args = AssetsArgs(
            bucket_name="acme-prod-assets",
            log_bucket_name="acme-prod-assets-logs",
            kms_key_arn=KEY_ARN,
            tags={"Team": "platform"},
            **overrides,
        )
        assets = Assets("assets", args, opts=pulumi.ResourceOptions(provider=provider))
        for output in ASSET_OUTPUTS:
            pulumi.export(output, getattr(assets, output))

    return program


@pytest.fixture(scope="module")
def assets():
    return run_program(
        _assets_program(
            web_acl_arn=WAF_ARN,
            aliases=["cdn.acme.example"],
            acm_certificate_arn=CERT_ARN,
            transition_to_ia_days=45,
            noncurrent_version_expiration_days=60,
            abort_incomplete_multipart_days=3,
            log_retention_days=400,
        )
    )


def _for_bucket(result, type_token, logical_bucket):
    """The sub-resource of ``type_token`` configuring the bucket with logical name ``logical_bucket``."""
    (found,) = [r for r in result.of_type(type_token) if r.inputs["bucket"] == f"{logical_bucket}-id"]
    return found


def test_both_buckets_are_protected_tagged_and_never_public(assets):
    buckets = {b.name: b for b in assets.of_type(BUCKET)}
    assert set(buckets) == {"assets-bucket", "assets-logs"}
    assert all(b.protect and b.region == "us-west-2" for b in buckets.values())
    assert buckets["assets-bucket"].inputs["bucket"] == "acme-prod-assets"
    assert buckets["assets-logs"].inputs["tags"] == {
        "ManagedBy": "pulumi",
        "Team": "platform",
        "Name": "acme-prod-assets-logs",
    }
    for logical in buckets:
        block = _for_bucket(assets, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", logical)
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        assert all(block.inputs[flag] is True for flag in flags)
        versioning = _for_bucket(assets, "aws:s3/bucketVersioning:BucketVersioning", logical)
        assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"


def test_asset_bucket_uses_sse_kms_with_bucket_key_and_log_bucket_sse_s3(assets):
    sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    (rule,) = _for_bucket(assets, sse, "assets-bucket").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": KEY_ARN,
    }
    assert rule["bucketKeyEnabled"] is True
    (log_rule,) = _for_bucket(assets, sse, "assets-logs").inputs["rules"]
    assert log_rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


def test_acls_are_off_on_every_bucket(assets):
    # CloudFront logs go through standard logging v2 (components.cdn_logs): no ACL-based delivery.
    ownership = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
    for logical in ("assets-bucket", "assets-logs"):
        assert _for_bucket(assets, ownership, logical).inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_lifecycle_rules_carry_the_configured_days(assets):
    lifecycle = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    (rule,) = _for_bucket(assets, lifecycle, "assets-bucket").inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["transitions"] == [{"days": 45, "storageClass": "STANDARD_IA"}]
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 60}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 3}
    (log_rule,) = _for_bucket(assets, lifecycle, "assets-logs").inputs["rules"]
    assert log_rule["expiration"] == {"days": 400}
    assert log_rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 3}


def test_access_logging_goes_to_the_log_bucket(assets):
    (logging,) = assets.of_type("aws:s3/bucketLogging:BucketLogging")
    assert logging.inputs["bucket"] == "assets-bucket-id"
    assert logging.inputs["targetBucket"] == "assets-logs-id"
    assert logging.inputs["targetPrefix"] == "s3-access/"


def test_bucket_policies_are_tls_only_scoped_and_wait_for_public_access_blocks(assets):
    blocks = {r.urn for r in assets.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")}
    assert len(blocks) == 2
    asset_policy = json.loads(assets.named("assets-bucket-policy").inputs["policy"])
    deny, read = asset_policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    distribution_arn = f"arn:aws:cloudfront:us-west-2:{MOCK_ACCOUNT_ID}:assets-cdn"
    assert read["Condition"] == {"StringEquals": {"AWS:SourceArn": distribution_arn}}
    log_policy = json.loads(assets.named("assets-logs-policy").inputs["policy"])
    log_deny, delivery = log_policy["Statement"]
    assert log_deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    bucket_arn = f"arn:aws:s3:us-west-2:{MOCK_ACCOUNT_ID}:assets-bucket"
    assert delivery["Condition"] == {"ArnLike": {"aws:SourceArn": bucket_arn}}
    for name, block in (
        ("assets-bucket-policy", "assets-bucket-public-access"),
        ("assets-logs-policy", "assets-logs-public-access"),
    ):
        assert assets.named(block).urn in assets.named(name).dependencies


def test_distribution_serves_https_only_through_oac_with_waf_and_logs(assets):
    (cdn,) = assets.of_type(DISTRIBUTION)
    inputs = cdn.inputs
    assert inputs["enabled"] is True and inputs["isIpv6Enabled"] is True
    assert inputs["httpVersion"] == "http2and3"
    assert inputs["priceClass"] == "PriceClass_100"
    assert inputs["webAclId"] == WAF_ARN
    assert inputs["aliases"] == ["cdn.acme.example"]
    assert "defaultRootObject" not in inputs
    behavior = inputs["defaultCacheBehavior"]
    assert behavior["viewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["compress"] is True
    assert behavior["cachePolicyId"] == CACHING_OPTIMIZED_POLICY_ID
    assert behavior["responseHeadersPolicyId"] == "assets-headers-id"
    (origin,) = inputs["origins"]
    assert origin["originAccessControlId"] == "assets-oac-id"
    assert origin["domainName"] == "assets-bucket.s3.us-west-2.amazonaws.com"
    assert "loggingConfig" not in inputs  # standard logging v2 lives in components.cdn_logs
    assert "originGroups" not in inputs and "orderedCacheBehaviors" not in inputs
    assert inputs["restrictions"] == {"geoRestriction": {"restrictionType": "none"}}
    assert inputs["viewerCertificate"] == {
        "acmCertificateArn": CERT_ARN,
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    }
    (oac,) = assets.of_type("aws:cloudfront/originAccessControl:OriginAccessControl")
    assert oac.inputs["originAccessControlOriginType"] == "s3"
    assert oac.inputs["signingBehavior"] == "always"
    assert oac.inputs["signingProtocol"] == "sigv4"


def test_response_headers_policy_sets_strict_security_headers(assets):
    (policy,) = assets.of_type("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    headers = policy.inputs["securityHeadersConfig"]
    assert headers["strictTransportSecurity"] == {
        "accessControlMaxAgeSec": 63_072_000,
        "includeSubdomains": True,
        "preload": True,
        "override": True,
    }
    assert headers["contentTypeOptions"] == {"override": True}
    assert headers["frameOptions"] == {"frameOption": "DENY", "override": True}
    assert headers["referrerPolicy"]["referrerPolicy"] == "strict-origin-when-cross-origin"
    assert headers["xssProtection"] == {"protection": True, "modeBlock": True, "override": True}


def test_every_child_is_parented_and_all_outputs_are_defined(assets):
    (component,) = assets.of_type("platform:cdn:Assets")
    children = assets.children_of(component.urn)
    aws_resources = [r for r in assets.resources if r.custom and not r.type.startswith("pulumi:providers")]
    assert len(children) == len(aws_resources) == 18
    assert all(child.name.startswith("assets-") for child in children)
    assert set(assets.outputs) == set(ASSET_OUTPUTS)
    assert assets.outputs["bucket_name"] == "acme-prod-assets"
    assert assets.outputs["log_bucket_name"] == "acme-prod-assets-logs"


def test_without_aliases_the_default_certificate_and_no_waf_are_used():
    result = run_program(_assets_program())
    (cdn,) = result.of_type(DISTRIBUTION)
    assert cdn.inputs["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    assert "webAclId" not in cdn.inputs


def test_aliases_without_certificate_are_rejected_naming_both_fields():
    with pytest.raises(ValueError, match="aliases.*acm_certificate_arn"):
        AssetsArgs("a", "b", KEY_ARN, aliases=["cdn.acme.example"])
    with pytest.raises(ValueError, match="transition_to_ia_days"):
        AssetsArgs("a", "b", KEY_ARN, transition_to_ia_days=10)


def test_policy_documents_without_mocks():
    asset = json.loads(asset_bucket_policy("arn:aws:s3:::b", "arn:aws:cloudfront::1:distribution/D"))
    deny, read = asset["Statement"]
    assert deny["Resource"] == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    assert deny["Action"] == "s3:*" and deny["Principal"] == "*"
    assert read["Resource"] == "arn:aws:s3:::b/*"
    logs = json.loads(log_bucket_policy("arn:aws:s3:::l", "arn:aws:s3:::b"))
    _, delivery = logs["Statement"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"] == "arn:aws:s3:::l/s3-access/*"
    assert viewer_certificate(CERT_ARN)["minimum_protocol_version"] == "TLSv1.2_2021"
    assert viewer_certificate(None) == {"cloudfront_default_certificate": True}


@given(st.from_regex(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", fullmatch=True))
def test_cdn_names_never_contain_dots_and_fit_cloudfront_limits(bucket_name):
    assert "." not in cdn_name(bucket_name)
    assert len(cdn_name(bucket_name)) <= 64
    assert len(cdn_name(bucket_name, "security-headers")) <= 128


def _waf_program():
    provider = aws.Provider("use1", region="us-east-1")
    waf = EdgeWaf(
        "edge",
        EdgeWafArgs(name="acme-prod-edge", kms_key_arn=WAF_KEY_ARN, rate_limit_per_5min=500),
        opts=pulumi.ResourceOptions(provider=provider),
    )
    for output in ("web_acl_arn", "web_acl_id", "log_group_name"):
        pulumi.export(output, getattr(waf, output))


@pytest.fixture(scope="module")
def waf():
    return run_program(_waf_program)


def test_waf_runs_managed_groups_then_rate_limit_with_visibility_everywhere(waf):
    (acl,) = waf.of_type("aws:wafv2/webAcl:WebAcl")
    assert acl.inputs["scope"] == "CLOUDFRONT"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    rules = sorted(acl.inputs["rules"], key=lambda rule: rule["priority"])
    groups = [r["statement"]["managedRuleGroupStatement"]["name"] for r in rules[:-1]]
    assert groups == [
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
    ]
    assert all(r["overrideAction"] == {"none": {}} for r in rules[:-1])
    rate = rules[-1]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"]["limit"] == 500
    assert rate["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP"
    for config in [acl.inputs["visibilityConfig"], *(r["visibilityConfig"] for r in rules)]:
        assert config["cloudwatchMetricsEnabled"] is True
        assert config["sampledRequestsEnabled"] is True
    assert acl.inputs["tags"]["Name"] == "acme-prod-edge"


def test_waf_logs_to_an_encrypted_prefixed_log_group_with_credentials_redacted(waf):
    (group,) = waf.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["name"] == "aws-waf-logs-acme-prod-edge"
    assert group.inputs["kmsKeyId"] == WAF_KEY_ARN
    assert group.inputs["retentionInDays"] == 365
    (logging,) = waf.of_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    assert logging.inputs["resourceArn"] == f"arn:aws:wafv2:us-east-1:{MOCK_ACCOUNT_ID}:edge-acl"
    assert logging.inputs["logDestinationConfigs"] == [f"arn:aws:cloudwatch:us-east-1:{MOCK_ACCOUNT_ID}:edge-logs"]
    redacted = [field["singleHeader"]["name"] for field in logging.inputs["redactedFields"]]
    assert redacted == ["authorization", "cookie"]
    assert waf.outputs["log_group_name"] == "aws-waf-logs-acme-prod-edge"
    assert waf.outputs["web_acl_id"] == "edge-acl-id"


def test_waf_resources_live_in_us_east_1_under_the_component(waf):
    (component,) = waf.of_type("platform:security:EdgeWaf")
    children = waf.children_of(component.urn)
    assert {c.type for c in children} == {
        "aws:wafv2/webAcl:WebAcl",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    }
    assert all(child.region == "us-east-1" for child in children)


@given(st.integers(min_value=10, max_value=2_000_000_000))
def test_rule_priorities_are_unique_and_the_rate_rule_is_last(limit):
    rules = web_acl_rules("acl", limit)
    assert [r["priority"] for r in rules] == list(range(len(rules)))
    assert rules[-1]["statement"]["rate_based_statement"]["limit"] == limit
    assert len({r["visibility_config"]["metric_name"] for r in rules}) == len(rules)

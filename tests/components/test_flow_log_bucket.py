"""FlowLogBucket on its own: encryption, privacy, the delivery policy AWS documents, lifecycle, names."""

import json

import pulumi
import pulumi_aws as aws
import pytest

from components.flow_log_bucket import FlowLogBucket, FlowLogBucketArgs, flow_log_bucket_policy
from tests.readable import run_program

ACCOUNT = "111122223333"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/flow-logs"
COMPONENT = "platform:network:FlowLogBucket"


def _args(**overrides) -> FlowLogBucketArgs:
    values = {
        "name_prefix": "acme-prod-euw1-flow-logs",
        "account_id": ACCOUNT,
        "region": "eu-west-1",
        "kms_key_arn": KEY_ARN,
        "tags": {"Team": "platform"},
        **overrides,
    }
    return FlowLogBucketArgs(**values)


@pytest.fixture(scope="module")
def result():
    def program():
        provider = aws.Provider("euw1", region="eu-west-1")
        FlowLogBucket("fl", _args(), opts=pulumi.ResourceOptions(provider=provider))

    return run_program(program)


def test_bucket_is_protected_named_after_the_cell_and_account(result):
    (bucket,) = result.of_type("aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == f"acme-prod-euw1-flow-logs-{ACCOUNT}"
    assert bucket.protect is True
    assert bucket.region == "eu-west-1"
    assert bucket.inputs["tags"]["Team"] == "platform"


def test_objects_are_sse_kms_with_the_cells_key_and_a_bucket_key(result):
    (encryption,) = result.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert encryption.inputs["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN},
            "bucketKeyEnabled": True,
        }
    ]


def test_bucket_is_private_owner_enforced_and_versioned(result):
    (block,) = result.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert [block.inputs[k] for k in keys] == [True] * 4
    (ownership,) = result.of_type("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    (versioning,) = result.of_type("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}


def test_lifecycle_tiers_then_expires_and_cleans_up(result):
    (lifecycle,) = result.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    (rule,) = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["transitions"] == [
        {"days": 30, "storageClass": "STANDARD_IA"},
        {"days": 90, "storageClass": "GLACIER_IR"},
    ]
    assert rule["expiration"] == {"days": 365}
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


def test_policy_waits_for_the_guards_and_every_child_is_under_the_component(result):
    (component,) = result.of_type(COMPONENT)
    policy = result.named("fl-bucket-policy")
    for guard in ("fl-public-access", "fl-ownership", "fl-encryption"):
        assert result.named(guard).urn in policy.dependencies
    children = [r for r in result.resources if r.custom and r.type != "pulumi:providers:aws"]
    assert len(children) == 7
    assert all(c.parent == component.urn and c.name.startswith("fl-") for c in children)


def test_delivery_may_only_write_hive_prefixed_logs_of_its_account_and_region(result):
    bucket_arn = "arn:aws:s3:::b"
    deny, write, check = json.loads(flow_log_bucket_policy(bucket_arn, ACCOUNT, "eu-west-1"))["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [bucket_arn, f"{bucket_arn}/*"]
    source_arn = {"aws:SourceArn": f"arn:aws:logs:eu-west-1:{ACCOUNT}:*"}
    assert write["Principal"] == check["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert write["Action"] == "s3:PutObject"
    assert write["Resource"] == f"{bucket_arn}/AWSLogs/aws-account-id={ACCOUNT}/*"
    assert write["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT, "s3:x-amz-acl": "bucket-owner-full-control"},
        "ArnLike": source_arn,
    }
    assert check["Action"] == ["s3:GetBucketAcl", "s3:ListBucket"]
    assert check["Resource"] == bucket_arn
    assert check["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": source_arn}
    # The registered policy is the same document for the real bucket ARN.
    registered = json.loads(result.named("fl-bucket-policy").inputs["policy"])["Statement"]
    assert registered[1]["Resource"].endswith(f"fl-bucket/AWSLogs/aws-account-id={ACCOUNT}/*")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name_prefix": "Acme-flow-logs"}, "lowercase"),
        ({"name_prefix": "-acme-flow-logs"}, "starting with"),
        ({"name_prefix": "a" * 51}, "at most 50"),
        ({"name_prefix": "xn--acme"}, "reserves"),
        ({"transition_to_ia_days": 29}, "at least 30"),
        ({"transition_to_glacier_ir_days": 59}, "30 days in STANDARD_IA"),
        ({"retention_days": 179}, "no earlier than 180"),
    ],
)
def test_args_refuse_what_s3_refuses(overrides, message):
    with pytest.raises(ValueError, match=message):
        _args(**overrides)


def test_the_longest_prefix_still_fits_s3s_name_limit():
    args = _args(name_prefix="a" * 50)
    assert len(f"{args.name_prefix}-{ACCOUNT}") == 63

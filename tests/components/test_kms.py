"""KmsKey on its own: rotation, protection, and a policy that grants services only what they need."""

import json

import pulumi
import pulumi_aws as aws

from components.kms import KmsKey, KmsKeyArgs, ServiceGrant, key_policy, log_delivery_grant, logs_grant
from tests.readable import run_program


def _program():
    provider = aws.Provider("euw1", region="eu-west-1")
    KmsKey(
        "logs",
        KmsKeyArgs(
            account_id="111122223333",
            alias="acme-logs",
            service_grants=[logs_grant("eu-west-1")],
            tags={"Team": "platform"},
        ),
        opts=pulumi.ResourceOptions(provider=provider),
    )


def test_key_is_rotated_protected_and_in_the_providers_region():
    result = run_program(_program)
    (key,) = result.of_type("aws:kms/key:Key")
    assert key.name == "logs-key"
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    assert key.protect is True
    assert key.region == "eu-west-1"
    assert key.inputs["tags"] == {"ManagedBy": "pulumi", "Team": "platform", "Name": "acme-logs"}
    (alias,) = result.of_type("aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/acme-logs"
    component = result.of_type("platform:security:KmsKey")[0]
    assert key.parent == alias.parent == component.urn


def test_policy_scopes_service_grants_to_the_account():
    cloudfront = ServiceGrant(
        "cloudfront.amazonaws.com",
        ("kms:Decrypt",),
        {"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::{account}:distribution/*"}},
    )
    policy = json.loads(
        key_policy("111122223333", [cloudfront, ServiceGrant("sns.amazonaws.com"), logs_grant("eu-west-1")])
    )
    admin, service, default, logs = policy["Statement"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert service["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert service["Action"] == ["kms:Decrypt"]
    assert service["Condition"] == {"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/*"}}
    assert default["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:111122223333:*"}
    }
    assert len({s["Sid"] for s in policy["Statement"]}) == 4


def test_a_grant_with_no_documented_condition_has_none():
    policy = json.loads(key_policy("111122223333", [ServiceGrant("cloudwatch.amazonaws.com", conditions={})]))
    assert "Condition" not in policy["Statement"][1]


def test_log_delivery_may_use_the_key_only_for_its_own_accounts_logs_in_the_region():
    policy = json.loads(key_policy("111122223333", [log_delivery_grant("eu-west-1")]))
    delivery = policy["Statement"][1]
    assert delivery["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert delivery["Action"] == [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    ]
    assert delivery["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "111122223333"},
        "ArnLike": {"aws:SourceArn": "arn:aws:logs:eu-west-1:111122223333:*"},
    }

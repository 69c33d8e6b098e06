"""The Atlas project: customer key management with our key through a role only Atlas can assume."""

import json

import pytest

from components.atlas_project import AtlasProject, AtlasProjectArgs, kms_key_id, kms_policy, trust_policy
from infra.offline.harness import MOCK_ATLAS_AWS_ACCOUNT_ARN, run_program

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _args(**overrides) -> AtlasProjectArgs:
    values = {
        "org_id": "0123456789abcdef01234567",
        "project_name": "acme-prod",
        "account_id": "123456789012",
        "kms_key_arn": KEY,
        "kms_region": "us-east-1",
        "tags": {"Team": "platform"},
    }
    return AtlasProjectArgs(**{**values, **overrides})


def _run(**overrides):
    return run_program(lambda: AtlasProject("atlas", _args(**overrides)))


@pytest.fixture(scope="module")
def plan():
    return _run()


def test_the_project_is_protected_and_keeps_atlas_default_alerts(plan):
    project = plan.named("atlas-project")
    assert project.protect
    assert project.inputs["orgId"] == "0123456789abcdef01234567" and project.inputs["name"] == "acme-prod"
    assert project.inputs["withDefaultAlertsSettings"] is True
    assert project.inputs["isDataExplorerGenAiSampleDocumentPassingEnabled"] is False


def test_only_atlas_with_the_external_id_can_assume_the_role(plan):
    setup = plan.named("atlas-aws-access")
    assert setup.inputs["providerName"] == "AWS"
    role = plan.named("atlas-kms-role")
    assert role.inputs["name"] == "acme-prod-atlas-kms"
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"AWS": MOCK_ATLAS_AWS_ACCOUNT_ARN}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"]
    assert setup.urn in role.property_dependencies["assumeRolePolicy"]


def test_the_role_may_only_encrypt_decrypt_and_describe_our_key(plan):
    (statement,) = json.loads(plan.named("atlas-kms-policy").inputs["policy"])["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt"],
        "Resource": KEY,
    }


def test_encryption_at_rest_uses_our_key_through_the_authorized_role(plan):
    authorization = plan.named("atlas-aws-authorization")
    assert plan.named("atlas-kms-policy").urn in authorization.dependencies
    assert authorization.inputs["aws"]["iamAssumedRoleArn"].startswith("arn:aws:iam")
    ear = plan.named("atlas-encryption")
    assert ear.protect
    config = ear.inputs["awsKmsConfig"]
    assert config["enabled"] is True and config["region"] == "US_EAST_1"
    assert config["customerMasterKeyId"] == "1234abcd-12ab-34cd-56ef-1234567890ab"
    assert config["roleId"] == authorization.inputs["roleId"] and len(config["roleId"]) == 24
    assert plan.named("atlas-aws-access").urn in authorization.property_dependencies["roleId"]
    assert authorization.urn in ear.property_dependencies["awsKmsConfig"]
    assert "accessKeyId" not in config and "secretAccessKey" not in config


def test_regionalized_private_endpoints_on_request(plan):
    assert plan.of_type("mongodbatlas:index/privateEndpointRegionalMode:PrivateEndpointRegionalMode") == []
    (mode,) = _run(regionalized_private_endpoints=True).of_type(
        "mongodbatlas:index/privateEndpointRegionalMode:PrivateEndpointRegionalMode"
    )
    assert mode.inputs["enabled"] is True


def test_pure_policy_helpers():
    assert json.loads(trust_policy("arn:aws:iam::1:root", "x"))["Statement"][0]["Condition"] == {
        "StringEquals": {"sts:ExternalId": "x"}
    }
    assert kms_key_id(KEY) == "1234abcd-12ab-34cd-56ef-1234567890ab"
    with pytest.raises(ValueError, match="not in account"):
        kms_policy(KEY, "999999999999")
    with pytest.raises(ValueError):
        kms_key_id("alias/acme")


@pytest.mark.parametrize(
    "overrides",
    [{"org_id": "acme"}, {"project_name": "a" * 60}, {"kms_region": "US_EAST_1"}],
)
def test_refuses_what_atlas_or_iam_refuse(overrides):
    with pytest.raises(ValueError):
        _args(**overrides)

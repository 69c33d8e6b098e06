"""The apps' IAM policies: exactly the resources each app uses, nothing more."""

from __future__ import annotations

import json

from infra.compute import AppGrants, app_policy, db_user_arn
from tests.conftest import plan_of

BUCKET = "arn:aws:s3:::acme-prod-assets-use1"


def _grants(**overrides) -> AppGrants:
    fields = dict(
        bucket_arn=BUCKET,
        bucket_key_arn="arn:aws:kms:us-east-1:1:key/assets",
        secret_arns=["arn:aws:secretsmanager:us-west-2:1:secret:cache", "arn:aws:secretsmanager:us-east-1:1:secret:db"],
        secrets_key_arns=["arn:aws:kms:us-west-2:1:key/cell", "arn:aws:kms:us-east-1:1:key/primary"],
        queue_key_arn="arn:aws:kms:us-west-2:1:key/cell",
        region="us-west-2",
        send_queue_arns=["arn:aws:sqs:us-west-2:1:jobs"],
        db_user_arn=db_user_arn("us-east-1", "1", "app_admin"),
    )
    fields.update(overrides)
    return AppGrants(**fields)


def _statements(grants: AppGrants) -> dict[str, dict]:
    return {s["Sid"]: s for s in json.loads(app_policy(grants))["Statement"]}


def test_producer_policy_names_exact_resources_and_no_wildcard_actions():
    statements = _statements(_grants())
    assert statements["AssetObjects"]["Resource"] == [f"{BUCKET}/*"]
    assert statements["AssetListing"]["Resource"] == [BUCKET]
    assert statements["SendJobs"]["Action"] == ["sqs:SendMessage", "sqs:GetQueueAttributes"]
    assert "ReceiveJobs" not in statements
    for statement in statements.values():
        assert all("*" not in action for action in statement["Action"])
        assert statement["Resource"] and statement["Resource"] != ["*"]


def test_queue_key_is_usable_only_through_sqs_in_the_cells_region():
    key = _statements(_grants())["QueueKey"]
    assert key["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": "sqs.us-west-2.amazonaws.com"}}


def test_secrets_keys_cover_the_cell_and_the_writers_key_through_secrets_manager_only():
    key = _statements(_grants())["SecretsKey"]
    assert key["Resource"] == ["arn:aws:kms:us-east-1:1:key/primary", "arn:aws:kms:us-west-2:1:key/cell"]
    assert key["Condition"] == {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}


def test_consumer_can_receive_from_its_queue_only():
    statements = _statements(_grants(receive_queue_arns=["arn:aws:sqs:us-west-2:1:jobs"]))
    assert statements["ReceiveJobs"]["Resource"] == ["arn:aws:sqs:us-west-2:1:jobs"]
    assert "sqs:DeleteMessage" in statements["ReceiveJobs"]["Action"]


def test_database_login_goes_through_a_proxy_of_the_writers_region():
    assert _statements(_grants())["DatabaseLogin"]["Resource"] == ["arn:aws:rds-db:us-east-1:1:dbuser:prx-*/app_admin"]


def test_phase_4_apps_in_other_regions_log_in_to_the_primary_regions_proxy():
    policies = [
        r for r in plan_of("phase4").of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "usw2-api-role-policy"
    ]
    (policy,) = policies
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["DatabaseLogin"]["Resource"][0].startswith("arn:aws:rds-db:us-east-1:")
    assert statements["QueueKey"]["Condition"]["StringEquals"]["kms:ViaService"] == "sqs.us-west-2.amazonaws.com"

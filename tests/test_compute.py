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
        secret_arns=["arn:aws:secretsmanager:us-west-2:1:secret:cache"],
        secrets_key_arns=["arn:aws:kms:us-west-2:1:key/cell"],
        queue_key_arn="arn:aws:kms:us-west-2:1:key/cell",
        region="us-west-2",
        send_queue_arns=["arn:aws:sqs:us-west-2:1:jobs"],
        db_user_arns=[
            db_user_arn("us-east-1", "1", "prx-0123", "app"),
            db_user_arn("us-west-2", "1", "db-ABCD", "app_reader"),
        ],
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


def test_secrets_key_is_the_cells_and_usable_through_secrets_manager_only():
    key = _statements(_grants())["SecretsKey"]
    assert key["Resource"] == ["arn:aws:kms:us-west-2:1:key/cell"]
    assert key["Condition"] == {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}


def test_consumer_can_receive_from_its_queue_only():
    statements = _statements(_grants(receive_queue_arns=["arn:aws:sqs:us-west-2:1:jobs"]))
    assert statements["ReceiveJobs"]["Resource"] == ["arn:aws:sqs:us-west-2:1:jobs"]
    assert "sqs:DeleteMessage" in statements["ReceiveJobs"]["Action"]


def test_database_logins_are_the_app_user_on_one_proxy_and_the_reader_on_named_replicas():
    assert _statements(_grants())["DatabaseLogin"]["Resource"] == [
        "arn:aws:rds-db:us-east-1:1:dbuser:prx-0123/app",
        "arn:aws:rds-db:us-west-2:1:dbuser:db-ABCD/app_reader",
    ]


def test_no_app_may_sign_in_as_the_master_user_or_read_a_database_secret(phase_plan):
    policies = [
        r
        for r in phase_plan.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name.endswith(("-api-role-policy", "-worker-role-policy"))
    ]
    assert policies
    for policy in policies:
        statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
        logins = statements["DatabaseLogin"]["Resource"]
        assert all(not arn.endswith("/app_admin") and "*" not in arn for arn in logins)
        assert sorted(arn.rsplit("/", 1)[-1] for arn in logins) == ["app"] + ["app_reader"] * (len(logins) - 1)
        assert all(":cache" in arn or "cache" in arn for arn in statements["Secrets"]["Resource"])


def test_phase_4_apps_in_other_regions_log_in_to_the_primary_regions_proxy():
    policies = [
        r for r in plan_of("phase4").of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "usw2-api-role-policy"
    ]
    (policy,) = policies
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    writer, *readers = statements["DatabaseLogin"]["Resource"]
    assert writer.startswith("arn:aws:rds-db:us-east-1:") and writer.endswith("/app")
    # Four replicas in us-west-2, each by its resource id.
    assert len(readers) == 4 and all(r.startswith("arn:aws:rds-db:us-west-2:") and ":dbuser:db-" in r for r in readers)
    assert statements["QueueKey"]["Condition"]["StringEquals"]["kms:ViaService"] == "sqs.us-west-2.amazonaws.com"

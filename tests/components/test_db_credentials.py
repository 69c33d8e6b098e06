"""PostgresCredentials, PostgresRotationFunction and DbBootstrap on their own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.db_bootstrap import DbBootstrap, DbBootstrapArgs, bootstrap_policy, bootstrap_sql
from components.postgres_credentials import (
    PASSWORD_SPECIALS,
    PostgresCredentials,
    PostgresCredentialsArgs,
    scram_verifier,
    secret_document,
)
from components.rotation_function import (
    ROTATION_APPLICATION,
    PostgresRotationFunction,
    PostgresRotationFunctionArgs,
    rotation_parameters,
)
from tests.readable import run_program

KEY = "arn:aws:kms:us-east-1:111122223333:key/cell"


def test_scram_verifier_matches_the_rfc_7677_exchange():
    # RFC 7677 section 3: user "user", password "pencil".
    verifier = scram_verifier("pencil", "W22ZaJ0SNY7soEsUEjb6gQ==")
    head, keys = verifier.split("$", 1)[1].split("$")
    assert (
        verifier.startswith("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$") and head == "4096:W22ZaJ0SNY7soEsUEjb6gQ=="
    )
    stored_key, server_key = (base64.b64decode(k) for k in keys.split(":"))
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth = f"n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r={nonce}".encode()
    signature = hmac.new(server_key, auth, hashlib.sha256).digest()
    assert base64.b64encode(signature).decode() == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    client_signature = hmac.new(stored_key, auth, hashlib.sha256).digest()
    client_key = bytes(a ^ b for a, b in zip(proof, client_signature, strict=True))
    assert hashlib.sha256(client_key).digest() == stored_key


@given(password=st.text(alphabet=st.sampled_from("abcXYZ019" + PASSWORD_SPECIALS), min_size=8, max_size=64))
def test_verifiers_never_contain_the_password_and_differ_by_salt(password):
    one, two = scram_verifier(password, "c2FsdC1vbmU="), scram_verifier(password, "c2FsdC10d28=")
    assert password not in one and one != two


def test_generated_passwords_avoid_what_rds_and_the_rotation_function_refuse():
    assert not set(PASSWORD_SPECIALS) & set("/'\"@ :\\")


def test_secret_document_is_what_the_rotation_function_reads():
    document = json.loads(secret_document("db.example", 5432, "app", "pw", "app", "acme-prod-db"))
    assert document == {
        "engine": "postgres",
        "host": "db.example",
        "port": 5432,
        "username": "app",
        "password": "pw",
        "dbname": "app",
        "dbInstanceIdentifier": "acme-prod-db",
    }


def test_rotation_parameters_place_the_function_in_the_vpc_with_the_secrets_key():
    assert rotation_parameters("eu-west-1", "f", ["subnet-a", "subnet-b"], "sg-1", KEY) == {
        "endpoint": "https://secretsmanager.eu-west-1.amazonaws.com",
        "functionName": "f",
        "vpcSubnetIds": "subnet-a,subnet-b",
        "vpcSecurityGroupIds": "sg-1",
        "kmsKeyArn": KEY,
    }


@pytest.fixture(scope="module")
def credentials_plan():
    def program():
        provider = aws.Provider("use1", region="us-east-1")
        opts = pulumi.ResourceOptions(provider=provider)
        rotation = PostgresRotationFunction(
            "rot",
            PostgresRotationFunctionArgs(
                function_name="acme-prod-db-rotation",
                region="us-east-1",
                vpc_id="vpc-1",
                subnet_ids=["subnet-a", "subnet-b"],
                db_security_group_id="sg-db",
                kms_key_arn=KEY,
            ),
            opts=opts,
        )
        PostgresCredentials(
            "creds",
            PostgresCredentialsArgs(
                identifier="acme-prod-db",
                host="acme-prod-db.abc.us-east-1.rds.amazonaws.com",
                kms_key_arn=KEY,
                rotation_lambda_arn=rotation.function_arn,
                logins={"app_admin": "pw-one", "app": "pw-two"},
                rotation_days=14,
            ),
            opts=opts,
        )

    return run_program(program)


def test_each_login_has_a_protected_kms_secret_rotated_on_schedule(credentials_plan):
    secrets = credentials_plan.of_type("aws:secretsmanager/secret:Secret")
    assert sorted(s.inputs["name"] for s in secrets) == ["acme-prod-db/app", "acme-prod-db/app_admin"]
    assert all(s.protect and s.inputs["kmsKeyId"] == KEY for s in secrets)
    versions = credentials_plan.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert all(v.ignore_changes == ["secretString"] for v in versions)
    for rotation in credentials_plan.of_type("aws:secretsmanager/secretRotation:SecretRotation"):
        assert rotation.inputs["rotationRules"] == {"automaticallyAfterDays": 14}
        assert rotation.inputs["rotateImmediately"] is False
        assert rotation.inputs["rotationLambdaArn"] == "arn:aws:lambda:us-east-1:123456789012:function:rot-stack"


def test_the_rotation_function_reaches_only_the_instance_and_https(credentials_plan):
    (stack,) = credentials_plan.of_type("aws:serverlessrepository/cloudFormationStack:CloudFormationStack")
    assert stack.inputs["applicationId"] == ROTATION_APPLICATION
    assert stack.inputs["capabilities"] == ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"]
    assert stack.inputs["parameters"]["vpcSecurityGroupIds"] == "rot-sg-id"
    egress = {
        r.name: r.inputs for r in credentials_plan.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    }
    assert egress["rot-to-db"]["referencedSecurityGroupId"] == "sg-db"
    assert (egress["rot-to-https"]["cidrIpv4"], egress["rot-to-https"]["fromPort"]) == ("0.0.0.0/0", 443)
    (ingress,) = credentials_plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert (ingress.inputs["securityGroupId"], ingress.inputs["referencedSecurityGroupId"]) == ("sg-db", "rot-sg-id")


def test_function_names_aws_refuses_are_refused():
    with pytest.raises(ValueError, match="function_name"):
        PostgresRotationFunctionArgs("x" * 65, "us-east-1", "vpc", [], "sg", KEY)


def test_bootstrap_sql_is_idempotent_and_never_touches_an_existing_password():
    sql = bootstrap_sql()
    assert sql.startswith("\\set ON_ERROR_STOP on")
    creates = [line for line in sql.splitlines() if "CREATE ROLE" in line]
    assert len(creates) == 2 and all("WHERE NOT EXISTS" in sql.split(line, 1)[1].splitlines()[1] for line in creates)
    assert 'ALTER ROLE :"app_user" PASSWORD' not in sql and "ALTER USER" not in sql
    assert 'GRANT rds_iam TO :"reader_user";' in sql
    assert "CREATE SCHEMA IF NOT EXISTS" in sql and "SUPERUSER" not in sql and "rds_superuser" not in sql


def test_bootstrap_policy_is_one_login_on_one_proxy():
    (statement,) = json.loads(bootstrap_policy("us-east-1", "1", "prx-abc", "app_admin"))["Statement"]
    assert statement["Action"] == "rds-db:connect"
    assert statement["Resource"] == "arn:aws:rds-db:us-east-1:1:dbuser:prx-abc/app_admin"


@pytest.fixture(scope="module")
def bootstrap_plan():
    def program():
        cluster = k8s.Provider("k8s", kubeconfig="{}")
        DbBootstrap(
            "boot",
            DbBootstrapArgs(
                cluster_name="acme-prod-use1",
                k8s_provider=cluster,
                region="us-east-1",
                account_id="111122223333",
                proxy_endpoint="acme-prod-db.proxy-abc.us-east-1.rds.amazonaws.com",
                proxy_id="prx-abc",
                vpc_cidr="10.10.0.0/16",
                app_password_verifier="SCRAM-SHA-256$4096:c2FsdA==$a:b",
                psql_image="registry.example.com/postgres:17.6",
                aws_cli_image="registry.example.com/aws-cli:2.27.0",
            ),
        )

    return run_program(program)


def test_the_job_is_hardened_and_signs_in_through_the_proxy(bootstrap_plan):
    (job,) = bootstrap_plan.of_type("kubernetes:batch/v1:Job")
    spec = job.inputs["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Never"
    containers = spec["initContainers"] + spec["containers"]
    assert [c["name"] for c in containers] == ["token", "psql"]
    for container in containers:
        context = container["securityContext"]
        assert context["runAsNonRoot"] and context["readOnlyRootFilesystem"]
        assert context["capabilities"] == {"drop": ["ALL"]} and context["allowPrivilegeEscalation"] is False
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["PGHOST"] == "acme-prod-db.proxy-abc.us-east-1.rds.amazonaws.com"
        assert (env["PGSSLMODE"], env["PGSSLROOTCERT"], env["PGUSER"]) == ("verify-full", "system", "app_admin")
    assert "generate-db-auth-token" in containers[0]["command"][-1]
    assert job.inputs["metadata"]["name"].startswith("db-bootstrap-")


def test_the_job_may_reach_dns_the_identity_agent_and_postgres_in_the_vpc_only(bootstrap_plan):
    policies = {
        r.name: r.inputs["spec"] for r in bootstrap_plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert policies["boot-deny-all"]["policyTypes"] == ["Ingress", "Egress"]
    rules = policies["boot-allow-egress"]["egress"]
    targets = [(rule["to"][0].get("ipBlock", {}).get("cidr"), [p["port"] for p in rule["ports"]]) for rule in rules]
    assert targets == [(None, [53, 53]), ("169.254.170.23/32", [80]), ("10.10.0.0/16", [5432])]

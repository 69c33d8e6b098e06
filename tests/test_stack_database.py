"""The data layer of the four real stacks as RDS meets it: credentials, replica topology, promotion."""

from __future__ import annotations

import dataclasses
import json

import pytest

from infra.offline.diff import diff_plans
from infra.offline.harness import PlanResult, RecordedResource
from policy.stack_rules import StackResource, replica_connections, replica_topology
from tests.conftest import plan_of

RDS = "aws:rds/instance:Instance"
PARAMS = "aws:rds/parameterGroup:ParameterGroup"


def _stack(resources: list[RecordedResource]) -> list[StackResource]:
    return [
        StackResource(r.type, r.urn, r.inputs, tuple(r.dependencies), r.property_dependencies, r.region)
        for r in resources
    ]


def _edit(plan: PlanResult, name: str, **inputs) -> list[RecordedResource]:
    """The plan's resources with ``name``'s inputs updated (None removes a key)."""
    out = []
    for r in plan.resources:
        if r.name == name:
            merged = {**r.inputs, **inputs}
            r = dataclasses.replace(r, inputs={k: v for k, v in merged.items() if v is not None})
        out.append(r)
    return out


def test_no_instance_uses_an_rds_managed_password_and_the_primary_skips_extended_support(phase_plan):
    instances = phase_plan.of_type(RDS)
    assert all("manageMasterUserPassword" not in r.inputs for r in instances)
    (primary,) = [r for r in instances if not r.inputs.get("replicateSourceDb")]
    assert primary.inputs["passwordWoVersion"] == 1
    assert primary.inputs["engineLifecycleSupport"] == "open-source-rds-extended-support-disabled"


def test_both_logins_are_our_kms_encrypted_rotated_secrets_and_the_proxy_uses_them(phase_plan):
    secrets = {r.inputs["name"]: r for r in phase_plan.of_type("aws:secretsmanager/secret:Secret")}
    logins = {name: r for name, r in secrets.items() if name.startswith("acme-prod-db/")}
    assert sorted(logins) == ["acme-prod-db/app", "acme-prod-db/app_admin"]
    rotations = phase_plan.of_type("aws:secretsmanager/secretRotation:SecretRotation")
    assert len(rotations) == 2
    for secret in logins.values():
        assert secret.protect and secret.inputs["kmsKeyId"].startswith("arn:aws:kms:us-east-1:")
    for rotation in rotations:
        assert rotation.inputs["rotationRules"] == {"automaticallyAfterDays": 30}
        assert rotation.inputs["rotateImmediately"] is False
        assert rotation.inputs["rotationLambdaArn"].startswith("arn:aws:lambda:us-east-1:")
    (proxy,) = phase_plan.of_type("aws:rds/proxy:Proxy")
    assert len(proxy.inputs["auths"]) == 2
    (stack,) = phase_plan.of_type("aws:serverlessrepository/cloudFormationStack:CloudFormationStack")
    assert stack.inputs["applicationId"].endswith(":applications/SecretsManagerRDSPostgreSQLRotationSingleUser")
    assert stack.inputs["parameters"]["endpoint"] == "https://secretsmanager.us-east-1.amazonaws.com"


def test_the_bootstrap_job_runs_once_in_the_primarys_cluster_before_the_apps(phase_plan):
    jobs = phase_plan.of_type("kubernetes:batch/v1:Job")
    assert [job.name for job in jobs] == ["use1-db-bootstrap-job"]
    (component,) = phase_plan.of_type("platform:k8s:DbBootstrap")
    for app in ("api", "worker"):
        deployment = phase_plan.named(f"use1-{app}-deployment")
        namespace = phase_plan.named(f"use1-{app}-namespace")
        # The workload's namespace waits for the bootstrap Job (and everything in it follows).
        assert jobs[0].urn in namespace.dependencies or component.urn in namespace.dependencies
        assert deployment.inputs["metadata"]["namespace"] == app


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        # name -> (source name or None for the primary, kmsKeyId set, backup retention)
        ("phase2", {"use1-db-replicas-replica-0": ("use1-db-instance", False, None)}),
        (
            "phase3",
            {
                **{f"use1-db-replicas-replica-{i}": ("use1-db-instance", False, None) for i in range(3)},
                "usw2-db-replicas-replica-0": ("use1-db-instance", True, 1),
            },
        ),
        (
            "phase4",
            {
                **{f"use1-db-replicas-replica-{i}": ("use1-db-instance", False, None) for i in range(4)},
                **{
                    name: value
                    for cell in ("usw2", "euw1")
                    for name, value in {
                        f"{cell}-db-replicas-replica-0": ("use1-db-instance", True, 1),
                        **{
                            f"{cell}-db-replicas-replica-{i}": (f"{cell}-db-replicas-replica-0", False, None)
                            for i in (1, 2, 3)
                        },
                    }.items()
                },
            },
        ),
    ],
)
def test_remote_regions_cascade_from_one_cross_region_replica_each(stack, expected):
    plan = plan_of(stack)
    by_urn = plan.by_urn()
    replicas = {r.name: r for r in plan.of_type(RDS) if r.inputs.get("replicateSourceDb")}
    found = {
        name: (
            by_urn[r.property_dependencies["replicateSourceDb"][0]].name,
            "kmsKeyId" in r.inputs,
            r.inputs.get("backupRetentionPeriod"),
        )
        for name, r in replicas.items()
    }
    assert found == expected


def test_the_policy_pack_accepts_every_phases_replica_topology_and_connection_limits(phase_plan):
    resources = _stack(phase_plan.resources)
    assert replica_topology(resources) == []
    assert replica_connections(resources) == []


def test_a_source_with_an_rds_managed_password_is_refused():
    plan = plan_of("phase2")
    resources = _edit(plan, "use1-db-instance", manageMasterUserPassword=True, passwordWo=None)
    (found,) = replica_topology(_stack(resources))
    assert found[0] == plan.named("use1-db-replicas-replica-0").urn
    assert "RDS-managed master password" in found[1] and "rds-secrets-manager.html" in found[1]


def test_a_same_region_replica_naming_a_key_and_a_cross_region_one_without_are_refused():
    plan = plan_of("phase3")
    resources = _edit(plan, "use1-db-replicas-replica-1", kmsKeyId="arn:aws:kms:us-east-1:1:key/k")
    resources = [
        dataclasses.replace(
            r,
            inputs={k: v for k, v in r.inputs.items() if k != "kmsKeyId"},
            property_dependencies={k: v for k, v in r.property_dependencies.items() if k != "kmsKeyId"},
        )
        if r.name == "usw2-db-replicas-replica-0"
        else r
        for r in resources
    ]
    messages = dict(replica_topology(_stack(resources)))
    assert "must not name kmsKeyId" in messages[plan.named("use1-db-replicas-replica-1").urn]
    assert "must name a key in us-west-2" in messages[plan.named("usw2-db-replicas-replica-0").urn]


def test_six_cross_region_replicas_of_one_source_and_a_head_without_backups_are_refused():
    plan = plan_of("phase4")
    # The old topology: every remote replica straight from the primary (eight cross-region ones).
    primary = plan.named("use1-db-instance")
    flattened = []
    for r in plan.resources:
        if r.type == RDS and r.name.startswith(("usw2", "euw1")):
            deps = {**r.property_dependencies, "replicateSourceDb": [primary.urn]}
            r = dataclasses.replace(r, property_dependencies=deps, inputs={**r.inputs, "kmsKeyId": "k"})
        flattened.append(r)
    messages = dict(replica_topology(_stack(flattened)))
    assert "8 cross-region replicas" in messages[primary.urn]
    headless = _edit(plan, "usw2-db-replicas-replica-0", backupRetentionPeriod=None)
    messages = dict(replica_topology(_stack(headless)))
    assert "needs automated backups" in messages[plan.named("usw2-db-replicas-replica-0").urn]


def test_a_replica_whose_limit_is_below_its_sources_is_refused():
    plan = plan_of("phase3")
    group = plan.named("usw2-db-replicas-params")
    parameters = [{**p, "value": "700"} if p["name"] == "max_connections" else p for p in group.inputs["parameters"]]
    messages = dict(replica_connections(_stack(_edit(plan, "usw2-db-replicas-params", parameters=parameters))))
    assert "max_connections 700 is below its source's 1500" in messages[plan.named("usw2-db-replicas-replica-0").urn]


def test_an_environment_built_with_rds_managed_passwords_converts_in_place():
    """A phase 1 built before our own credentials: its instance has ``manageMasterUserPassword``
    and no password. Moving it to phase 2 turns management off and sets our password in the same
    ModifyDBInstance: an update of the instance, never a replacement."""
    old = plan_of("phase1")
    legacy = _edit(
        old,
        "use1-db-instance",
        manageMasterUserPassword=True,
        masterUserSecretKmsKeyId=old.named("use1-db-instance").inputs["kmsKeyId"],
        passwordWo=None,
        passwordWoVersion=None,
    )
    diff = diff_plans(dataclasses.replace(old, resources=legacy), plan_of("phase2"))
    (instance,) = [c for c in diff.changes if c.name == "use1-db-instance"]
    assert instance.action == "update"
    assert {"manageMasterUserPassword", "masterUserSecretKmsKeyId", "passwordWo", "passwordWoVersion"} <= set(
        instance.changed
    )
    assert instance.forcing == [] and diff.is_safe


def test_promotion_keeps_the_phase_3_remote_replica_as_the_head_of_its_cascade():
    diff = diff_plans(plan_of("phase3"), plan_of("phase4"))
    changes = {c.name: c for c in diff.changes if c.type == RDS}
    assert changes["usw2-db-replicas-replica-0"].action == "update"
    # Same class in phases 3 and 4 (db.m7g.xlarge): only its storage ceiling grows.
    assert set(changes["usw2-db-replicas-replica-0"].changed) == {"maxAllocatedStorage"}
    assert {changes[f"usw2-db-replicas-replica-{i}"].action for i in (1, 2, 3)} == {"create"}
    assert diff.is_safe


def test_parameter_groups_pin_the_same_limit_on_every_instance(phase_plan):
    values = set()
    for group in phase_plan.of_type(PARAMS):
        (limit,) = [p for p in group.inputs["parameters"] if p["name"] == "max_connections"]
        values.add((limit["value"], limit["applyMethod"]))
    assert values == {("1500", "pending-reboot")}


def test_the_app_password_reaches_the_cluster_only_as_a_scram_verifier():
    plan = plan_of("phase1")
    (secret,) = [r for r in plan.of_type("kubernetes:core/v1:Secret") if r.name == "use1-db-bootstrap-verifier"]
    verifier = json.dumps(secret.inputs["stringData"])
    assert "SCRAM-SHA-256$4096:" in verifier
    assert "mock-" not in verifier  # the mocked password itself never appears

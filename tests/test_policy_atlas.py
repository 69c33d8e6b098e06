"""The Atlas rules of the CrossGuard pack: each passes the components' resources and catches its violation."""

from __future__ import annotations

import copy

import pulumi_mongodbatlas as atlas
import pytest
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs, ResourceValidationPolicy

from components.atlas_cluster import AtlasCluster, AtlasClusterArgs
from components.atlas_project import AtlasProject, AtlasProjectArgs
from components.atlas_topology import RegionNodes
from components.atlas_users import AtlasDatabaseUsers, AtlasDatabaseUsersArgs, AtlasUserSpec
from infra.offline.harness import RecordedResource, run_program
from policy.pack import build_policies

POLICIES = [p for p in build_policies() if isinstance(p, ResourceValidationPolicy)]
PROJECT_ID = "0123456789abcdef01234567"


def _program():
    project = AtlasProject(
        "atlas",
        AtlasProjectArgs(
            org_id=PROJECT_ID,
            project_name="acme-prod",
            account_id="123456789012",
            kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            kms_region="us-east-1",
        ),
    )
    cluster = AtlasCluster(
        "db",
        AtlasClusterArgs(
            project_id=project.project_id,
            cluster_name="acme-prod",
            cluster_type="REPLICASET",
            instance_size="M10",
            regions=[RegionNodes("us-east-1", 3)],
            encryption_at_rest=project.encryption_at_rest,
        ),
    )
    AtlasDatabaseUsers(
        "users",
        AtlasDatabaseUsersArgs(
            project.project_id, cluster.cluster_name, "app", [AtlasUserSpec("api", "arn:aws:iam::1:role/api")]
        ),
    )
    atlas.ProjectIpAccessList("vpc-range", project_id=project.project_id, cidr_block="10.10.0.0/16", comment="app VPC")


@pytest.fixture(scope="module")
def plan():
    return run_program(_program, stack="phase1")


def _evaluate(resource: RecordedResource, props: dict | None = None, protect: bool | None = None) -> list[str]:
    options = PolicyResourceOptions(
        protect=resource.protect if protect is None else protect,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent,
    )
    args = ResourceValidationArgs(
        resource.type, resource.inputs if props is None else props, resource.urn, resource.name, options, None
    )
    found: list[str] = []
    for policy in POLICIES:
        policy.validate(args, lambda message, urn=None, name=policy.name: found.append(f"{name}: {message}"))
    return found


def test_the_atlas_components_pass_the_pack(plan):
    assert [v for r in plan.resources for v in _evaluate(r)] == []


def _set(path: str, value):
    def edit(props: dict) -> None:
        *parents, leaf = path.split(".")
        node = props
        for part in parents:
            node = node[part]
        node[leaf] = value

    return edit


@pytest.mark.parametrize(
    ("name", "edit", "policy"),
    [
        ("vpc-range", _set("cidrBlock", "0.0.0.0/0"), "atlas-no-public-access"),
        ("vpc-range", _set("cidrBlock", "52.94.0.0/16"), "atlas-no-public-access"),
        ("db-cluster", _set("backupEnabled", False), "atlas-cluster-safe"),
        ("db-cluster", _set("pitEnabled", False), "atlas-cluster-safe"),
        ("db-cluster", _set("terminationProtectionEnabled", False), "atlas-cluster-safe"),
        ("db-cluster", _set("encryptionAtRestProvider", "NONE"), "atlas-cluster-safe"),
        ("db-cluster", _set("advancedConfiguration.minimumEnabledTlsProtocol", "TLS1_0"), "atlas-cluster-safe"),
        ("atlas-encryption", _set("awsKmsConfig.enabled", False), "atlas-encryption-our-key"),
        ("atlas-encryption", _set("awsKmsConfig.roleId", None), "atlas-encryption-our-key"),
        ("atlas-encryption", _set("awsKmsConfig.accessKeyId", "AKIA..."), "atlas-encryption-our-key"),
        ("users-api", _set("awsIamType", "NONE"), "atlas-users-iam-least-privilege"),
        (
            "users-api",
            _set("roles", [{"roleName": "atlasAdmin", "databaseName": "admin"}]),
            "atlas-users-iam-least-privilege",
        ),  # noqa: E501
        ("users-api", _set("scopes", []), "atlas-users-iam-least-privilege"),
    ],
)
def test_each_atlas_rule_catches_its_violation(plan, name, edit, policy):
    resource = plan.named(name)
    assert not any(v.startswith(f"{policy}: ") for v in _evaluate(resource)), policy
    props = copy.deepcopy(resource.inputs)
    edit(props)
    assert any(v.startswith(f"{policy}: ") for v in _evaluate(resource, props)), policy


@pytest.mark.parametrize("name", ["db-cluster", "atlas-project"])
def test_an_unprotected_cluster_or_project_is_refused(plan, name):
    resource = plan.named(name)
    assert resource.protect
    assert any(v.startswith("stateful-protected: ") for v in _evaluate(resource, protect=False))

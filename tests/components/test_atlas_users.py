"""Atlas database users: the apps' IAM roles on $external, least privilege, one cluster."""

import pytest

from components.atlas_users import (
    AtlasDatabaseUsers,
    AtlasDatabaseUsersArgs,
    AtlasUserSpec,
    check_database_name,
    database_role,
)
from infra.offline.harness import run_program

API = "arn:aws:iam::123456789012:role/acme-prod-api"
ANALYTICS = "arn:aws:iam::123456789012:role/acme-prod-analytics"


def _args(**overrides) -> AtlasDatabaseUsersArgs:
    values = {
        "project_id": "0123456789abcdef01234567",
        "cluster_name": "acme-prod",
        "database_name": "app",
        "users": [AtlasUserSpec("api", API), AtlasUserSpec("analytics", ANALYTICS, read_only=True)],
    }
    return AtlasDatabaseUsersArgs(**{**values, **overrides})


@pytest.fixture(scope="module")
def plan():
    return run_program(lambda: AtlasDatabaseUsers("db-users", _args()))


def test_users_are_iam_roles_on_external_without_passwords(plan):
    users = plan.of_type("mongodbatlas:index/databaseUser:DatabaseUser")
    assert sorted(u.inputs["username"] for u in users) == sorted([API, ANALYTICS])
    for user in users:
        assert user.inputs["awsIamType"] == "ROLE" and user.inputs["authDatabaseName"] == "$external"
        assert "password" not in user.inputs


def test_least_privilege_roles_scoped_to_the_cluster(plan):
    assert plan.named("db-users-api").inputs["roles"] == [{"roleName": "readWrite", "databaseName": "app"}]
    assert plan.named("db-users-analytics").inputs["roles"] == [{"roleName": "read", "databaseName": "app"}]
    for name in ("db-users-api", "db-users-analytics"):
        assert plan.named(name).inputs["scopes"] == [{"name": "acme-prod", "type": "CLUSTER"}]


def test_roles_and_database_names():
    assert (database_role(True), database_role(False)) == ("read", "readWrite")
    assert check_database_name("app") == "app"
    for bad in ("admin", "$external", "local", "a.b", "a" * 64, ""):
        with pytest.raises(ValueError):
            check_database_name(bad)


@pytest.mark.parametrize(
    "overrides",
    [{"users": [AtlasUserSpec("api", API), AtlasUserSpec("api", ANALYTICS)]}, {"users": [AtlasUserSpec("API", API)]}],
)
def test_refuses_duplicate_or_bad_names(overrides):
    with pytest.raises(ValueError):
        _args(**overrides)

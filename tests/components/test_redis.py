"""Redis on its own: encrypted, authenticated, Multi-AZ, snapshotted, logged, private, protected."""

import ipaddress
import json

import pulumi
import pulumi_aws as aws
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.redis import (
    AUTH_TOKEN_SPECIALS,
    Redis,
    RedisArgs,
    check_replication_group_id,
    member_cluster_ids,
    parameter_family,
)
from infra.offline.schema import init_parameters
from tests.readable import run_program

KEY = "arn:aws:kms:us-west-2:111122223333:key/cache"
SECRET_SIG = "4dabf18193072939515e22adb298388d"


def _args(**overrides) -> RedisArgs:
    values = {
        "replication_group_id": "acme-prod-usw2",
        "vpc_id": "vpc-123",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "client_cidr_blocks": ["10.0.32.0/20", "10.0.48.0/20"],
        "kms_key_arn": KEY,
        "tags": {"Team": "platform"},
    }
    return RedisArgs(**{**values, **overrides})


def _run(timeouts: dict | None = None, **overrides):
    def program():
        if timeouts is not None:
            # The harness records no custom timeouts; a stack transformation sees every resource's options.
            def record(args: pulumi.ResourceTransformationArgs) -> None:
                value = args.opts.custom_timeouts
                timeouts[args.name] = value and (value.create, value.update, value.delete)

            pulumi.runtime.register_stack_transformation(record)
        provider = aws.Provider("usw2", region="us-west-2")
        cache = Redis("cache", _args(**overrides), opts=pulumi.ResourceOptions(provider=provider))
        for output in ("endpoint", "configuration_endpoint", "primary_endpoint", "reader_endpoint", "port"):
            pulumi.export(output, getattr(cache, output))
        pulumi.export("member_cluster_ids", cache.member_cluster_ids)
        pulumi.export("auth_secret_arn", cache.auth_secret_arn)

    return run_program(program)


def _reveal(value):
    """Unwrap a secret input as the harness records it."""
    return value["value"] if isinstance(value, dict) and SECRET_SIG in value else value


@pytest.fixture(scope="module")
def cluster():
    return _run()


def test_encrypted_at_rest_and_tls_required(cluster):
    group = cluster.named("cache-group")
    assert group.inputs["atRestEncryptionEnabled"] is True
    assert group.inputs["kmsKeyId"] == KEY
    assert group.inputs["transitEncryptionEnabled"] is True
    assert group.inputs["transitEncryptionMode"] == "required"
    assert group.inputs["port"] == 6379
    assert group.region == "us-west-2"


def test_auth_token_is_generated_and_published_in_an_encrypted_protected_secret(cluster):
    (password,) = cluster.of_type("random:index/randomPassword:RandomPassword")
    assert password.inputs["length"] == 64
    assert password.inputs["special"] is True
    assert password.inputs["overrideSpecial"] == AUTH_TOKEN_SPECIALS == "!&#$^<>-"
    group = cluster.named("cache-group")
    token = _reveal(group.inputs["authToken"])
    assert token.startswith("mock-")
    secret = cluster.named("cache-auth")
    assert secret.inputs["kmsKeyId"] == KEY
    assert secret.inputs["recoveryWindowInDays"] == 30
    assert secret.inputs["name"] == "acme-prod-usw2/auth"
    assert secret.protect is True
    (version,) = cluster.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert version.inputs["secretId"] == "cache-auth-id"
    assert json.loads(_reveal(version.inputs["secretString"])) == {
        "host": "clustercfg.cache-group.abc123.us-west-2.cache.amazonaws.com",
        "port": 6379,
        "token": token,
    }


def test_multi_az_failover_and_cluster_mode_topology(cluster):
    group = cluster.named("cache-group")
    assert group.inputs["automaticFailoverEnabled"] is True
    assert group.inputs["multiAzEnabled"] is True
    assert group.inputs["clusterMode"] == "enabled"
    assert group.inputs["numNodeGroups"] == 1
    assert group.inputs["replicasPerNodeGroup"] == 1
    assert "numCacheClusters" not in group.inputs
    assert group.inputs["engine"] == "valkey"
    assert group.inputs["engineVersion"] == "8.0"
    params = cluster.named("cache-params")
    assert params.inputs["family"] == "valkey8"
    assert params.inputs["parameters"] == [{"name": "cluster-enabled", "value": "yes"}]
    assert group.inputs["parameterGroupName"] == params.inputs["name"] == "acme-prod-usw2-valkey8"
    assert group.inputs["subnetGroupName"] == cluster.named("cache-subnets").inputs["name"]
    assert cluster.named("cache-subnets").inputs["subnetIds"] == ["subnet-a", "subnet-b"]


def test_cluster_mode_outputs_the_configuration_endpoint(cluster):
    assert cluster.outputs["endpoint"] == cluster.outputs["configuration_endpoint"]
    assert cluster.outputs["endpoint"].startswith("clustercfg.")
    assert cluster.outputs["primary_endpoint"] == cluster.outputs["reader_endpoint"] == ""
    assert cluster.outputs["port"] == 6379
    assert cluster.outputs["member_cluster_ids"] == ["acme-prod-usw2-0001-001", "acme-prod-usw2-0001-002"]
    assert cluster.outputs["auth_secret_arn"].endswith(":cache-auth")


def test_shards_and_replicas_map_to_node_groups():
    timeouts: dict[str, tuple | None] = {}
    group = _run(timeouts, shards=3, replicas_per_shard=2).named("cache-group")
    assert (group.inputs["numNodeGroups"], group.inputs["replicasPerNodeGroup"]) == (3, 2)
    # Resharding and node-type changes run for hours: only the group gets (and needs) long timeouts.
    assert timeouts["cache-group"] == ("4h", "4h", "2h")
    assert {name for name, value in timeouts.items() if value} == {"cache-group"}


def test_without_cluster_mode_nodes_are_cache_clusters_behind_the_primary_endpoint():
    result = _run(cluster_mode=False, replicas_per_shard=2, engine="redis")
    group = result.named("cache-group")
    assert group.inputs["numCacheClusters"] == 3
    assert "numNodeGroups" not in group.inputs and "replicasPerNodeGroup" not in group.inputs
    assert group.inputs["clusterMode"] == "disabled"
    assert group.inputs["engineVersion"] == "7.1"
    assert result.named("cache-params").inputs["family"] == "redis7"
    assert result.named("cache-params").inputs["parameters"] == [{"name": "cluster-enabled", "value": "no"}]
    assert result.outputs["endpoint"] == result.outputs["primary_endpoint"]
    assert result.outputs["endpoint"].startswith("master.")
    assert result.outputs["reader_endpoint"].startswith("replica.")
    assert result.outputs["configuration_endpoint"] == ""
    assert result.outputs["member_cluster_ids"] == [f"acme-prod-usw2-00{i}" for i in (1, 2, 3)]


def test_snapshots_kept_and_final_snapshot_taken(cluster):
    group = cluster.named("cache-group")
    assert group.inputs["snapshotRetentionLimit"] == 7
    assert group.inputs["snapshotWindow"] == "03:00-04:00"
    assert group.inputs["maintenanceWindow"] == "sun:05:00-sun:06:00"
    assert group.inputs["finalSnapshotIdentifier"] == "acme-prod-usw2-final"
    assert group.inputs["autoMinorVersionUpgrade"] is True
    assert group.inputs["applyImmediately"] is False


def test_slow_and_engine_logs_go_to_encrypted_retained_groups(cluster):
    groups = {g.name: g for g in cluster.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert set(groups) == {"cache-slow-log", "cache-engine-log"}
    for log_group in groups.values():
        assert log_group.inputs["kmsKeyId"] == KEY
        assert log_group.inputs["retentionInDays"] == 365
    delivery = cluster.named("cache-group").inputs["logDeliveryConfigurations"]
    assert sorted((d["logType"], d["destination"], d["destinationType"]) for d in delivery) == [
        ("engine-log", "/aws/elasticache/acme-prod-usw2/engine-log", "cloudwatch-logs"),
        ("slow-log", "/aws/elasticache/acme-prod-usw2/slow-log", "cloudwatch-logs"),
    ]


def test_security_group_admits_only_client_cidrs_on_6379(cluster):
    security_group = cluster.named("cache-sg")
    assert security_group.inputs["vpcId"] == "vpc-123"
    assert "ingress" not in security_group.inputs and "egress" not in security_group.inputs
    assert cluster.named("cache-group").inputs["securityGroupIds"] == ["cache-sg-id"]
    rules = sorted(cluster.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"), key=lambda r: r.name)
    assert sorted(r.name for r in rules) == ["cache-ingress-0", "cache-ingress-1"]
    assert [r.inputs["cidrIpv4"] for r in rules] == ["10.0.32.0/20", "10.0.48.0/20"]
    for rule in rules:
        assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (
            6379,
            6379,
            "tcp",
        )
        assert rule.inputs["securityGroupId"] == "cache-sg-id"
        assert rule.inputs["description"]
        assert ipaddress.ip_network(rule.inputs["cidrIpv4"]).prefixlen > 0
    assert not cluster.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")


def test_the_group_secret_and_logs_are_protected_and_all_are_children(cluster):
    component = cluster.of_type("platform:cache:Redis")[0]
    children = cluster.children_of(component.urn)
    assert {r.name for r in children if r.protect} == {
        "cache-group",
        "cache-auth",
        "cache-slow-log",
        "cache-engine-log",
    }
    assert all(r.inputs["deletionProtectionEnabled"] for r in children if r.type == "aws:cloudwatch/logGroup:LogGroup")
    assert all(r.name.startswith("cache-") for r in children)
    assert len(children) == len(cluster.resources) - 3  # stack, provider, component
    # Every child the SDK can tag is tagged: a forgotten ``tags=`` fails here instead of being skipped.
    taggable = [r for r in children if "tags" in init_parameters(r.type)]
    assert len(taggable) == 9
    for child in taggable:
        assert child.inputs["tags"]["Team"] == "platform", child.name
        assert child.inputs["tags"]["ManagedBy"] == "pulumi", child.name
    assert cluster.named("cache-group").inputs["tags"]["Name"] == "acme-prod-usw2"


@pytest.mark.parametrize(
    "bad_id",
    ["", "1cache", "Cache", "cache--prod", "cache-", "cache_prod", "a" * 41],
)
def test_invalid_replication_group_ids_are_rejected(bad_id):
    with pytest.raises(ValueError, match="1-40 characters"):
        check_replication_group_id(bad_id)
    with pytest.raises(ValueError, match="replication_group_id"):
        _args(replication_group_id=bad_id)


def test_valid_replication_group_id_passes():
    assert check_replication_group_id("a" * 40) == "a" * 40
    assert check_replication_group_id("acme-prod-use1") == "acme-prod-use1"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"replicas_per_shard": 0}, "failover"),
        ({"replicas_per_shard": 6}, "1-5"),
        ({"shards": 2, "cluster_mode": False}, "without cluster mode"),
        ({"client_cidr_blocks": ["0.0.0.0/0"]}, "everyone"),
        ({"client_cidr_blocks": ["::/0"]}, "everyone"),
        ({"client_cidr_blocks": ["10.0.0.300/24"]}, "not a CIDR"),
        ({"snapshot_retention_days": 0}, "1-35"),
        ({"log_retention_days": 0}, "log_retention_days"),
        ({"engine": "redis", "engine_version": "6.2"}, "7 or later"),
    ],
)
def test_unsafe_args_are_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        _args(**overrides)


def test_parameter_family():
    assert parameter_family("valkey", "8.0") == "valkey8"
    assert parameter_family("valkey", "7.2") == "valkey7"
    assert parameter_family("redis", "7.1") == "redis7"
    with pytest.raises(ValueError, match="memcached"):
        parameter_family("memcached", "1.6")


@given(
    group_id=st.from_regex(r"[a-z][a-z0-9]{0,39}", fullmatch=True),
    cluster_mode=st.booleans(),
    shards=st.integers(1, 500),
    replicas=st.integers(1, 5),
)
def test_member_cluster_ids(group_id, cluster_mode, shards, replicas):
    shards = shards if cluster_mode else 1
    ids = member_cluster_ids(group_id, cluster_mode, shards, replicas)
    assert len(ids) == shards * (replicas + 1)
    assert len(set(ids)) == len(ids)
    assert all(member.startswith(f"{group_id}-") and len(member) <= 50 for member in ids)
    assert ids[0] == (f"{group_id}-0001-001" if cluster_mode else f"{group_id}-001")

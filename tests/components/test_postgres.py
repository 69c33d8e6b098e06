"""Postgres and PostgresReplicas on their own: guarded, encrypted, private, TLS-only, least privilege."""

import json

import pulumi
import pulumi_aws as aws
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.base import YEAR_LOG_RETENTION_DAYS
from components.postgres import (
    INSTANCE_MEMORY_GIB,
    OS_RESERVED_FRACTION,
    Postgres,
    PostgresArgs,
    max_connections,
    parameter_family,
    parameters,
    proxy_policy,
)
from components.postgres_replicas import PostgresReplicas, PostgresReplicasArgs, replica_sources
from infra.offline.harness import MOCK_ACCOUNT_ID
from tests.readable import run_program

KEY = "arn:aws:kms:us-west-2:111122223333:key/primary"
REPLICA_KEY = "arn:aws:kms:eu-west-1:111122223333:key/replica"
SOURCE = "arn:aws:rds:us-west-2:111122223333:db:acme-prod-db"
CLIENTS = ["10.0.0.0/18", "10.0.64.0/18"]
INSTANCE = "aws:rds/instance:Instance"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
#: What the lead wires for phase 3: the primary's default limit, passed to primary and replicas alike.
PRIMARY_LIMIT = max_connections("db.r7g.2xlarge")
#: (create, update, delete) the RDS instances must allow for: hours, not the provider's minutes.
DB_TIMEOUTS = ("4h", "4h", "2h")
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
MASTER_SECRET = f"arn:aws:secretsmanager:us-west-2:{MOCK_ACCOUNT_ID}:db-credentials-app_admin"
APP_SECRET = f"arn:aws:secretsmanager:us-west-2:{MOCK_ACCOUNT_ID}:db-credentials-app"
_UNTAGGABLE = {
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup",
    "aws:rds/proxyTarget:ProxyTarget",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:secretsmanager/secretRotation:SecretRotation",
    "random:index/randomPassword:RandomPassword",
    "random:index/randomBytes:RandomBytes",
}


def _primary_args(**overrides) -> PostgresArgs:
    values = dict(
        identifier="acme-prod-db",
        region="us-west-2",
        vpc_id="vpc-1",
        subnet_ids=["subnet-iso-a", "subnet-iso-b"],
        proxy_subnet_ids=["subnet-prv-a", "subnet-prv-b"],
        client_cidr_blocks=CLIENTS,
        kms_key_arn=KEY,
        tags={"Team": "platform"},
    )
    return PostgresArgs(**{**values, **overrides})


def _replica_args(count: int, **overrides) -> PostgresReplicasArgs:
    values = dict(
        identifier_prefix="acme-prod-db",
        count=count,
        source_db_arn=SOURCE,
        instance_class="db.r7g.large",
        kms_key_arn=KEY,
        vpc_id="vpc-1",
        subnet_ids=["subnet-iso-a", "subnet-iso-b"],
        client_cidr_blocks=CLIENTS,
        monitoring_role_arn="arn:aws:iam::111122223333:role/acme-prod-db-monitoring",
    )
    return PostgresReplicasArgs(**{**values, **overrides})


def _refusal_words(overrides: dict) -> str:
    """What the refusal of the one bad field in ``overrides`` must say: its name or its rule's words."""
    (field,) = overrides
    return {"client_cidr_blocks": "client", "proxy_max_idle_connections_percent": "proxy connection"}.get(field, field)


def _record_timeouts(into: dict[str, tuple | None]) -> None:
    """Note each resource's custom timeouts in ``into`` by logical name (the harness records none)."""

    def record(args: pulumi.ResourceTransformationArgs) -> None:
        timeouts = args.opts.custom_timeouts
        into[args.name] = timeouts and (timeouts.create, timeouts.update, timeouts.delete)

    pulumi.runtime.register_stack_transformation(record)


def _replicas_program(count: int, region: str = "us-west-2", timeouts: dict | None = None, **overrides):
    def program():
        if timeouts is not None:
            _record_timeouts(timeouts)
        provider = aws.Provider("cell", region=region)
        replicas = PostgresReplicas(
            "db", _replica_args(count, **overrides), opts=pulumi.ResourceOptions(provider=provider)
        )
        for key in ("identifiers", "endpoints", "arns", "security_group_id"):
            pulumi.export(key, getattr(replicas, key))

    return run_program(program)


@pytest.fixture(scope="module")
def primary_run():
    timeouts: dict[str, tuple | None] = {}

    def program():
        _record_timeouts(timeouts)
        provider = aws.Provider("usw2", region="us-west-2")
        db = Postgres(
            "db", _primary_args(max_connections=PRIMARY_LIMIT), opts=pulumi.ResourceOptions(provider=provider)
        )
        for key in (
            "identifier",
            "port",
            "proxy_endpoint",
            "proxy_id",
            "master_secret_arn",
            "app_secret_arn",
            "security_group_id",
        ):
            pulumi.export(key, getattr(db, key))

    return run_program(program), timeouts


@pytest.fixture(scope="module")
def primary(primary_run):
    return primary_run[0]


def test_instance_is_protected_multi_az_encrypted_and_private(primary):
    (db,) = primary.of_type(INSTANCE)
    assert db.name == "db-instance"
    assert db.protect is True
    assert db.region == "us-west-2"
    expected = {
        "identifier": "acme-prod-db",
        "deletionProtection": True,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "acme-prod-db-final",
        "multiAz": True,
        "storageType": "gp3",
        "storageEncrypted": True,
        "kmsKeyId": KEY,
        "publiclyAccessible": False,
        "manageMasterUserPassword": None,
        "passwordWoVersion": 1,
        "engineLifecycleSupport": "open-source-rds-extended-support-disabled",
        "iamDatabaseAuthenticationEnabled": True,
        "caCertIdentifier": "rds-ca-rsa2048-g1",
        "copyTagsToSnapshot": True,
        "deleteAutomatedBackups": False,
        "backupRetentionPeriod": 7,
        "maxAllocatedStorage": 1000,
        "autoMinorVersionUpgrade": True,
        "applyImmediately": False,
        "parameterGroupName": "acme-prod-db-postgres16",
        "dbSubnetGroupName": "acme-prod-db",
    }
    assert {key: db.inputs.get(key) for key in expected} == expected
    # Our generated password, write-only: sent on create (and when its version changes), never read back.
    assert "password" not in db.inputs
    assert primary.named("db-master-password").urn in db.property_dependencies["passwordWo"]
    assert db.inputs["tags"] == {"ManagedBy": "pulumi", "Team": "platform", "Name": "acme-prod-db"}


def test_only_the_instance_gets_hours_long_timeouts(primary_run):
    _, timeouts = primary_run
    assert timeouts["db-instance"] == DB_TIMEOUTS
    assert {name for name, value in timeouts.items() if value} == {"db-instance"}


def test_insights_are_encrypted_with_the_key_and_monitoring_and_logs_are_on(primary):
    db = primary.named("db-instance")
    assert db.inputs["performanceInsightsEnabled"] is True
    assert db.inputs["performanceInsightsKmsKeyId"] == KEY
    assert db.inputs["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert db.inputs["monitoringInterval"] == 60
    role = primary.named("db-monitoring-role")
    assert db.inputs["monitoringRoleArn"].endswith(":db-monitoring-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust == [
        {"Effect": "Allow", "Principal": {"Service": "monitoring.rds.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    attachment = primary.named("db-monitoring-policy")
    assert attachment.inputs["policyArn"].endswith(":policy/service-role/AmazonRDSEnhancedMonitoringRole")
    assert attachment.urn in db.dependencies


def test_exported_logs_land_in_our_encrypted_retained_groups_made_first(primary):
    db = primary.named("db-instance")
    groups = primary.of_type(LOG_GROUP)
    assert sorted(g.inputs["name"] for g in groups) == [
        f"/aws/rds/instance/acme-prod-db/{log}" for log in sorted(db.inputs["enabledCloudwatchLogsExports"])
    ]
    for group in groups:
        assert group.name in ("db-log-postgresql", "db-log-upgrade")
        assert group.inputs["kmsKeyId"] == KEY
        assert group.inputs["retentionInDays"] == 365
        assert group.inputs["tags"]["Name"] == group.inputs["name"]
        # RDS must find the group in place, or it creates its own never-expiring, unkeyed one.
        assert group.urn in db.dependencies
        # Audit evidence: guarded like the data it describes.
        assert group.protect is True and group.inputs["deletionProtectionEnabled"] is True


def test_parameter_group_forces_tls_and_logs_slow_queries(primary):
    (group,) = primary.of_type("aws:rds/parameterGroup:ParameterGroup")
    assert group.inputs["family"] == "postgres16"
    settings = {p["name"]: (p["value"], p["applyMethod"]) for p in group.inputs["parameters"]}
    assert settings["rds.force_ssl"] == ("1", "immediate")
    assert settings["log_min_duration_statement"] == ("500", "immediate")
    for flag in ("log_connections", "log_disconnections", "log_lock_waits"):
        assert settings[flag][0] == "1"
    assert settings["shared_preload_libraries"] == ("pg_stat_statements", "pending-reboot")
    # Static parameter: only a reboot applies it, and it is the value replicas must match.
    assert settings["max_connections"] == (str(PRIMARY_LIMIT), "pending-reboot")


@given(slow_ms=st.integers(0, 60_000), limit=st.none() | st.integers(6, 8388607))
def test_max_connections_is_pinned_only_when_given(slow_ms, limit):
    settings = {p["name"]: p for p in parameters(slow_ms, limit)}
    assert len(settings) == len(parameters(slow_ms, limit))
    if limit is None:
        assert "max_connections" not in settings
    else:
        assert settings["max_connections"] == {
            "name": "max_connections",
            "value": str(limit),
            "apply_method": "pending-reboot",
        }
    assert settings["rds.force_ssl"]["value"] == "1"


def test_proxy_requires_tls_and_iam_and_uses_our_two_login_secrets(primary):
    (proxy,) = primary.of_type("aws:rds/proxy:Proxy")
    assert proxy.inputs["requireTls"] is True
    assert proxy.inputs["debugLogging"] is False
    assert proxy.inputs["engineFamily"] == "POSTGRESQL"
    assert proxy.inputs["idleClientTimeout"] == 1800
    assert proxy.inputs["vpcSubnetIds"] == ["subnet-prv-a", "subnet-prv-b"]
    auths = proxy.inputs["auths"]
    assert [a["secretArn"] for a in auths] == [MASTER_SECRET, APP_SECRET]
    for auth in auths:
        assert auth["authScheme"] == "SECRETS"
        assert auth["iamAuth"] == "REQUIRED"
        assert auth["clientPasswordAuthType"] == "POSTGRES_SCRAM_SHA_256"
    (pool,) = primary.of_type("aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup")
    config = pool.inputs["connectionPoolConfig"]
    assert (config["maxConnectionsPercent"], config["maxIdleConnectionsPercent"]) == (90, 50)
    (target,) = primary.of_type("aws:rds/proxyTarget:ProxyTarget")
    assert target.inputs["dbInstanceIdentifier"] == "acme-prod-db"
    assert target.inputs["dbProxyName"] == proxy.inputs["name"] == "acme-prod-db"


def test_proxy_role_reads_exactly_the_secret_and_decrypts_only_via_secrets_manager(primary):
    role = primary.named("db-proxy-role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "rds.amazonaws.com"}
    policy = primary.named("db-proxy-policy")
    read, decrypt = json.loads(policy.inputs["policy"])["Statement"]
    assert (read["Action"], read["Resource"]) == ("secretsmanager:GetSecretValue", sorted([MASTER_SECRET, APP_SECRET]))
    assert (decrypt["Action"], decrypt["Resource"]) == ("kms:Decrypt", KEY)
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.us-west-2.amazonaws.com"}}
    assert policy.urn in primary.named("db-proxy").dependencies


def _rules_of(plan, rule_type: str, group_id: str) -> list:
    return [r for r in plan.of_type(rule_type) if r.inputs["securityGroupId"] == group_id]


def test_the_instance_admits_only_the_proxy_and_the_rotation_function(primary):
    from_proxy, from_rotation = sorted(_rules_of(primary, INGRESS, "db-instance-sg-id"), key=lambda r: r.name)
    assert from_rotation.name == "db-rotation-db-from-function"
    assert from_rotation.inputs["referencedSecurityGroupId"] == "db-rotation-sg-id"
    assert (from_rotation.inputs["fromPort"], from_rotation.inputs["toPort"]) == (5432, 5432)
    assert from_proxy.name == "db-instance-from-proxy"
    assert from_proxy.inputs["referencedSecurityGroupId"] == "db-proxy-sg-id"
    assert "cidrIpv4" not in from_proxy.inputs
    assert (from_proxy.inputs["fromPort"], from_proxy.inputs["toPort"], from_proxy.inputs["ipProtocol"]) == (
        5432,
        5432,
        "tcp",
    )
    assert primary.named("db-instance").inputs["vpcSecurityGroupIds"] == ["db-instance-sg-id"]
    assert not _rules_of(primary, EGRESS, "db-instance-sg-id")


def test_the_proxy_admits_the_clients_and_reaches_only_the_instance_and_https(primary):
    ingress = _rules_of(primary, INGRESS, "db-proxy-sg-id")
    assert sorted(r.inputs["cidrIpv4"] for r in ingress) == sorted(CLIENTS)
    assert all((r.inputs["fromPort"], r.inputs["toPort"]) == (5432, 5432) for r in ingress)
    egress = {r.name: r.inputs for r in _rules_of(primary, EGRESS, "db-proxy-sg-id")}
    assert set(egress) == {"db-proxy-to-instance", "db-proxy-to-https"}
    to_db = egress["db-proxy-to-instance"]
    assert (to_db["referencedSecurityGroupId"], to_db["fromPort"], to_db["toPort"]) == ("db-instance-sg-id", 5432, 5432)
    # Secrets Manager's public endpoint, via NAT: the only rule that names the internet, and only on 443.
    https = egress["db-proxy-to-https"]
    assert (https["cidrIpv4"], https["ipProtocol"], https["fromPort"], https["toPort"]) == (
        "0.0.0.0/0",
        "tcp",
        443,
        443,
    )
    assert "Secrets Manager" in https["description"]


def test_security_group_rules_are_described_and_no_group_has_inline_rules(primary):
    rules = primary.of_type(INGRESS) + primary.of_type(EGRESS)
    # proxy: clients in, instance + HTTPS out; instance: proxy + rotation in; rotation: instance + HTTPS out.
    assert len(rules) == len(CLIENTS) + 2 + 2 + 2
    assert all(rule.inputs["description"] for rule in rules)
    assert all(r.inputs.get("cidrIpv4") != "0.0.0.0/0" for r in primary.of_type(INGRESS))
    groups = primary.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert sorted(g.name for g in groups) == ["db-instance-sg", "db-proxy-sg", "db-rotation-sg"]
    for group in groups:
        assert "ingress" not in group.inputs and "egress" not in group.inputs


def test_every_child_is_parented_in_the_providers_region_and_tagged(primary):
    (component,) = primary.of_type("platform:database:Postgres")
    children = [r for r in primary.resources if r.custom and r.type != "pulumi:providers:aws"]
    nested = {r.urn for r in primary.resources if r.parent == component.urn and not r.custom}
    assert {r.parent for r in children} == {component.urn, *nested}
    assert {r.region for r in children if not r.type.startswith("random:")} == {"us-west-2"}
    assert all(r.name.startswith("db-") for r in children)
    for resource in children:
        if resource.type not in _UNTAGGABLE:
            assert resource.inputs["tags"]["ManagedBy"] == "pulumi", resource.name
    assert sorted(r.name for r in children if r.protect) == [
        "db-credentials-app",
        "db-credentials-app_admin",
        "db-instance",
        "db-log-postgresql",
        "db-log-upgrade",
    ]


def test_outputs_point_at_the_proxy_and_our_secrets(primary):
    assert primary.outputs["identifier"] == "acme-prod-db"
    assert primary.outputs["port"] == 5432
    assert primary.outputs["proxy_endpoint"] == "db-proxy.proxy-abc123.us-west-2.rds.amazonaws.com"
    # The ARN's last part: the mocks' resource id.
    assert primary.outputs["proxy_id"] == "db-proxy-id"
    assert primary.outputs["master_secret_arn"] == MASTER_SECRET
    assert primary.outputs["app_secret_arn"] == APP_SECRET
    assert primary.outputs["security_group_id"] == "db-instance-sg-id"


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_cidr_blocks": ["0.0.0.0/0"]},
        {"client_cidr_blocks": []},
        {"client_cidr_blocks": ["::/0"]},
        {"identifier": "Acme_Prod"},
        {"backup_retention_days": 0},
        {"monitoring_interval_seconds": 0},
        {"engine_version": "9.6"},
        {"max_allocated_storage_gb": 100},
        {"proxy_max_idle_connections_percent": 95},
        {"max_connections": 5},
        {"log_retention_days": 30},
        {"log_retention_days": 0},
        {"log_retention_days": 366},
    ],
)
def test_unsafe_or_invalid_primary_args_are_refused(overrides):
    with pytest.raises(ValueError, match=_refusal_words(overrides)):
        _primary_args(**overrides)


@pytest.mark.parametrize("days", sorted(YEAR_LOG_RETENTION_DAYS))
def test_every_year_long_cloudwatch_retention_is_accepted(days):
    assert _primary_args(log_retention_days=days).log_retention_days == days
    assert _replica_args(1, log_retention_days=days).log_retention_days == days


def test_parameter_family_uses_the_major_version():
    assert parameter_family("16") == "postgres16"
    assert parameter_family("16.4") == "postgres16"
    assert parameter_family("17.2") == "postgres17"


def test_max_connections_follows_the_rds_formula_within_its_cap():
    assert max_connections("db.m7g.large") == int(8 * 2**30 * (1 - OS_RESERVED_FRACTION) // 9531392)
    assert max_connections("db.r7g.16xlarge") == 5000
    by_memory = sorted(INSTANCE_MEMORY_GIB, key=INSTANCE_MEMORY_GIB.get)
    limits = [max_connections(c) for c in by_memory]
    assert limits == sorted(limits)
    assert all(0 < limit <= 5000 for limit in limits)
    # The approximation never promises more than the full class memory would allow.
    for instance_class, gib in INSTANCE_MEMORY_GIB.items():
        assert max_connections(instance_class) <= min(gib * 2**30 // 9531392, 5000)


def test_max_connections_names_the_known_classes_for_an_unknown_one():
    with pytest.raises(ValueError, match="db.t4g.medium.*db.r7g.16xlarge"):
        max_connections("db.m5.large")


def test_proxy_policy_is_pure_and_scoped():
    statements = json.loads(proxy_policy(["arn:t", "arn:s"], "arn:k", "eu-west-1"))["Statement"]
    assert [s["Resource"] for s in statements] == [["arn:s", "arn:t"], "arn:k"]
    assert "*" not in json.dumps(statements)


def test_no_replicas_create_nothing_and_outputs_stay_defined():
    result = _replicas_program(0)
    assert [r.type for r in result.resources if r.custom] == ["pulumi:providers:aws"]
    assert result.outputs == {"identifiers": [], "endpoints": [], "arns": [], "security_group_id": None}


def test_replica_names_are_stable_as_the_count_grows():
    one, three = _replicas_program(1), _replicas_program(3)
    assert sorted(r.name for r in three.of_type(LOG_GROUP)) == sorted(
        f"db-replica-{i}-log-{log}" for i in range(3) for log in ("postgresql", "upgrade")
    )
    names = {r.name for r in one.resources}
    assert names <= {r.name for r in three.resources}
    assert sorted(r.name for r in three.of_type(INSTANCE)) == ["db-replica-0", "db-replica-1", "db-replica-2"]
    assert three.outputs["identifiers"] == [f"acme-prod-db-replica-{i}" for i in (1, 2, 3)]
    assert three.outputs["endpoints"][0] == "db-replica-0.abc123.us-west-2.rds.amazonaws.com"
    assert len(three.of_type("aws:rds/parameterGroup:ParameterGroup")) == 1
    assert three.outputs["security_group_id"] == "db-sg-id"


def test_replicas_are_guarded_encrypted_private_and_observed():
    timeouts: dict[str, tuple | None] = {}
    result = _replicas_program(2, timeouts=timeouts, max_connections=PRIMARY_LIMIT)
    assert {name for name, value in timeouts.items() if value} == {"db-replica-0", "db-replica-1"}
    assert {timeouts["db-replica-0"], timeouts["db-replica-1"]} == {DB_TIMEOUTS}
    replicas = result.of_type(INSTANCE)
    assert sorted(r.name for r in replicas) == ["db-replica-0", "db-replica-1"]
    for replica in replicas:
        assert replica.protect is True
        # In the source's region no replica feeds another, so none keeps backups of its own.
        assert "backupRetentionPeriod" not in replica.inputs
        expected = {
            "replicateSourceDb": SOURCE,
            "multiAz": False,
            "deletionProtection": True,
            "skipFinalSnapshot": True,
            "storageEncrypted": True,
            # Same-region replicas inherit the source's key; RDS refuses one named here.
            "kmsKeyId": None,
            "performanceInsightsKmsKeyId": KEY,
            "publiclyAccessible": False,
            "iamDatabaseAuthenticationEnabled": True,
            "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
            "monitoringRoleArn": "arn:aws:iam::111122223333:role/acme-prod-db-monitoring",
            "parameterGroupName": "acme-prod-db-replicas-postgres16",
        }
        assert {key: replica.inputs.get(key) for key in expected} == expected
        assert "username" not in replica.inputs and "engine" not in replica.inputs
    params = result.named("db-params").inputs["parameters"]
    assert {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"} in params
    # Same limit as the primary although the class is smaller: hot standby refuses a lower one.
    assert {"name": "max_connections", "value": str(PRIMARY_LIMIT), "applyMethod": "pending-reboot"} in params
    assert max_connections("db.r7g.large") < PRIMARY_LIMIT
    # Replicas have no proxy in front, so the client subnets reach them directly.
    assert {r.inputs["cidrIpv4"] for r in result.of_type(INGRESS)} == set(CLIENTS)


def test_each_replica_exports_logs_to_its_own_encrypted_groups_made_first():
    result = _replicas_program(2, log_retention_days=731)
    for index in range(2):
        replica = result.named(f"db-replica-{index}")
        groups = [result.named(f"db-replica-{index}-log-{log}") for log in ("postgresql", "upgrade")]
        assert [g.inputs["name"] for g in groups] == [
            f"/aws/rds/instance/acme-prod-db-replica-{index + 1}/{log}" for log in ("postgresql", "upgrade")
        ]
        for group in groups:
            assert (group.inputs["kmsKeyId"], group.inputs["retentionInDays"]) == (KEY, 731)
            assert group.urn in replica.dependencies
    assert {r.name for r in result.resources if r.protect} == {
        f"db-replica-{i}{suffix}" for i in range(2) for suffix in ("", "-log-postgresql", "-log-upgrade")
    }


def test_a_remote_region_cascades_from_its_one_cross_region_replica():
    result = _replicas_program(3, region="eu-west-1", cross_region=True, kms_key_arn=REPLICA_KEY)
    head, second, third = (result.named(f"db-replica-{i}") for i in range(3))
    assert head.inputs["replicateSourceDb"] == SOURCE
    assert (head.inputs["kmsKeyId"], head.inputs["backupRetentionPeriod"]) == (REPLICA_KEY, 1)
    for cascaded in (second, third):
        assert cascaded.inputs["replicateSourceDb"] == f"arn:aws:rds:eu-west-1:{MOCK_ACCOUNT_ID}:db-replica-0"
        assert cascaded.property_dependencies["replicateSourceDb"] == [head.urn]
        assert "kmsKeyId" not in cascaded.inputs and "backupRetentionPeriod" not in cascaded.inputs


@given(count=st.integers(0, 15), cross_region=st.booleans())
def test_only_one_replica_per_remote_region_crosses_regions(count, cross_region):
    sources = replica_sources(count, cross_region)
    assert len(sources) == count
    crossing = [i for i, source in enumerate(sources) if source is None]
    assert crossing == (list(range(count)) if not cross_region else [0] * (count > 0))
    assert all(source in (None, 0) for source in sources)


def test_cross_region_replicas_land_in_the_providers_region():
    result = _replicas_program(1, region="eu-west-1", cross_region=True, kms_key_arn=REPLICA_KEY)
    children = [r for r in result.resources if r.custom and r.type != "pulumi:providers:aws"]
    assert {r.region for r in children} == {"eu-west-1"}
    replica = result.named("db-replica-0")
    assert replica.inputs["replicateSourceDb"] == SOURCE
    assert replica.inputs["kmsKeyId"] == REPLICA_KEY
    assert replica.inputs["tags"]["ReplicaScope"] == "cross-region"
    assert result.outputs["arns"] == [f"arn:aws:rds:eu-west-1:{MOCK_ACCOUNT_ID}:db-replica-0"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"source_db_arn": "acme-prod-db"},
        {"count": -1},
        {"client_cidr_blocks": ["0.0.0.0/0"]},
        {"max_connections": 0},
        {"log_retention_days": 90},
    ],
)
def test_invalid_replica_args_are_refused(overrides):
    with pytest.raises(ValueError, match=_refusal_words(overrides)):
        _replica_args(**{"count": 1, **overrides})

"""The Atlas cluster: the SPEC ladder as replication specs, data safety, and private connection strings."""

import dataclasses

import pulumi
import pulumi_mongodbatlas as atlas
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi._types import input_type_py_to_pulumi_names

from components.atlas_cluster import AtlasCluster, AtlasClusterArgs, replication_specs
from components.atlas_private_endpoint import AtlasPrivateEndpoint, AtlasPrivateEndpointArgs
from components.atlas_topology import (
    ATLAS_INSTANCE_SIZES,
    MONGODB_MAJOR_VERSIONS,
    RegionNodes,
    atlas_region,
    backup_policy,
    ladder_problem,
    region_priorities,
    select_private_srv,
    size_rank,
    topology_problem,
)
from infra.offline.forcenew import FORCE_NEW, STATEFUL_TYPES, top
from infra.offline.harness import run_program

CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
PHASE4_REGIONS = [RegionNodes("us-east-1", 3), RegionNodes("us-west-2", 2), RegionNodes("eu-west-1", 0, read_only=2)]


def _args(**overrides) -> AtlasClusterArgs:
    values = {
        "project_id": "0123456789abcdef01234567",
        "cluster_name": "acme-prod",
        "cluster_type": "REPLICASET",
        "instance_size": "M10",
        "regions": [RegionNodes("us-east-1", 3)],
        "tags": {"Team": "platform"},
    }
    return AtlasClusterArgs(**{**values, **overrides})


#: SPEC §3: M10 replica set -> M30 + analytics -> M60 sharded -> multi-region sharded.
LADDER = [
    _args(),
    _args(instance_size="M30", regions=[RegionNodes("us-east-1", 3, analytics=1)]),
    _args(cluster_type="SHARDED", instance_size="M60", shards=2, regions=[RegionNodes("us-east-1", 3, analytics=1)]),
    _args(cluster_type="SHARDED", instance_size="M60", shards=2, regions=PHASE4_REGIONS),
]


def test_atlas_region_names():
    assert atlas_region("us-east-1") == "US_EAST_1"
    assert atlas_region("ap-southeast-2") == "AP_SOUTHEAST_2"
    assert atlas_region("us-gov-west-1") == "US_GOV_WEST_1"
    with pytest.raises(ValueError):
        atlas_region("US_EAST_1")


def test_sizes_are_ordered_and_carry_capacity():
    assert list(ATLAS_INSTANCE_SIZES)[:7] == ["M10", "M20", "M30", "M40", "M50", "M60", "M80"]
    assert size_rank("M10") < size_rank("M30") < size_rank("M60") < size_rank("M300")
    rams = [s.ram_gb for s in ATLAS_INSTANCE_SIZES.values()]
    assert rams == sorted(rams) and ATLAS_INSTANCE_SIZES["M10"].max_connections == 1500
    assert "8.0" in MONGODB_MAJOR_VERSIONS
    with pytest.raises(ValueError):
        size_rank("M0")


def test_priorities_descend_from_seven_and_read_only_regions_get_zero():
    assert region_priorities(PHASE4_REGIONS) == [7, 6, 0]
    three = [RegionNodes("us-east-1", 3), RegionNodes("us-west-2", 2), RegionNodes("eu-west-1", 2)]
    assert region_priorities(three) == [7, 6, 5]


@pytest.mark.parametrize(
    ("regions", "cluster_type", "size", "shards", "fragment"),
    [
        ([RegionNodes("us-east-1", 2)], "REPLICASET", "M10", 1, "3, 5 or 7"),
        ([RegionNodes("us-east-1", 4), RegionNodes("us-west-2", 4)], "REPLICASET", "M10", 1, "3, 5 or 7"),
        ([RegionNodes("eu-west-1", 0, read_only=1), RegionNodes("us-east-1", 3)], "REPLICASET", "M10", 1, "primary"),
        (
            [RegionNodes("us-east-1", 2), RegionNodes("eu-west-1", 0, 1), RegionNodes("us-west-2", 1)],
            "REPLICASET",
            "M10",
            1,
            "after every electable region",
        ),
        ([RegionNodes("us-east-1", 3)], "SHARDED", "M20", 2, "M30"),
        ([RegionNodes("us-east-1", 3)], "REPLICASET", "M30", 2, "exactly one"),
        ([RegionNodes("us-east-1", 3), RegionNodes("us-east-1", 2)], "REPLICASET", "M10", 1, "twice"),
        ([RegionNodes("us-east-1", 3)], "GEOSHARDED", "M30", 1, "cluster_type"),
        ([RegionNodes("us-east-1", 3), RegionNodes("us-west-2", 2)], "SHARDED", "M30", 31, "at most 30"),
    ],
)
def test_layouts_atlas_refuses(regions, cluster_type, size, shards, fragment):
    problem = topology_problem(regions, cluster_type, size, shards)
    assert problem is not None and fragment in problem
    with pytest.raises(ValueError):
        _args(regions=regions, cluster_type=cluster_type, instance_size=size, shards=shards)


def test_the_spec_ladder_is_valid_and_each_step_is_in_place():
    assert [topology_problem(a.regions, a.cluster_type, a.instance_size, a.shards) for a in LADDER] == [None] * 4
    assert [ladder_problem(a.shape(), b.shape()) for a, b in zip(LADDER, LADDER[1:], strict=False)] == [None] * 3


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        (LADDER[2], LADDER[1], "back to a replica set"),
        (LADDER[1], _args(instance_size="M10"), "downgrade"),
        (LADDER[0], _args(cluster_name="acme-prod-2"), "replaces it"),
        (LADDER[3], LADDER[2], "removed"),
        (LADDER[0], _args(regions=[RegionNodes("eu-west-1", 3)]), "primary"),
        (LADDER[2], dataclasses.replace(LADDER[2], shards=1), "removing shards"),
        (_args(mongo_major_version="7.0"), _args(), None),
        (_args(), _args(mongo_major_version="7.0"), "downgrade"),
    ],
)
def test_changes_that_are_not_promotion_steps(old, new, fragment):
    problem = ladder_problem(old.shape(), new.shape())
    assert problem is None if fragment is None else fragment in problem


def test_a_skipped_major_version_is_refused():
    old = dataclasses.replace(LADDER[0].shape(), mongo_major_version="6.0")
    assert "one major at a time" in ladder_problem(old, LADDER[0].shape())


@given(days=st.integers(1, 400), window=st.integers(1, 400))
def test_backup_policy_keeps_atlas_retention_ordering(days, window):
    if days < window:
        with pytest.raises(ValueError):
            backup_policy(days, window)
        return
    policy = backup_policy(days, window)
    assert policy.hourly_days == window <= policy.daily_days == days
    assert policy.daily_days <= policy.weekly_weeks * 7 <= policy.monthly_months * 31


def test_replication_specs_of_a_multi_region_sharded_cluster():
    specs = replication_specs(LADDER[3])
    assert len(specs) == 2 and specs[0] == specs[1]
    configs = specs[0]["region_configs"]
    placed = [(c["region_name"], c["priority"]) for c in configs]
    assert placed == [("US_EAST_1", 7), ("US_WEST_2", 6), ("EU_WEST_1", 0)]
    assert [c["electable_specs"]["node_count"] for c in configs] == [3, 2, 0]
    assert [c["read_only_specs"]["node_count"] for c in configs] == [0, 0, 2]
    assert {c["electable_specs"]["instance_size"] for c in configs} == {"M60"}
    assert all(c["provider_name"] == "AWS" for c in configs)


def test_auto_scaling_bounds_and_analytics_size():
    args = _args(
        instance_size="M30",
        regions=[RegionNodes("us-east-1", 3, analytics=1)],
        analytics_instance_size="M40",
        compute_auto_scaling=("M30", "M50"),
        disk_auto_scaling=True,
    )
    (config,) = replication_specs(args)[0]["region_configs"]
    assert config["analytics_specs"] == {"instance_size": "M40", "node_count": 1, "disk_size_gb": 10}
    assert config["analytics_auto_scaling"] == config["auto_scaling"]
    assert config["auto_scaling"] == {
        "disk_gb_enabled": True,
        "compute_enabled": True,
        "compute_scale_down_enabled": True,
        "compute_min_instance_size": "M30",
        "compute_max_instance_size": "M50",
    }
    with pytest.raises(ValueError, match="must include M30"):
        _args(instance_size="M30", compute_auto_scaling=("M40", "M50"))
    with pytest.raises(ValueError, match="must include M60"):  # analytics nodes share the bounds
        dataclasses.replace(args, analytics_instance_size="M60")


def test_sizes_are_fixed_by_default():
    (config,) = replication_specs(LADDER[1])[0]["region_configs"]
    assert (
        config["auto_scaling"]
        == config["analytics_auto_scaling"]
        == {"disk_gb_enabled": False, "compute_enabled": False}
    )
    assert not any(args.auto_scaling for args in LADDER)


@pytest.mark.parametrize("scaling", [{"disk_auto_scaling": True}, {"compute_auto_scaling": ("M60", "M80")}])
def test_auto_scaling_needs_a_single_replication_spec(scaling):
    # use_effective_fields has no effect with several specs: Atlas-scaled sizes would be reverted.
    with pytest.raises(ValueError, match="2 shards"):
        dataclasses.replace(LADDER[2], **scaling)
    assert dataclasses.replace(LADDER[2], shards=1, **scaling).auto_scaling


@pytest.mark.parametrize(
    ("scaling", "effective"),
    [({}, False), ({"disk_auto_scaling": True}, True), ({"compute_auto_scaling": ("M10", "M20")}, True)],
)
def test_effective_fields_only_while_auto_scaling(scaling, effective):
    inputs = _run(_args(**scaling)).named("db-cluster").inputs
    assert inputs["useEffectiveFields"] is effective


def test_private_srv_is_picked_by_vpc_endpoint_id_in_either_key_style():
    strings = {
        "private_endpoints": [
            {"srv_connection_string": "mongodb+srv://a", "endpoints": [{"endpoint_id": "vpce-a"}]},
            {"srv_connection_string": "mongodb+srv://b", "endpoints": [{"endpoint_id": "vpce-b"}]},
        ]
    }
    assert select_private_srv(strings, "vpce-b") == "mongodb+srv://b"
    wire = {"privateEndpoints": [{"srvConnectionString": "mongodb+srv://c", "endpoints": [{"endpointId": "vpce-c"}]}]}
    assert select_private_srv(wire, "vpce-c") == "mongodb+srv://c"
    assert select_private_srv(strings, "vpce-z") == "" and select_private_srv(None, "vpce-a") == ""


def _run(args: AtlasClusterArgs, endpoints: tuple[str, ...] = ()):
    def program():
        ready = {}
        for region in endpoints:
            ready[region] = AtlasPrivateEndpoint(
                f"pe-{region}",
                AtlasPrivateEndpointArgs(
                    project_id=args.project_id,
                    region=region,
                    name=f"acme-prod-{region}-atlas",
                    vpc_id=f"vpc-{region}",
                    subnet_ids=[f"subnet-{region}-a"],
                    client_cidr_blocks=["10.10.32.0/20"],
                ),
            )
        cluster = AtlasCluster(
            "db", dataclasses.replace(args, depends_on_endpoints=[pe.ready for pe in ready.values()])
        )
        for region, pe in ready.items():
            pulumi.export(f"srv-{region}", cluster.private_srv_for(pe.vpc_endpoint_id))
            pulumi.export(f"vpce-{region}", pe.vpc_endpoint_id)
        pulumi.export("cluster_id", cluster.cluster_id)

    return run_program(program)


@pytest.fixture(scope="module")
def phase4_plan():
    return _run(LADDER[3], endpoints=("us-east-1", "us-west-2", "eu-west-1"))


def test_the_cluster_keeps_its_data(phase4_plan):
    cluster = phase4_plan.named("db-cluster")
    assert cluster.protect and cluster.type in STATEFUL_TYPES
    inputs = cluster.inputs
    assert inputs["terminationProtectionEnabled"] is True
    assert inputs["backupEnabled"] is True and inputs["pitEnabled"] is True and inputs["retainBackupsEnabled"] is True
    assert inputs["encryptionAtRestProvider"] == "AWS"
    assert inputs["advancedConfiguration"]["minimumEnabledTlsProtocol"] == "TLS1_2"
    assert inputs["useEffectiveFields"] is False  # no effect with 2 specs; the provider advises against it
    assert inputs["clusterType"] == "SHARDED" and len(inputs["replicationSpecs"]) == 2


def test_the_backup_schedule_keeps_the_restore_window_within_hourly_retention(phase4_plan):
    schedule = phase4_plan.named("db-backup").inputs
    assert schedule["restoreWindowDays"] == schedule["policyItemHourly"]["retentionValue"] == 7
    assert schedule["policyItemHourly"]["frequencyInterval"] in (1, 2, 4, 6, 8, 12)
    assert schedule["policyItemDaily"] == {"frequencyInterval": 1, "retentionUnit": "days", "retentionValue": 7}
    assert schedule["policyItemWeeklies"][0]["retentionUnit"] == "weeks"
    assert schedule["policyItemMonthlies"][0]["retentionValue"] >= 12
    assert schedule["clusterName"] == "acme-prod"


def test_each_region_gets_the_connection_string_of_its_own_endpoint(phase4_plan):
    outputs = phase4_plan.outputs
    srvs = {outputs[f"srv-{r}"] for r in ("us-east-1", "us-west-2", "eu-west-1")}
    assert len(srvs) == 3 and all(s.startswith("mongodb+srv://acme-prod-pl-") for s in srvs)
    cluster = phase4_plan.named("db-cluster")
    service = "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService"
    connections = [r.urn for r in phase4_plan.of_type(service)]
    assert set(connections) <= set(cluster.dependencies)


def test_encryption_at_rest_comes_first():
    def program():
        ear = atlas.EncryptionAtRest("ear", project_id="p", aws_kms_config={"enabled": True})
        AtlasCluster("db", _args(encryption_at_rest=ear))

    plan = run_program(program)
    assert plan.named("ear").urn in plan.named("db-cluster").dependencies


def test_replica_set_m10_has_one_spec_and_no_analytics():
    plan = _run(LADDER[0])
    (spec,) = plan.named("db-cluster").inputs["replicationSpecs"]
    (config,) = spec["regionConfigs"]
    assert config["electableSpecs"] == {"instanceSize": "M10", "nodeCount": 3, "diskSizeGb": 10}
    assert config["analyticsSpecs"]["nodeCount"] == 0 and config["priority"] == 7


def test_phase_2_adds_an_analytics_node():
    (spec,) = _run(LADDER[1]).named("db-cluster").inputs["replicationSpecs"]
    (config,) = spec["regionConfigs"]
    assert config["analyticsSpecs"] == {"instanceSize": "M30", "nodeCount": 1, "diskSizeGb": 10}


ATLAS_TYPES = sorted(t for t in FORCE_NEW if t.startswith("mongodbatlas:"))


@pytest.mark.parametrize("type_token", ATLAS_TYPES)
def test_forcenew_table_names_real_atlas_inputs(type_token):
    name = type_token.rsplit(":", 1)[1]
    assert getattr(atlas, name).pulumi_type == type_token
    inputs = set(input_type_py_to_pulumi_names(getattr(atlas, f"{name}Args")).values())
    assert {top(p) for p in FORCE_NEW[type_token]} <= inputs

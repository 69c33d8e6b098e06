"""The MongoDB Atlas variant (examples/mongodb): the SPEC §3 ladder, network, data safety, access,
monitoring, no RDS; the config refusals; engine switches and consecutive promotions."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.cli import main as cli_main
from infra.config import ConfigError, load_config
from infra.offline.diff import atlas_cluster_refusals, check_same_engine, diff_plans
from infra.offline.harness import ROOT, stack_config
from tests.conftest import ATLAS_DIR, PHASES, atlas_plan_of

CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
SERVING = {"phase1": ["us-east-1"], "phase2": ["us-east-1"], "phase3": ["us-east-1"]}
SERVING["phase4"] = ["us-east-1", "us-west-2", "eu-west-1"]


def _cluster(stack: str) -> dict:
    (cluster,) = atlas_plan_of(stack).of_type(CLUSTER)
    assert cluster.protect
    return cluster.inputs


def _nodes(spec: dict, kind: str) -> dict[str, int]:
    return {c["regionName"]: int(c[f"{kind}Specs"]["nodeCount"]) for c in spec["regionConfigs"] if f"{kind}Specs" in c}


@pytest.mark.parametrize(
    ("stack", "cluster_type", "shards", "size"),
    [("phase1", "REPLICASET", 1, "M10"), ("phase2", "REPLICASET", 1, "M30"), ("phase3", "SHARDED", 1, "M60"),
     ("phase4", "SHARDED", 2, "M60")],
)  # fmt: skip
def test_the_ladder(stack, cluster_type, shards, size):
    cluster = _cluster(stack)
    assert cluster["name"] == "acme-prod-mongo"
    assert cluster["clusterType"] == cluster_type
    assert len(cluster["replicationSpecs"]) == shards
    regions = [r.upper().replace("-", "_") for r in SERVING[stack]]
    for spec in cluster["replicationSpecs"]:
        configs = spec["regionConfigs"]
        assert [c["regionName"] for c in configs] == regions  # the primary's region first, highest priority
        assert configs[0]["priority"] == max(c["priority"] for c in configs)
        assert {c["electableSpecs"]["instanceSize"] for c in configs} == {size}
        assert sum(_nodes(spec, "electable").values()) in (3, 5)
        analytics = sum(_nodes(spec, "analytics").values())
        assert analytics == (0 if stack == "phase1" else 1)


def test_phase_4_spreads_electable_and_read_only_nodes():
    spec = _cluster("phase4")["replicationSpecs"][0]
    assert _nodes(spec, "electable") == {"US_EAST_1": 3, "US_WEST_2": 1, "EU_WEST_1": 1}
    assert _nodes(spec, "readOnly") == {"US_EAST_1": 0, "US_WEST_2": 1, "EU_WEST_1": 1}


@pytest.mark.parametrize("stack", PHASES)
def test_a_private_endpoint_in_every_serving_region(stack):
    plan = atlas_plan_of(stack)
    services = plan.of_type("mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint")
    assert sorted(s.inputs["region"] for s in services) == sorted(r.upper().replace("-", "_") for r in SERVING[stack])
    endpoints = [
        e for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.name.endswith("-atlas-endpoint-endpoint")
    ]
    assert sorted(e.region for e in endpoints) == sorted(SERVING[stack])
    private = {r.id for r in plan.of_type("aws:ec2/subnet:Subnet") if "-network-private-" in r.name}
    for endpoint in endpoints:
        assert endpoint.inputs["vpcEndpointType"] == "Interface"
        assert set(endpoint.inputs["subnetIds"]) <= private  # the app subnets only
    # No public access to the project: no IP access list at all.
    assert not [r for r in plan.resources if r.type.startswith("mongodbatlas:index/projectIpAccessList")]


@pytest.mark.parametrize(("stack", "days"), [("phase1", 7), ("phase2", 30), ("phase3", 30), ("phase4", 30)])
def test_backups_and_point_in_time_restore_under_our_key(stack, days):
    cluster = _cluster(stack)
    assert cluster["backupEnabled"] and cluster["pitEnabled"] and cluster["terminationProtectionEnabled"]
    assert cluster["encryptionAtRestProvider"] == "AWS"
    (schedule,) = atlas_plan_of(stack).of_type("mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule")
    assert schedule.inputs["restoreWindowDays"] == days
    assert schedule.inputs["policyItemDaily"]["retentionValue"] == days
    (ear,) = atlas_plan_of(stack).of_type("mongodbatlas:index/encryptionAtRest:EncryptionAtRest")
    (key,) = [k for k in atlas_plan_of(stack).of_type("aws:kms/key:Key") if k.name == "use1-key-key"]
    assert ear.protect and ear.inputs["awsKmsConfig"]["region"] == "US_EAST_1"
    assert ear.property_dependencies["awsKmsConfig"] and key.urn in ear.property_dependencies["awsKmsConfig"]


@pytest.mark.parametrize("stack", PHASES)
def test_users_are_the_apps_pod_identity_roles(stack):
    plan = atlas_plan_of(stack)
    roles = {r.name: r.id for r in plan.of_type("aws:iam/role:Role")}
    users = plan.of_type("mongodbatlas:index/databaseUser:DatabaseUser")
    assert len(users) == 2 * len(SERVING[stack])
    for user in users:
        cell, app = user.name.split("-atlas-users-")
        assert user.inputs["awsIamType"] == "ROLE" and user.inputs["authDatabaseName"] == "$external"
        assert user.inputs["username"].endswith(roles[f"{cell}-{app}-role"])
        assert user.inputs["roles"] == [{"roleName": "readWrite", "databaseName": "app"}]
        assert user.inputs["scopes"] == [{"type": "CLUSTER", "name": "acme-prod-mongo"}]


@pytest.mark.parametrize("stack", PHASES)
def test_alerts_mail_the_on_call(stack):
    alerts = atlas_plan_of(stack).of_type("mongodbatlas:index/alertConfiguration:AlertConfiguration")
    assert len(alerts) >= 5  # CPU, connections, replication lag, disk, query targeting
    for alert in alerts:
        assert [n["emailAddress"] for n in alert.inputs["notifications"]] == ["oncall@example.com"]


@pytest.mark.parametrize("stack", PHASES)
def test_no_rds_at_all(stack):
    plan = atlas_plan_of(stack)
    assert not [r.type for r in plan.resources if r.type.startswith(("aws:rds/", "aws:serverlessrepository/"))]
    assert not [r for r in plan.resources if r.type in ("platform:data:DbBootstrap", "platform:data:DbEvents")]
    assert "rds-db:connect" not in json.dumps([r.inputs for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")])
    assert not plan.of_type("aws:ec2/vpcPeeringConnection:VpcPeeringConnection")


@pytest.mark.parametrize("stack", PHASES)
def test_apps_get_the_mongodb_keys_of_their_own_region(stack):
    plan = atlas_plan_of(stack)
    maps = [
        c
        for c in plan.of_type("kubernetes:core/v1:ConfigMap")
        if c.inputs["metadata"]["namespace"] in ("api", "worker")
    ]
    assert len(maps) == 2 * len(SERVING[stack])
    for config in maps:
        data = config.inputs["data"]
        assert data["DB_ENGINE"] == "mongodb" and data["MONGODB_AUTH_MECHANISM"] == "MONGODB-AWS"
        assert data["MONGODB_URI"].startswith("mongodb+srv://") and "@" not in data["MONGODB_URI"]
        assert data["MONGODB_DATABASE"] == "app"
        assert data["MONGODB_READ_PREFERENCE"] == ("nearest" if stack == "phase4" else "secondaryPreferred")
        assert not [k for k in data if k.startswith("DB_") and k != "DB_ENGINE"]
    assert len({c.inputs["data"]["MONGODB_URI"] for c in maps}) == len(SERVING[stack])  # one per region


@pytest.mark.parametrize(("before", "after"), list(zip(PHASES, PHASES[1:], strict=False)))
def test_consecutive_atlas_phases_promote_safely(before, after):
    diff = diff_plans(atlas_plan_of(before), atlas_plan_of(after))
    assert diff.is_safe, [r.reason for r in diff.unsafe]
    (cluster,) = [c for c in diff.changes if c.type == CLUSTER]
    assert cluster.action == "update"


def test_engine_switch_is_a_migration_not_a_promotion(tmp_path, capsys):
    shutil.copy(ROOT / "Pulumi.phase1.yaml", tmp_path / "Pulumi.phase1.yaml")
    shutil.copy(ATLAS_DIR / "Pulumi.phase2.yaml", tmp_path / "Pulumi.phase2.yaml")
    assert cli_main(["--project-dir", str(tmp_path), "diff", "phase1", "phase2"]) == 1
    assert "a migration, not a promotion" in capsys.readouterr().err
    # promote refuses it offline, before it looks for the Pulumi CLI
    assert cli_main(["--project-dir", str(tmp_path), "promote", "phase1", "phase2"]) == 1
    assert check_same_engine(stack_config("phase1"), stack_config("phase2", ATLAS_DIR)) is not None
    assert check_same_engine(stack_config("phase1"), stack_config("phase2")) is None


def _specs(*regions: str) -> list[dict]:
    return [{"regionConfigs": [{"regionName": r, "priority": 7 - i} for i, r in enumerate(regions)]}]


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ({"clusterType": "SHARDED", "replicationSpecs": _specs("US_EAST_1")},
         {"clusterType": "REPLICASET", "replicationSpecs": _specs("US_EAST_1")}, "back into a replica set"),
        ({"clusterType": "REPLICASET", "replicationSpecs": _specs("US_EAST_1")},
         {"clusterType": "SHARDED", "replicationSpecs": _specs("US_EAST_1") * 2}, "one-shard cluster"),
        ({"clusterType": "SHARDED", "replicationSpecs": _specs("US_EAST_1", "US_WEST_2")},
         {"clusterType": "SHARDED", "replicationSpecs": _specs("US_WEST_2")}, "highest-priority region US_EAST_1"),
    ],
)  # fmt: skip
def test_atlas_changes_atlas_cannot_make_in_place(old, new, why):
    (refusal,) = atlas_cluster_refusals(old, new)
    assert why in refusal[0]


def test_atlas_changes_it_makes_in_place():
    one = {"clusterType": "REPLICASET", "replicationSpecs": _specs("US_EAST_1")}
    sharded = {"clusterType": "SHARDED", "replicationSpecs": _specs("US_EAST_1")}
    wide = {"clusterType": "SHARDED", "replicationSpecs": _specs("US_EAST_1", "US_WEST_2") * 3}
    assert atlas_cluster_refusals(one, sharded) == [] and atlas_cluster_refusals(sharded, wide) == []


def test_a_refused_cluster_change_makes_the_diff_unsafe():
    plan = atlas_plan_of("phase3")
    config = stack_config("phase3", ATLAS_DIR)
    database = json.loads(config["platform:database"])
    database["atlas"]["clusterType"] = "REPLICASET"
    database["atlas"]["instanceSize"] = "M60"
    config["platform:database"] = json.dumps(database)
    config["platform:phase"] = "2"
    config["platform:regions"] = json.dumps(json.loads(config["platform:regions"])[:1])
    from infra.offline.harness import run_stack

    diff = diff_plans(plan, run_stack("phase2", ATLAS_DIR, config))
    assert any("back into a replica set" in r.reason for r in diff.unsafe)


# --- config refusals -----------------------------------------------------------------------------


def _atlas_config(phase: str = "phase1", **atlas) -> dict[str, str]:
    flat = stack_config(phase, ATLAS_DIR)
    database = json.loads(flat["platform:database"])
    database["atlas"].update(atlas)
    flat["platform:database"] = json.dumps(database)
    return flat


def _refused(flat: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as error:
        load_config(flat)
    assert "\n" not in str(error.value)
    return error.value


@pytest.mark.parametrize(
    ("atlas", "path", "words"),
    [
        ({"instanceSize": "M5"}, "platform:database.atlas.instanceSize", "PrivateLink"),
        ({"orgId": "acme"}, "platform:database.atlas.orgId", "pattern"),
        ({"clusterType": "SHARDED", "autoScaling": {}}, "platform:database.atlas.instanceSize", "M30"),
        ({"shards": 2}, "platform:database.atlas.shards", "SHARDED"),
        ({"mongoMajorVersion": "6.0"}, "platform:database.atlas.mongoMajorVersion", "8.0"),
        ({"autoScaling": {"minInstanceSize": "M20", "maxInstanceSize": "M30"}}, "platform:database.atlas.instanceSize",
         "M20..M30"),
        ({"autoScaling": {"minInstanceSize": "M30", "maxInstanceSize": "M10"}},
         "platform:database.atlas.autoScaling.maxInstanceSize", "larger"),
        ({"autoScaling": {"minInstanceSize": "M10"}}, "platform:database.atlas.autoScaling.maxInstanceSize", "both"),
        ({"pitrWindowDays": 8}, "platform:database.atlas.pitrWindowDays", "backupRetentionDays"),
        ({"analyticsInstanceSize": "M30"}, "platform:database.atlas.analyticsInstanceSize", "no analytics nodes"),
    ],
)  # fmt: skip
def test_what_atlas_refuses_is_refused_naming_the_key(atlas, path, words):
    error = _refused(_atlas_config(**atlas))
    assert error.path == path and words in str(error)


@pytest.mark.parametrize(
    ("phase", "atlas", "path"),
    [
        ("phase2", {"instanceSize": "M20", "autoScaling": {}}, "platform:database.atlas.instanceSize"),
        ("phase3", {"clusterType": "REPLICASET", "shards": 1}, "platform:database.atlas.clusterType"),
        ("phase2", {"pitrWindowDays": 7}, "platform:database.atlas.pitrWindowDays"),
    ],
)
def test_the_phase_ladder_is_enforced(phase, atlas, path):
    assert _refused(_atlas_config(phase, **atlas)).path == path


@pytest.mark.parametrize(
    ("scaling", "path"),
    [
        ({"minInstanceSize": "M60", "maxInstanceSize": "M80"}, "platform:database.atlas.autoScaling.minInstanceSize"),
        ({"disk": True}, "platform:database.atlas.autoScaling.disk"),
    ],
)
def test_auto_scaling_is_refused_with_more_than_one_shard(scaling, path):
    # Provider docs: use_effective_fields has no effect with several replication specs.
    error = _refused(_atlas_config("phase4", analyticsInstanceSize="M60", autoScaling=scaling))
    assert error.path == path and "shards 2" in str(error) and "shards: 1" in str(error)


def test_a_team_staying_in_a_phase_may_auto_scale_one_shard():
    scaling = {"minInstanceSize": "M40", "maxInstanceSize": "M80", "disk": True}
    atlas = load_config(_atlas_config("phase3", autoScaling=scaling)).database.atlas
    assert atlas.auto_scaling.disk and atlas.auto_scaling.max_instance_size == "M80"
    # analytics nodes scale within the same bounds: their M40 must be inside
    error = _refused(_atlas_config("phase3", autoScaling={**scaling, "minInstanceSize": "M60"}))
    assert error.path == "platform:database.atlas.analyticsInstanceSize" and "M60..M80" in str(error)


def test_auto_scaling_is_off_by_default():
    atlas = load_config(_atlas_config(autoScaling={})).database.atlas
    assert not atlas.auto_scaling.disk and atlas.auto_scaling.min_instance_size is None


def test_each_engine_refuses_the_others_keys():
    flat = _atlas_config()
    database = json.loads(flat["platform:database"])
    assert _refused({**flat, "platform:database": json.dumps({**database, "instanceClass": "db.r7g.large"})}).path == (
        "platform:database.instanceClass"
    )
    regions = json.loads(flat["platform:regions"])
    regions[0]["readReplicas"] = 1
    assert _refused({**flat, "platform:regions": json.dumps(regions)}).path == "platform:regions[0].readReplicas"
    apps = json.loads(stack_config("phase1")["platform:apps"])
    assert _refused({**flat, "platform:apps": json.dumps(apps)}).path == "platform:apps.dbBootstrap"
    postgres = stack_config("phase1")
    database = json.loads(postgres["platform:database"])
    assert _refused({**postgres, "platform:database": json.dumps({**database, "atlas": {"orgId": "0" * 24}})}).path == (
        "platform:database.atlas"
    )
    assert _refused({**flat, "platform:database": json.dumps({"engine": "mongodb"})}).path == "platform:database.atlas"


def test_the_mongodbatlas_provider_namespace_is_allowed():
    config = load_config({**_atlas_config(), "mongodbatlas:publicKey": "abcdefgh"})
    assert config.database.engine == "mongodb"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 2), st.integers(0, 1)), min_size=3, max_size=3))
def test_node_counts_atlas_refuses_are_refused(counts):
    flat = stack_config("phase4", ATLAS_DIR)
    database = json.loads(flat["platform:database"])
    del database["atlas"]["analyticsInstanceSize"]  # refused on its own without analytics nodes
    flat["platform:database"] = json.dumps(database)
    regions = json.loads(flat["platform:regions"])
    for region, (electable, read_only, analytics) in zip(regions, counts, strict=True):
        region["atlasNodes"] = {"electable": electable, "readOnly": read_only, "analytics": analytics}
    flat["platform:regions"] = json.dumps(regions)
    electable = [c[0] for c in counts]
    accepted = (
        sum(electable) in (3, 5, 7)
        and electable[0] > 0
        and all(sum(c) > 0 for c in counts)
        and sum(c[2] for c in counts) > 0  # phase 4 keeps an analytics node
        and electable == sorted(electable, key=lambda e: e == 0)  # regions without electable nodes last
    )
    if accepted:
        assert load_config(flat).phase == 4
    else:
        assert _refused(flat).path.startswith("platform:regions")


@pytest.mark.parametrize("stack", PHASES)
def test_the_policy_pack_passes_every_atlas_phase(stack):
    from tests.test_policy import _evaluate, _evaluate_stack

    plan = atlas_plan_of(stack)
    assert [v for r in plan.resources for v in _evaluate(r)] == []
    assert _evaluate_stack(plan.resources) == []


# --- auto-scaling and promotions -----------------------------------------------------------------


@pytest.mark.parametrize("stack", PHASES)
def test_example_phases_run_fixed_tiers_and_disks(stack):
    cluster = _cluster(stack)
    assert cluster["useEffectiveFields"] is False
    for spec in cluster["replicationSpecs"]:
        for config in spec["regionConfigs"]:
            for block in ("autoScaling", "analyticsAutoScaling"):
                assert config[block] == {"computeEnabled": False, "diskGbEnabled": False}


def test_example_disks_grow_with_the_phases():
    disks = [{c["electableSpecs"]["diskSizeGb"] for c in _cluster(s)["replicationSpecs"][0]["regionConfigs"]}
             for s in PHASES]  # fmt: skip
    assert all(len(d) == 1 for d in disks)
    sizes = [d.pop() for d in disks]
    assert sizes == sorted(set(sizes)) and sizes[0] >= 20  # phase 1 holds ~20 GB below the 80% disk alert


def _sized(tier: str, disk: float, compute=None, disk_on=False, analytics=None, shards=1) -> dict:
    """AdvancedCluster inputs (camelCase) of one region with these sizes and auto-scaling."""
    scaling = {"computeEnabled": compute is not None, "diskGbEnabled": disk_on}
    if compute is not None:
        scaling.update(computeMinInstanceSize=compute[0], computeMaxInstanceSize=compute[1])
    config = {
        "regionName": "US_EAST_1",
        "priority": 7,
        "electableSpecs": {"instanceSize": tier, "nodeCount": 3, "diskSizeGb": disk},
        "readOnlySpecs": {"instanceSize": tier, "nodeCount": 0, "diskSizeGb": disk},
        "analyticsSpecs": {"instanceSize": analytics or tier, "nodeCount": 1 if analytics else 0, "diskSizeGb": disk},
        "autoScaling": scaling,
        "analyticsAutoScaling": scaling,
    }
    return {"clusterType": "REPLICASET", "replicationSpecs": [{"regionConfigs": [config]}] * shards}


@pytest.mark.parametrize(
    ("old", "new", "detail"),
    [
        # The defect of the first example stacks: the tier step is ignored while disk scaling is on.
        (_sized("M10", 20, disk_on=True), _sized("M30", 20, disk_on=True), "tier M10 -> M30"),
        (_sized("M10", 20, ("M10", "M20"), True), _sized("M30", 100, ("M30", "M50"), True),
         "compute range M10..M20 -> M30..M50 leaves out M10..M20"),
        (_sized("M30", 40), _sized("M30", 120, disk_on=True), "disk GB 40 -> 120"),
        (_sized("M30", 40, disk_on=True), _sized("M40", 40), "tier M30 -> M40"),
        (_sized("M30", 40, ("M30", "M40"), analytics="M30"), _sized("M30", 40, ("M30", "M40"), analytics="M40"),
         "analytics tier M30 -> M40"),
        # Atlas validates a new range against the effective tier, which may be anywhere in the old one.
        (_sized("M40", 40, ("M30", "M50")), _sized("M40", 40, ("M40", "M60")), "leaves out M30"),
        (_sized("M10", 40, ("M10", "M20")), _sized("M10", 40), "compute range M10..M20 -> M10 leaves out M20"),
        (_sized("M30", 40, disk_on=True), _sized("M30", 40), "disk auto-scaling turned off"),
    ],
)  # fmt: skip
def test_a_step_auto_scaling_keeps_from_applying_is_refused(old, new, detail):
    (refusal,) = atlas_cluster_refusals(old, new)
    reason, remedy = refusal
    assert "auto-scaling is on" in reason and detail in reason and "\n" not in reason
    assert "Manually Updating Specs" in remedy and "`pulumi up`" in remedy and "source phase's stack" in remedy


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (_sized("M10", 40), _sized("M30", 120)),  # fixed sizes: every update applies them
        (_sized("M10", 40), _sized("M10", 40, ("M10", "M20"), True)),  # turned on around the running tier
        (_sized("M30", 40, ("M30", "M40"), True), _sized("M30", 40, ("M30", "M60"), True)),  # a wider range
        (_sized("M60", 400, shards=1), _sized("M60", 400, shards=2)),
    ],
)
def test_steps_applied_in_one_update_pass(old, new):
    assert atlas_cluster_refusals(old, new) == []


@pytest.fixture
def cached_atlas_cli(monkeypatch):
    """The CLI takes the unedited example stacks from :func:`atlas_plan_of` (see ``cached_cli_stacks``)."""
    import infra.cli
    from infra.offline.harness import run_stack

    def run(stack, root=ROOT, config=None):
        flat = stack_config(stack, root) if config is None else dict(config)
        if stack in PHASES and flat == stack_config(stack, ATLAS_DIR):
            return atlas_plan_of(stack)
        return run_stack(stack, root, flat)

    monkeypatch.setattr(infra.cli, "run_stack", run)


@pytest.mark.parametrize(("before", "after"), list(zip(PHASES, PHASES[1:], strict=False)))
def test_the_cli_finds_consecutive_atlas_phases_safe(before, after, cached_atlas_cli, capsys):
    assert cli_main(["--project-dir", str(ATLAS_DIR), "diff", before, after, "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["safe"] is True
    (cluster,) = [c for c in diff["changes"] if c["type"] == CLUSTER]
    assert cluster["action"] == "update"


def test_the_first_examples_auto_scaled_step_is_refused_by_the_cli(tmp_path, cached_atlas_cli, capsys):
    # Phase 1 as it first shipped: M10, 20 GB, compute (M10..M20) and disk auto-scaling on.
    for path in ATLAS_DIR.glob("Pulumi.phase*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    config_path = tmp_path / "Pulumi.phase1.yaml"
    document = yaml.safe_load(config_path.read_text())
    document["config"]["platform:database"]["atlas"].update(
        diskSizeGb=20, autoScaling={"minInstanceSize": "M10", "maxInstanceSize": "M20", "disk": True}
    )
    config_path.write_text(yaml.safe_dump(document))
    assert cli_main(["--project-dir", str(tmp_path), "diff", "phase1", "phase2", "--json"]) == 1
    (refusal,) = json.loads(capsys.readouterr().out)["unsafe"]
    reason = refusal["reason"]
    assert "tier M10 -> M30" in reason and "disk GB 20 -> 120" in reason
    assert "leaves out M10..M20" in reason and "disk auto-scaling turned off" in reason
    assert "Manually Updating Specs" in refusal["remedy"]


_TIERS = st.sampled_from(["M10", "M20", "M30", "M40", "M50", "M60"])


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(_TIERS, st.sampled_from([20, 40]), st.none() | st.tuples(_TIERS, _TIERS), st.booleans()),
    st.tuples(_TIERS, st.sampled_from([20, 40]), st.none() | st.tuples(_TIERS, _TIERS), st.booleans()),
)
def test_only_auto_scaling_makes_a_resize_unsafe(old, new):
    before, after = _sized(*old), _sized(*new)
    assert atlas_cluster_refusals(before, before) == []  # staying put is always fine
    refused = bool(atlas_cluster_refusals(before, after))
    if old[2] is None and not old[3] and new[2] is None and not new[3]:
        assert not refused  # fixed sizes: the provider applies them
    elif old[:2] != new[:2]:
        assert refused  # a new size while Atlas may have chosen another

"""The four real stack programs, run offline: what each phase deploys and what holds across phases."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from infra.cli import main as cli_main
from infra.offline.diff import stackless_urn
from infra.offline.schema import init_parameters
from policy.rules import STATEFUL_TYPES, violations
from tests.conftest import PHASES, plan_of

RDS = "aws:rds/instance:Instance"
VPC = "aws:ec2/vpc:Vpc"
NAT = "aws:ec2/natGateway:NatGateway"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"


def _readers_by_region(plan) -> Counter:
    return Counter(r.region for r in plan.of_type(RDS) if r.inputs.get("replicateSourceDb"))


@pytest.mark.parametrize(
    ("stack", "readers"),
    [
        ("phase1", {}),
        ("phase2", {"us-east-1": 1}),
        ("phase3", {"us-east-1": 3, "us-west-2": 1}),
        ("phase4", {"us-east-1": 4, "us-west-2": 4, "eu-west-1": 4}),
    ],
)
def test_read_replicas_grow_phase_by_phase(stack, readers):
    assert _readers_by_region(plan_of(stack)) == Counter(readers)


@pytest.mark.parametrize("stack", PHASES)
def test_one_multi_az_primary_behind_a_tls_proxy(stack):
    plan = plan_of(stack)
    (primary,) = [r for r in plan.of_type(RDS) if not r.inputs.get("replicateSourceDb")]
    assert primary.region == "us-east-1"
    assert primary.inputs["identifier"] == "acme-prod-db"
    assert primary.inputs["multiAz"] is True
    assert primary.inputs["backupRetentionPeriod"] == (7 if stack == "phase1" else 30)
    (proxy,) = plan.of_type("aws:rds/proxy:Proxy")
    assert proxy.inputs["requireTls"] is True and proxy.region == "us-east-1"


@pytest.mark.parametrize(
    ("stack", "nats"),
    [
        ("phase1", {"us-east-1": 1}),
        ("phase2", {"us-east-1": 3}),
        ("phase3", {"us-east-1": 3, "us-west-2": 0}),  # a standby cell runs no workloads: no NAT
        ("phase4", {"us-east-1": 3, "us-west-2": 3, "eu-west-1": 3}),
    ],
)
def test_regions_and_nat_strategy(stack, nats):
    plan = plan_of(stack)
    assert {v.region for v in plan.of_type(VPC)} == set(nats)
    assert Counter(n.region for n in plan.of_type(NAT)) == Counter({r: n for r, n in nats.items() if n})


@pytest.mark.parametrize(
    ("stack", "cache_regions", "shards"),
    [
        ("phase1", {"us-east-1"}, 1),
        ("phase2", {"us-east-1"}, 1),
        ("phase3", {"us-east-1"}, 3),  # the standby region holds replicas only
        ("phase4", {"us-east-1", "us-west-2", "eu-west-1"}, 3),
    ],
)
def test_a_cluster_mode_cache_per_serving_region(stack, cache_regions, shards):
    caches = plan_of(stack).of_type(CACHE)
    assert {c.region for c in caches} == cache_regions
    for cache in caches:
        assert cache.inputs["numNodeGroups"] == shards
        assert cache.inputs["multiAzEnabled"] is True


def test_edge_layer_waf_lives_in_us_east_1_and_fronts_the_cdn(phase_plan):
    (acl,) = [a for a in phase_plan.of_type("aws:wafv2/webAcl:WebAcl") if a.inputs["scope"] == "CLOUDFRONT"]
    assert acl.region == "us-east-1"
    (distribution,) = phase_plan.of_type("aws:cloudfront/distribution:Distribution")
    # CloudFront takes a WAFv2 ACL by ARN: this ACL's, the one the edge exports.
    assert distribution.inputs["webAclId"] == phase_plan.outputs["edge"]["webAclArn"]
    assert distribution.inputs["webAclId"].endswith(f":{acl.id}")
    (cdn_alarm,) = [
        a
        for a in phase_plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs.get("namespace") == "AWS/CloudFront"
    ]
    assert cdn_alarm.region == "us-east-1"


def test_queues_and_dead_letter_queues_in_every_serving_region(phase_plan):
    # The job queues; event subscriptions' DLQs (phase 3+) are tests/test_stack_events.py's.
    queues = [q for q in phase_plan.of_type("aws:sqs/queue:Queue") if "messaging:Queues$" in q.urn]
    serving = {c.region for c in phase_plan.of_type(CACHE)}
    assert serving and {q.region for q in queues} == serving
    dlqs = [q for q in queues if q.inputs["name"].endswith("-dlq")]
    assert dlqs and len(dlqs) * 2 == len(queues)


# --- invariants over all four phases -------------------------------------------------------------


def test_no_policy_violation_in_any_phase(phase_plan):
    found = [
        (r.urn, rule, message)
        for r in phase_plan.resources
        for rule, message in violations(r.type, r.urn, r.inputs, r.protect)
    ]
    assert found == []


def test_every_stateful_resource_is_protected(phase_plan):
    stateful = [r for r in phase_plan.resources if r.type in STATEFUL_TYPES]
    assert stateful, "the plan has no stateful resource at all"
    assert [r.urn for r in stateful if not r.protect] == []


def test_no_physical_name_contains_the_stack_name(phase_plan):
    text = json.dumps([r.inputs for r in phase_plan.resources])
    assert phase_plan.stack not in text


def test_children_are_named_after_their_component(phase_plan):
    components = {r.urn: r for r in phase_plan.resources if r.is_component and r.type != "pulumi:pulumi:Stack"}
    children = [r for r in phase_plan.resources if r.parent in components]
    assert len(children) > 100
    assert [r.urn for r in children if not r.name.startswith(f"{components[r.parent].name}-")] == []


def test_every_aws_resource_uses_an_explicit_regional_provider(phase_plan):
    aws_resources = [r for r in phase_plan.resources if r.custom and r.type.startswith("aws:")]
    assert len(aws_resources) > 100
    assert [r.urn for r in aws_resources if "pulumi:providers:aws::aws-" not in r.provider] == []


def test_taggable_resources_carry_name_and_environment(phase_plan):
    # Taggable means the installed SDK takes ``tags`` for the type: leaving them out is a failure too.
    taggable = [r for r in phase_plan.resources if r.custom and "tags" in init_parameters(r.type)]
    assert len(taggable) > 100
    for resource in taggable:
        tags = resource.inputs.get("tags") or {}
        assert tags.get("Name") and tags.get("PlatformEnvironment") == "acme-prod", resource.urn
        assert tags.get("ManagedBy") == "pulumi", resource.urn


def test_stateful_resources_keep_their_logical_names_into_the_next_phase(phase_pair):
    before, after = phase_pair
    kept = {stackless_urn(r.urn) for r in after.resources}
    stateful = [r for r in before.resources if r.type in STATEFUL_TYPES]
    assert stateful
    assert [r.urn for r in stateful if stackless_urn(r.urn) not in kept] == []


def test_nothing_is_dropped_between_consecutive_phases_but_the_worker_hpa_keda_takes_over(phase_pair):
    before, after = phase_pair
    kept = {stackless_urn(r.urn) for r in after.resources}
    dropped = [r for r in before.resources if r.type != "pulumi:pulumi:Stack" and stackless_urn(r.urn) not in kept]
    # Phase 2 scales workers on queue depth: KEDA's ScaledObject replaces the worker's own HPA.
    expected = ["use1-worker-hpa"] if before.stack == "phase1" else []
    assert [r.name for r in dropped] == expected


def test_exports_name_every_regions_endpoints(phase_plan):
    outputs = phase_plan.outputs
    assert outputs["environment"] == "acme-prod"
    assert set(outputs["regions"]) == {v.region for v in phase_plan.of_type(VPC)}
    for region, endpoints in outputs["regions"].items():
        assert endpoints["dbProxyEndpoint"].endswith(".rds.amazonaws.com")
        assert endpoints["region"] == region
    assert outputs["edge"]["cdnDomain"].endswith(".cloudfront.net")


def test_plan_json_lists_every_resource_with_inputs_and_options(capsys):
    assert cli_main(["plan", "phase2", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert len(document["resources"]) == len(plan_of("phase2").resources)
    for resource in document["resources"]:
        assert {"urn", "type", "name", "parent", "inputs", "protect", "provider", "dependencies"} <= set(resource)
    protected = {r["type"] for r in document["resources"] if r["protect"]}
    assert RDS in protected and CACHE in protected


@pytest.mark.usefixtures("cached_cli_stacks")
def test_plan_prints_the_inventory_by_component(capsys):
    assert cli_main(["plan", "phase4"]) == 0
    out = capsys.readouterr().out
    for fragment in (
        "use1 platform:stack:Cell",
        "usw2 platform:stack:Cell",
        "euw1 platform:stack:Cell",
        "edge platform:stack:Edge",
        "cloud resources",
        # Ranges of counts read as integers (the wire protocol delivers doubles).
        "spec=50–200 replicas",
    ):
        assert fragment in out
    assert ".0-" not in out and ".0–" not in out


def test_bad_config_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "Pulumi.broken.yaml").write_text(
        "config:\n  platform:name: acme-prod\n  platform:phase: 1\n  platform:regions: []\n"
    )
    assert cli_main(["--project-dir", str(tmp_path), "plan", "broken"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: invalid config platform:regions = []") and "\n" not in err


@pytest.mark.parametrize(("stack", "peered"), [("phase1", []), ("phase3", []), ("phase4", ["euw1", "usw2"])])
def test_active_regions_reach_the_writer_over_peering(stack, peered):
    plan = plan_of(stack)
    connections = plan.of_type("aws:ec2/vpcPeeringConnection:VpcPeeringConnection")
    assert sorted(c.name.split("-")[0] for c in connections) == peered
    for connection in connections:
        assert connection.inputs["peerRegion"] == "us-east-1"
    if peered:
        proxy_rules = [
            r.inputs["cidrIpv4"]
            for r in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            if r.name.startswith("use1-db-proxy-from-client")
        ]
        # The proxy admits the active regions' app subnets (10.20/16, 10.30/16) besides its own.
        assert {cidr.split(".")[1] for cidr in proxy_rules} == {"10", "20", "30"}


def test_queue_policies_grant_only_the_cells_own_app_roles_once_they_exist():
    plan = plan_of("phase4")
    policies = [p for p in plan.of_type("aws:sqs/queuePolicy:QueuePolicy") if "messaging:Queues$" in p.urn]
    assert len(policies) == 12  # 3 regions x 2 queues x (queue + DLQ); subscription DLQs admit only SNS
    for policy in policies:
        cell = policy.name.split("-")[0]
        api, worker = (plan.named(f"{cell}-{app}-role") for app in ("api", "worker"))
        statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
        # The harness's mock ARN of the cell's worker role: only that role may consume.
        assert statements["AllowConsumers"]["Principal"]["AWS"] == [
            f"arn:aws:iam:{policy.region}:123456789012:{worker.id}"
        ]
        # SQS rejects a policy naming a role that does not exist yet: each policy waits for its roles.
        expected = {worker.urn} if policy.name.endswith("-dlq-policy") else {api.urn, worker.urn}
        assert expected <= set(policy.dependencies)
        if not policy.name.endswith("-dlq-policy"):
            assert len(statements["AllowProducers"]["Principal"]["AWS"]) == 2


@pytest.mark.parametrize("stack", PHASES)
def test_subnets_are_placed_by_zone_id_and_node_groups_named_after_the_resolved_zone(stack):
    from infra.config import load_config
    from infra.offline.harness import stack_config

    plan = plan_of(stack)
    config = load_config(stack_config(stack))
    for cell in config.regions:
        subnets = [r for r in plan.of_type("aws:ec2/subnet:Subnet") if r.region == cell.region]
        assert subnets and all("availabilityZone" not in s.inputs for s in subnets)
        assert {s.inputs["availabilityZoneId"] for s in subnets} == set(cell.availability_zone_ids)
    # Node groups keep zone *names*: in the mock account use1-az1/az2/az4 are us-east-1c/d/a.
    groups = sorted(
        (g for g in plan.of_type("aws:eks/nodeGroup:NodeGroup") if g.region == "us-east-1"), key=lambda g: g.name
    )
    assert [g.inputs["nodeGroupNamePrefix"] for g in groups] == [
        f"acme-prod-use1-us-east-1{letter}-" for letter in "cda"
    ]

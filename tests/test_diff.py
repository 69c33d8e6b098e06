"""Promotion diff: pairing, classification, the stateful guard, and the force-new table behind it."""

from __future__ import annotations

import importlib
import json

import pulumi
import pulumi_aws as aws
import pytest
from pulumi._types import input_type_py_to_pulumi_names
from rich.console import Console
from rich.table import Table

from infra.offline.diff import (
    ACTIONS,
    check_same_environment,
    diff_plans,
    parse_urn,
    render_table,
    stackless_urn,
    to_json,
)
from infra.offline.forcenew import (
    FORCE_NEW,
    FORCE_NEW_IF,
    STATEFUL_TYPES,
    forcing_keys,
    is_stateful,
    replacement_keys,
    top,
)
from infra.offline.harness import PlanResult, RecordedResource, run_program

QUEUE, BUCKET, SG, DB = (
    "aws:sqs/queue:Queue",
    "aws:s3/bucket:Bucket",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:rds/instance:Instance",
)
DB_INPUTS = {"identifier": "acme-prod-db", "engine": "postgres", "engineVersion": "16.4", "storageEncrypted": True}


def _res(stack: str, type_: str, name: str, inputs: dict, **options) -> RecordedResource:
    """A recorded custom resource, as the harness would return it."""
    fields = {
        "parent": "", "custom": True, "provider": "", "protect": False, "delete_before_replace": False,
        "retain_on_delete": False, "ignore_changes": [], "replace_on_changes": [], "aliases": [], "dependencies": [],
    } | options  # fmt: skip
    return RecordedResource(
        urn=f"urn:pulumi:{stack}::platform::{type_}::{name}", type=type_, name=name, inputs=inputs, **fields
    )


def _spec(stack: str, spec: tuple) -> RecordedResource:
    """``(type, name, inputs[, options])`` -> a recorded resource of ``stack``."""
    return _res(stack, *spec[:3], **(spec[3] if len(spec) > 3 else {}))


def _plans(old: list[tuple], new: list[tuple]) -> tuple[PlanResult, PlanResult]:
    return (
        PlanResult("phase1", [_spec("phase1", spec) for spec in old]),
        PlanResult("phase2", [_spec("phase2", spec) for spec in new]),
    )


def _one(old: tuple, new: tuple):
    diff = diff_plans(*_plans([old], [new]))
    [change] = diff.changes
    return diff, change


# --- URNs ----------------------------------------------------------------------------------------


def test_stackless_urn_drops_only_the_stack_segment():
    urn = "urn:pulumi:phase1::platform::platform:data:Postgres$aws:rds/instance:Instance::db::odd"
    assert stackless_urn(urn) == "platform::platform:data:Postgres$aws:rds/instance:Instance::db::odd"
    assert parse_urn(urn)[3] == "db::odd"
    with pytest.raises(ValueError, match="not a Pulumi URN"):
        stackless_urn("arn:aws:s3:::bucket")


# --- classification ------------------------------------------------------------------------------


def test_create_update_replace_delete_and_same():
    old = [(QUEUE, "jobs", {"name": "acme-jobs", "tags": {"a": "1"}}), (SG, "sg", {"description": "db"}),
           (SG, "old-sg", {"description": "x"}), (SG, "same", {"description": "s"})]  # fmt: skip
    new = [(QUEUE, "jobs", {"name": "acme-jobs", "tags": {"a": "2"}}), (SG, "sg", {"description": "database"}),
           (SG, "same", {"description": "s"}), ("aws:sns/topic:Topic", "events", {"name": "acme-events"})]  # fmt: skip
    diff = diff_plans(*_plans(old, new))
    actions = {c.name: c.action for c in diff.changes}
    assert actions == {"jobs": "update", "sg": "replace", "same": "same", "events": "create", "old-sg": "delete"}
    assert diff.counts() == {"create": 1, "update": 1, "replace": 1, "delete": 1, "same": 1}
    assert list(diff.counts()) == list(ACTIONS)
    replaced = next(c for c in diff.changes if c.name == "sg")
    assert (replaced.changed, replaced.forcing, replaced.stateful) == (["description"], ["description"], False)
    assert diff.is_safe, "replacing stateless resources is allowed"


def test_tags_only_change_is_an_update_even_on_stateful_resources():
    diff, change = _one(
        (DB, "db", DB_INPUTS | {"tags": {"Phase": "1"}}), (DB, "db", DB_INPUTS | {"tags": {"Phase": "2"}})
    )
    assert (change.action, change.changed, change.forcing) == ("update", ["tags"], [])
    assert diff.is_safe


def test_nested_changes_count_as_their_top_level_property():
    cluster = "aws:eks/cluster:Cluster"
    base = {"name": "acme", "roleArn": "arn:role", "vpcConfig": {"endpointPublicAccess": False, "subnetIds": ["a"]}}
    network = {"kubernetesNetworkConfig": {"serviceIpv4Cidr": "172.20.0.0/16", "ipFamily": "ipv4"}}
    moved_cidr = {"kubernetesNetworkConfig": {"serviceIpv4Cidr": "10.100.0.0/16", "ipFamily": "ipv4"}}
    _, in_place = _one(
        (cluster, "eks", base | network), (cluster, "eks", base | network | {"vpcConfig": {"subnetIds": ["a", "b"]}})
    )
    assert (in_place.action, in_place.changed) == ("update", ["vpcConfig"])
    diff, replaced = _one((cluster, "eks", base | network), (cluster, "eks", base | moved_cidr))
    assert (replaced.action, replaced.changed, replaced.forcing) == (
        "replace",
        ["kubernetesNetworkConfig"],
        ["kubernetesNetworkConfig"],
    )
    assert not diff.is_safe and replaced.stateful


def test_alias_pairs_a_renamed_resource_with_its_old_state():
    old = PlanResult("phase1", [_res("phase1", DB, "db", DB_INPUTS)])
    renamed = _res("phase2", DB, "primary", DB_INPUTS, aliases=["db"])
    full_urn_alias = _res(
        "phase2", DB, "writer", DB_INPUTS, aliases=["urn:pulumi:phase9::platform::aws:rds/instance:Instance::db"]
    )
    for resource in (renamed, full_urn_alias):
        diff = diff_plans(old, PlanResult("phase2", [resource]))
        [change] = diff.changes
        assert (change.action, change.old_urn) == ("same", "urn:pulumi:phase1::platform::aws:rds/instance:Instance::db")
        assert diff.is_safe
    unaliased = diff_plans(old, PlanResult("phase2", [_res("phase2", DB, "primary", DB_INPUTS)]))
    assert sorted(c.action for c in unaliased.changes) == ["create", "delete"]


def test_own_replace_on_changes_and_ignore_changes_are_honoured():
    _, forced = _one(
        (SG, "sg", {"tags": {"a": "1"}}), (SG, "sg", {"tags": {"a": "2"}}, {"replace_on_changes": ["tags.a"]})
    )
    assert (forced.action, forced.forcing) == ("replace", ["tags"])
    before = {"name": "n", "tags": {"a": "1", "b": "1"}}
    after = {"name": "n", "tags": {"a": "2", "b": "1"}}
    _, ignored = _one((QUEUE, "q", before), (QUEUE, "q", after, {"ignore_changes": ["tags.a"]}))
    assert ignored.action == "same"


# --- the stateful guard --------------------------------------------------------------------------


def test_stateful_replacement_is_refused_with_reason_and_way_out():
    diff, change = _one((QUEUE, "jobs", {"name": "acme-jobs"}), (QUEUE, "jobs", {"name": "acme-jobs-v2"}))
    assert change.action == "replace" and not diff.is_safe
    [refusal] = diff.unsafe
    assert '"acme-jobs" -> "acme-jobs-v2"' in refusal.reason and "name" in refusal.reason
    assert "snapshot and restore: stop producers, let consumers drain the queue" in refusal.remedy


def test_stateful_deletion_is_refused_and_suggests_an_alias():
    diff = diff_plans(*_plans([(BUCKET, "assets-bucket", {"bucket": "acme-assets"})], []))
    [refusal] = diff.unsafe
    assert refusal.change.action == "delete"
    assert "add an alias to keep the logical name" in refusal.remedy
    assert "pulumi.Alias(name='assets-bucket')" in refusal.remedy and "copy the objects" in refusal.remedy


def test_engine_change_is_refused():
    diff, change = _one((DB, "db", DB_INPUTS), (DB, "db", DB_INPUTS | {"engine": "mysql"}))
    assert change.forcing == ["engine"] and not diff.is_safe
    assert "create-db-snapshot" in diff.unsafe[0].remedy


def test_storage_encryption_switched_off_is_refused():
    diff, change = _one((DB, "db", DB_INPUTS), (DB, "db", DB_INPUTS | {"storageEncrypted": False}))
    assert change.forcing == ["storageEncrypted"]
    assert "storageEncrypted: true -> false" in diff.unsafe[0].reason


def test_protected_stateless_resources_are_guarded_too():
    diff, _ = _one(
        (SG, "sg", {"description": "a"}, {"protect": True}), (SG, "sg", {"description": "b"}, {"protect": True})
    )
    assert diff.unsafe[0].reason.startswith("protected resource")


def test_version_upgrades_update_in_place_and_downgrades_replace():
    group = "aws:elasticache/replicationGroup:ReplicationGroup"
    base = {"replicationGroupId": "acme-cache", "engine": "redis", "engineVersion": "7.1"}
    _, upgrade = _one((group, "cache", base), (group, "cache", base | {"engine": "valkey", "engineVersion": "8.0"}))
    assert upgrade.action == "update"
    diff, downgrade = _one((group, "cache", base), (group, "cache", base | {"engineVersion": "6.2"}))
    assert downgrade.forcing == ["engineVersion"] and not diff.is_safe


# --- real programs through the harness -----------------------------------------------------------


def _cell_program(region: str, queue_suffix: str = "jobs", queue_name: str = "cell-queue"):
    def program() -> None:
        environment = pulumi.Config("platform").require("name")
        provider = aws.Provider("aws-primary", region=region)
        cell = pulumi.ComponentResource("platform:test:Cell", "cell", None, pulumi.ResourceOptions(provider=provider))
        aliases = [pulumi.Alias(name="cell-queue")] if queue_name != "cell-queue" else None
        queue_opts = pulumi.ResourceOptions(parent=cell, protect=True, aliases=aliases)
        aws.sqs.Queue(queue_name, name=f"{environment}-{queue_suffix}", opts=queue_opts)
        aws.s3.Bucket(
            "cell-bucket", bucket=f"{environment}-assets", opts=pulumi.ResourceOptions(parent=cell, protect=True)
        )
        aws.cloudwatch.LogGroup("cell-logs", name=f"/platform/{environment}", opts=pulumi.ResourceOptions(parent=cell))

    return program


def _run(stack: str, program, environment: str = "acme-prod") -> PlanResult:
    return run_program(program, stack=stack, config={"platform:name": environment})


@pytest.fixture(scope="module")
def source_cell() -> PlanResult:
    """The cell program as stack phase1 of environment acme-prod: the source of every real-SDK diff."""
    return _run("phase1", _cell_program("us-east-1"))


def test_same_program_in_two_stacks_is_all_same(source_cell):
    diff = diff_plans(source_cell, _run("phase2", _cell_program("us-east-1")))
    assert {c.action for c in diff.changes} == {"same"} and diff.is_safe
    assert {c.type for c in diff.changes} == {"pulumi:providers:aws", QUEUE, BUCKET, "aws:cloudwatch/logGroup:LogGroup"}


def test_alias_keeps_a_renamed_queue_through_the_real_sdk(source_cell):
    renamed = _run("phase2", _cell_program("us-east-1", queue_name="cell-jobs"))
    diff = diff_plans(source_cell, renamed)
    queue = next(c for c in diff.changes if c.type == QUEUE)
    assert (queue.name, queue.action, queue.old_urn.rsplit("::", 1)[-1]) == ("cell-jobs", "same", "cell-queue")
    assert diff.is_safe


def test_renamed_environment_is_refused(source_cell):
    new = _run("phase2", _cell_program("us-east-1"), "acme-production")
    diff = diff_plans(source_cell, new)
    assert {r.change.type for r in diff.unsafe} == {QUEUE, BUCKET}
    message = check_same_environment({"platform:name": "acme-prod"}, {"platform:name": "acme-production"})
    assert "platform:name differs ('acme-prod' -> 'acme-production')" in message
    assert check_same_environment({"platform:name": "acme-prod"}, {"platform:name": "acme-prod"}) is None
    assert "not set in the target" in check_same_environment({"platform:name": "acme-prod"}, {})


def test_provider_region_change_replaces_everything_under_it(source_cell):
    diff = diff_plans(source_cell, _run("phase2", _cell_program("us-west-2")))
    by_type = {c.type: c for c in diff.changes}
    assert by_type["pulumi:providers:aws"].forcing == ["region"]
    assert all(by_type[t].forcing == ["provider"] for t in (QUEUE, BUCKET, "aws:cloudwatch/logGroup:LogGroup"))
    assert {r.change.type for r in diff.unsafe} == {QUEUE, BUCKET}
    assert all("replica in the new region" in refusal.remedy for refusal in diff.unsafe)


def test_table_and_json_views(source_cell):
    diff = diff_plans(source_cell, _run("phase2", _cell_program("us-east-1", "work")))
    table = render_table(diff)
    # One change under one group heading (the cell's region and component).
    assert isinstance(table, Table) and table.row_count == 2
    # With the unchanged ones: the provider sits outside the cell, under a heading of its own.
    assert render_table(diff, show_same=True).row_count == 4 + 2
    console = Console(width=200, record=True)
    console.print(table)
    text = console.export_text()
    assert "cell-queue" in text and "UNSAFE" in text
    view = json.loads(json.dumps(to_json(diff)))
    assert view["safe"] is False and view["counts"]["replace"] == 1 and len(view["unsafe"]) == 1
    assert view["unsafe"][0]["type"] == QUEUE and "snapshot and restore" in view["unsafe"][0]["remedy"]


# --- the force-new table -------------------------------------------------------------------------


def _aws_class(type_token: str):
    if type_token == "pulumi:providers:aws":
        return aws.Provider, aws.ProviderArgs
    _, module, name = type_token.split(":")
    package = importlib.import_module(f"pulumi_aws.{module.split('/')[0]}")
    return getattr(package, name), getattr(package, f"{name}InitArgs", None) or getattr(package, f"{name}Args")


AWS_TYPES = sorted(
    t for t in set(FORCE_NEW) | set(FORCE_NEW_IF) | STATEFUL_TYPES if t.startswith(("aws:", "pulumi:providers:aws"))
)


@pytest.mark.parametrize("type_token", AWS_TYPES)
def test_table_names_real_types_and_inputs_of_the_installed_sdk(type_token):
    resource, args = _aws_class(type_token)
    assert resource.pulumi_type == type_token
    inputs = set(input_type_py_to_pulumi_names(args).values())
    listed = {top(p) for p in FORCE_NEW.get(type_token, frozenset())} | set(FORCE_NEW_IF.get(type_token, {}))
    assert listed <= inputs, sorted(listed - inputs)


def test_every_aws_resource_can_be_moved_out_of_its_region_only_by_replacement():
    assert "region" in replacement_keys(QUEUE) and "region" in replacement_keys(
        "aws:cloudfront/distribution:Distribution"
    )
    assert replacement_keys("pulumi:providers:aws") == {"region"}
    old = {"multiAz": False, "instanceClass": "db.r7g.large", "storageEncrypted": True}
    new = {"multiAz": True, "instanceClass": "db.r7g.xlarge", "storageEncrypted": False}
    assert forcing_keys(DB, ["multiAz", "instanceClass", "storageEncrypted"], old, new) == ["storageEncrypted"]
    assert is_stateful(DB) and is_stateful(QUEUE) and not is_stateful(SG)

"""Replacements cascade through the mocks' IDs; the ForceNew table covers every type we register."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from rich.console import Console

from infra.cli import main as cli_main
from infra.offline.diff import diff_plans
from infra.offline.diff_view import WIDTH, render_table, verdict
from infra.offline.forcenew import FORCE_NEW
from infra.offline.harness import PlanResult, run_program
from tests.conftest import PHASES, plan_of
from tests.test_cli_diff import _project_with

pytestmark = pytest.mark.usefixtures("cached_cli_stacks")


def test_every_type_the_phase_stacks_register_is_in_the_forcenew_table():
    registered = {r.type for phase in PHASES for r in plan_of(phase).resources if r.custom}
    assert registered - set(FORCE_NEW) == set()


def _diff_json(capsys, project: str) -> tuple[int, dict]:
    status = cli_main(["--project-dir", project, "diff", "phase1", "phase2", "--json"])
    return status, json.loads(capsys.readouterr().out)


def _by_name(view: dict) -> dict[str, dict]:
    return {c["name"]: c for c in view["changes"]}


def test_a_new_vpc_cidr_replaces_the_network_and_the_cascade_reaching_the_data_is_refused(tmp_path, capsys):
    project = _project_with(tmp_path, "phase2", lambda c: c["platform:regions"][0].update(cidr="10.20.0.0/16"))
    status, view = _diff_json(capsys, project)
    assert status == 1 and view["safe"] is False
    changes = _by_name(view)
    assert changes["use1-network-vpc"]["action"] == "replace"
    assert changes["use1-network-vpc"]["values"]["cidrBlock"] == ["10.10.0.0/16", "10.20.0.0/16"]
    subnets = [c for c in view["changes"] if c["type"] == "aws:ec2/subnet:Subnet"]
    assert subnets and all(c["action"] == "replace" for c in subnets)
    # Security groups follow their VPC; the database and the cluster would be moved onto them.
    assert changes["use1-db-instance-sg"]["action"] == "replace"
    assert "use1-db-instance-sg" in changes["use1-db-instance"]["cause"]
    refused = {u["urn"].rsplit("::", 1)[-1] for u in view["unsafe"]}
    assert {"use1-db-instance", "use1-cluster-cluster", "use1-cache-group"} <= refused


def test_a_subnet_moved_to_another_zone_is_replaced_with_what_sits_in_it(tmp_path, capsys):
    zones = ["use1-az1", "use1-az2", "use1-az6"]
    project = _project_with(tmp_path, "phase2", lambda c: c["platform:regions"][0].update(availabilityZoneIds=zones))
    status, view = _diff_json(capsys, project)
    changes = _by_name(view)
    moved = changes["use1-network-private-2"]
    assert moved["action"] == "replace" and moved["values"]["availabilityZoneId"] == ["use1-az4", "use1-az6"]
    assert changes["use1-network-private-0"]["action"] == "same"
    # The node group of that zone is rebuilt in the new subnet; the cluster cannot follow in place.
    assert changes["use1-cluster-nodes-2"]["action"] == "replace"
    assert changes["use1-cluster-nodes-2"]["cause"] == ["use1-network-private-2"]
    assert changes["use1-cluster-nodes-0"]["action"] == "update"  # only its scaling, as unedited
    assert status == 1 and "use1-cluster-cluster" in {u["urn"].rsplit("::", 1)[-1] for u in view["unsafe"]}


def _cluster_program(role_path: str):
    def program() -> None:
        role = aws.iam.Role("cluster-role", path=role_path, assume_role_policy="{}")
        aws.eks.Cluster(
            "cluster",
            name="acme-prod",
            role_arn=role.arn,
            vpc_config={"subnet_ids": ["subnet-a", "subnet-b"]},
        )

    return program


def _diff(program_old, program_new) -> tuple:
    old: PlanResult = run_program(program_old, stack="phase1")
    new: PlanResult = run_program(program_new, stack="phase2")
    diff = diff_plans(old, new)
    return diff, {c.name: c for c in diff.changes}


def test_a_new_iam_path_replaces_the_role_and_with_its_arn_the_cluster_which_is_refused():
    diff, changes = _diff(_cluster_program("/"), _cluster_program("/platform/"))
    assert changes["cluster-role"].forcing == ["path"]
    assert changes["cluster"].action == "replace" and changes["cluster"].forcing == ["roleArn"]
    assert changes["cluster"].cause == ["cluster-role"]
    assert [r.change.name for r in diff.unsafe] == ["cluster"]


def test_the_default_path_made_explicit_changes_nothing():
    def implicit() -> None:
        aws.iam.Role("cluster-role", assume_role_policy="{}")

    diff, changes = _diff(implicit, _cluster_program("/"))
    assert changes["cluster-role"].action == "same"


def _bucket_program(lock: dict | None):
    def program() -> None:
        aws.s3.Bucket("assets", bucket="acme-assets", object_lock_configuration=lock)

    return program


def test_a_nested_object_lock_block_replaces_the_bucket_and_is_refused():
    lock = {"object_lock_enabled": "Enabled"}
    diff, changes = _diff(_bucket_program(None), _bucket_program(lock))
    assert changes["assets"].action == "replace"
    assert changes["assets"].forcing == ["objectLockConfiguration.objectLockEnabled"]
    assert [r.change.name for r in diff.unsafe] == ["assets"]
    # Inside the block, only objectLockEnabled forces: a new default rule is an update.
    rule = {"rule": {"default_retention": {"mode": "GOVERNANCE", "days": 1}}}
    diff, changes = _diff(_bucket_program(lock), _bucket_program(lock | rule))
    assert changes["assets"].action == "update" and diff.is_safe


def _namespace_program(namespace: str):
    def program() -> None:
        ns = k8s.core.v1.Namespace("ns", metadata={"name": namespace})
        k8s.core.v1.ConfigMap("config", metadata={"name": "app", "namespace": ns.metadata.name}, data={"a": "1"})

    return program


def test_a_renamed_namespace_is_replaced_and_so_is_everything_in_it():
    diff, changes = _diff(_namespace_program("api"), _namespace_program("api-v2"))
    assert changes["ns"].action == "replace" and changes["ns"].forcing == ["metadata.name"]
    assert changes["config"].action == "replace" and changes["config"].forcing == ["metadata.namespace"]
    assert changes["config"].cause == ["ns"] and diff.is_safe


def _provider_program(provider_name: str, region: str = "us-east-1", password: str = "s3cret[/]", app: str = "app"):
    def program() -> None:
        provider = aws.Provider(provider_name, region=region)
        opts = pulumi.ResourceOptions(provider=provider)
        aws.sqs.Queue("jobs", name="acme-jobs", opts=opts)
        aws.cloudwatch.LogGroup("logs", name=f"/acme/[{app}]", opts=opts)
        aws.ssm.Parameter("db", name="db", type="SecureString", value=pulumi.Output.secret(password), opts=opts)
        aws.rds.Instance(
            "db-instance", identifier="acme-db", instance_class="db.r7g.large", password=password, opts=opts
        )

    return program


def test_a_renamed_provider_of_the_same_region_replaces_nothing():
    diff, changes = _diff(_provider_program("aws-primary"), _provider_program("aws-use1"))
    assert {changes[n].action for n in ("jobs", "logs", "db", "db-instance")} == {"same"} and diff.is_safe


def test_values_are_shown_old_to_new_masked_escaped_and_within_100_columns():
    old = _provider_program("aws-primary")
    new = _provider_program("aws-primary", password="n3w[red]x[/]", app="web")
    diff, changes = _diff(old, new)
    assert changes["db"].values["value"] == ["(secret)", "(secret)"]
    assert changes["db-instance"].values["password"] == ["(secret)", "(secret)"]
    console = Console(width=160, record=True)
    console.print(render_table(diff, show_same=True), width=WIDTH)
    text = console.export_text()
    assert "s3cret" not in text and "n3w" not in text
    # Values are data: escaped, so brackets print instead of being taken for markup.
    assert "name: /acme/[app] → /acme/[web]" in text
    assert "value: (secret) → (secret)" in text
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    assert verdict(diff).startswith("verdict: SAFE")


@pytest.mark.parametrize(("source", "target"), [("phase1", "phase2"), ("phase2", "phase3"), ("phase3", "phase4")])
def test_consecutive_promotions_replace_only_the_app_config_maps(source, target, capsys):
    # pulumi-kubernetes replaces a ConfigMap whose data changes (enableConfigMapMutable is off);
    # the Deployments roll onto the new one through their config checksum. Nothing else is replaced.
    assert cli_main(["diff", source, target, "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    replaced = sorted(c["name"] for c in view["changes"] if c["action"] == "replace")
    assert replaced == ["use1-api-config", "use1-worker-config"]
    caused = {c["name"]: c["cause"] for c in view["changes"] if c["cause"]}
    assert caused == {"use1-api-deployment": ["use1-api-config"], "use1-worker-deployment": ["use1-worker-config"]}

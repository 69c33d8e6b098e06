"""``diff`` on the real phase stacks: every consecutive promotion is safe, crafted unsafe ones are refused."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from infra.cli import EXIT_REFUSED
from infra.cli import main as cli_main
from infra.offline.harness import ROOT

PAIRS = [("phase1", "phase2"), ("phase2", "phase3"), ("phase3", "phase4")]
# The CLI runs each unedited phase once per session; edited copies still run for real.
pytestmark = pytest.mark.usefixtures("cached_cli_stacks")


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_consecutive_promotions_are_safe(source, target, capsys):
    assert cli_main(["diff", source, target, "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["safe"] is True and diff["unsafe"] == []
    assert diff["counts"]["create"] > 0
    stateful = [c for c in diff["changes"] if c["stateful"] and c["action"] in ("replace", "delete")]
    assert stateful == []


def test_promotion_to_phase_2_grows_the_database_in_place_and_adds_a_replica(capsys):
    assert cli_main(["diff", "phase1", "phase2", "--json"]) == 0
    changes = {c["name"]: c for c in json.loads(capsys.readouterr().out)["changes"]}
    primary = changes["use1-db-instance"]
    assert primary["action"] == "update"
    assert {"allocatedStorage", "backupRetentionPeriod"} <= set(primary["changed"])
    assert changes["use1-db-replicas-replica-0"]["action"] == "create"
    assert changes["use1-network-nat-1"]["action"] == "create"


def _project_with(tmp_path, stack: str, edit) -> str:
    """A copy of the project whose ``stack`` config went through ``edit``; returns its directory."""
    for path in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    config_path = tmp_path / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(config_path.read_text())
    edit(document["config"])
    config_path.write_text(yaml.safe_dump(document))
    return str(tmp_path)


def test_a_renamed_environment_is_refused(tmp_path, capsys):
    project = _project_with(tmp_path, "phase2", lambda c: c.update({"platform:name": "acme-next"}))
    assert cli_main(["--project-dir", project, "diff", "phase1", "phase2"]) == EXIT_REFUSED
    assert "platform:name differs ('acme-prod' -> 'acme-next')" in capsys.readouterr().err


def test_flipping_the_cache_to_another_engine_is_refused(tmp_path, capsys):
    project = _project_with(
        tmp_path, "phase2", lambda c: c["platform:cache"].update({"engine": "redis", "engineVersion": "7.1"})
    )
    assert cli_main(["--project-dir", project, "diff", "phase1", "phase2", "--json"]) == 1
    unsafe = json.loads(capsys.readouterr().out)["unsafe"]
    assert [u["type"] for u in unsafe] == ["aws:elasticache/replicationGroup:ReplicationGroup"]
    assert unsafe[0]["action"] == "replace"


def test_a_replaced_kms_key_under_the_database_is_refused(tmp_path, capsys):
    # A different key for the primary region's cell: the key, and everything encrypted with it, is replaced.
    def move_region(config):
        config["platform:regions"][0]["region"] = "us-east-2"
        config["platform:regions"][0]["availabilityZoneIds"] = ["use2-az1", "use2-az2", "use2-az3"]
        config["platform:regions"][0]["apiCertificateArn"] = "arn:aws:acm:us-east-2:123456789012:certificate/x"

    project = _project_with(tmp_path, "phase2", move_region)
    assert cli_main(["--project-dir", project, "diff", "phase1", "phase2", "--json"]) == 1
    unsafe = json.loads(capsys.readouterr().out)["unsafe"]
    types = {u["type"] for u in unsafe}
    assert {
        "aws:rds/instance:Instance",
        "aws:kms/key:Key",
        "aws:elasticache/replicationGroup:ReplicationGroup",
    } <= types


def test_demoting_across_added_data_stores_is_refused_with_the_way_out(capsys):
    assert cli_main(["diff", "phase2", "phase1", "--demote"]) == 1
    out = capsys.readouterr().out
    assert "refused delete" in out and "use1-db-replicas-replica-0" in out and "way out:" in out


def test_direction_is_checked(capsys):
    assert cli_main(["diff", "phase2", "phase1"]) == EXIT_REFUSED
    assert "promote goes up in phase" in capsys.readouterr().err


def test_promote_without_the_pulumi_cli_explains_itself(monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda _: None)
    assert cli_main(["promote", "phase1", "phase2"]) == 3
    assert "Pulumi CLI is not on PATH" in capsys.readouterr().err


def _legacy_names(config):
    """phase1 as an environment deployed before zone IDs: subnets placed by the old default names."""
    cell = config["platform:regions"][0]
    del cell["availabilityZoneIds"]
    cell["availabilityZones"] = ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_moving_a_subnet_to_another_zone_is_refused_with_the_migration_path(tmp_path, capsys):
    project = _project_with(
        tmp_path,
        "phase2",
        lambda c: c["platform:regions"][0].update(availabilityZoneIds=["use1-az1", "use1-az2", "use1-az5"]),
    )
    assert cli_main(["--project-dir", project, "diff", "phase1", "phase2", "--json"]) == 1
    diff = json.loads(capsys.readouterr().out)
    moved = {r["urn"].rsplit("::", 1)[-1] for r in diff["unsafe"] if r["type"] == "aws:ec2/subnet:Subnet"}
    assert moved == {f"use1-network-{tier}-2" for tier in ("public", "private", "isolated")}
    refusal = next(r for r in diff["unsafe"] if r["type"] == "aws:ec2/subnet:Subnet")
    assert "use1-az4" in refusal["reason"] and "use1-az5" in refusal["reason"]
    assert "describe-availability-zones" in refusal["remedy"] and "pulumi preview" in refusal["remedy"]


def test_switching_a_legacy_environment_from_zone_names_to_ids_is_shown_for_review(tmp_path, capsys):
    # Offline the account's name -> ID mapping is unknown, so the switch is shown as a subnet
    # replacement to confirm with `pulumi preview --diff`; keeping the legacy names changes nothing.
    project = _project_with(tmp_path, "phase1", _legacy_names)
    assert cli_main(["--project-dir", project, "diff", "phase1", "phase2", "--json"]) == 1
    diff = json.loads(capsys.readouterr().out)
    subnets = [r for r in diff["unsafe"] if r["type"] == "aws:ec2/subnet:Subnet"]
    # The nine subnets, and what runs in them (the EKS cluster is moved onto replaced subnets).
    assert len(subnets) == 9 and all(
        r["type"] == "aws:ec2/subnet:Subnet" or "replaced" in r["reason"] for r in diff["unsafe"]
    )
    assert all("availabilityZone:" in r["reason"] and "availabilityZoneId:" in r["reason"] for r in subnets)
    phase2 = tmp_path / "Pulumi.phase2.yaml"
    document = yaml.safe_load(phase2.read_text())
    _legacy_names(document["config"])
    phase2.write_text(yaml.safe_dump(document))
    assert cli_main(["--project-dir", project, "diff", "phase1", "phase2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unsafe"] == []

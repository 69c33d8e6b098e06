"""``cost`` on the real phase stacks: every registered type is priced or free, every phase prices with
its usage file, and the command's exit codes (0 done; 2 with one line for a bad usage file or a
missing price)."""

from __future__ import annotations

import json
import shutil
import sys

import pytest
import yaml

from infra.cli import EXIT_CONFIG_ERROR
from infra.cli import main as cli_main
from infra.offline.cost import check_coverage, price_plan
from infra.offline.harness import ROOT, run_program
from infra.offline.pricing import load_table
from infra.offline.usage import load_usage, usage_path
from tests.conftest import PHASES, copy_project, plan_of

pytestmark = pytest.mark.usefixtures("cached_cli_stacks")
TABLE = load_table()


def test_every_type_the_four_phases_register_is_priced_or_free():
    types = {r.type for stack in PHASES for r in plan_of(stack).resources if r.custom}
    check_coverage(types, TABLE)


def test_every_atlas_type_is_priced_or_free():
    sys.path.insert(0, str(ROOT / "tests" / "components"))
    from components.atlas_cluster import AtlasCluster
    from tests.components import test_atlas_cluster, test_atlas_private_endpoint, test_atlas_project

    plans = [
        run_program(lambda: AtlasCluster("db", test_atlas_cluster.LADDER[3])),
        run_program(
            lambda: test_atlas_private_endpoint.AtlasPrivateEndpoint("pe", test_atlas_private_endpoint._args())
        ),
        test_atlas_project._run(),
    ]
    check_coverage({r.type for plan in plans for r in plan.resources if r.custom}, TABLE)


@pytest.mark.parametrize("stack", PHASES)
def test_each_phase_prices_with_its_usage_file(stack):
    report = price_plan(plan_of(stack), TABLE, load_usage(usage_path(stack, ROOT)))
    assert report.total > 0 and report.ceiling >= report.total
    assert set(report.by_region()) <= {*TABLE.regions, "global"}


def test_phases_cost_more_as_they_grow():
    totals = [price_plan(plan_of(s), TABLE, load_usage(usage_path(s, ROOT))).total for s in PHASES]
    assert totals == sorted(totals)


def test_cost_json_and_human_views(capsys):
    assert cli_main(["cost", "phase1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["price_table"]["as_of"] == "2026-12-01" and report["usage_file"].endswith("usage/phase1.yaml")
    assert report["total"] == pytest.approx(sum(report["by_component"].values()), abs=0.05)
    assert len(report["top"]) == 10
    assert cli_main(["cost", "phase1"]) == 0
    out = capsys.readouterr().out
    assert "as of 2026-12-01" in out and "usage/phase1.yaml" in out and "top 10 resources" in out
    total = report["total"]
    assert f"total ${round(total):,}/month" in out


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
    return err


def test_a_bad_usage_file_is_one_line_and_exit_2(tmp_path, capsys):
    project = copy_project(tmp_path)
    (project / "usage" / "phase1.yaml").write_text("defaults: {aws:sqs/queue:Queue: {monthly_requests: lots}}\n")
    assert cli_main(["--project-dir", str(project), "cost", "phase1"]) == EXIT_CONFIG_ERROR
    assert "monthly_requests" in _one_line_error(capsys)
    missing = tmp_path / "missing.yaml"
    assert cli_main(["--project-dir", str(project), "cost", "phase1", "--usage", str(missing)]) == EXIT_CONFIG_ERROR
    assert "missing.yaml" in _one_line_error(capsys)


def test_a_usage_key_the_plan_needs_is_named_with_the_file(tmp_path, capsys):
    usage = yaml.safe_load((ROOT / "usage" / "phase1.yaml").read_text())
    del usage["defaults"]["aws:ec2/natGateway:NatGateway"]
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(usage))
    assert cli_main(["cost", "phase1", "--usage", str(path)]) == EXIT_CONFIG_ERROR
    error = _one_line_error(capsys)
    assert "'monthly_gb'" in error and "use1-network-nat-0" in error and "short.yaml" in error


def test_a_node_type_without_a_price_is_one_line_and_exit_2(tmp_path, capsys):
    project = copy_project(tmp_path, lambda config: config["platform:cache"].update(nodeType="cache.m6g.large"))
    assert cli_main(["--project-dir", str(project), "cost", "phase1"]) == EXIT_CONFIG_ERROR
    error = _one_line_error(capsys)
    assert "cache.m6g.large" in error and "elasticache.valkey_node_hour" in error


def test_diff_shows_the_cost_delta(capsys):
    assert cli_main(["diff", "phase1", "phase2", "--json"]) == 0
    cost = json.loads(capsys.readouterr().out)["cost"]
    assert cost["from"]["stack"] == "phase1" and cost["to"]["stack"] == "phase2"
    assert cost["delta"] == pytest.approx(cost["to"]["total"] - cost["from"]["total"], abs=0.02)
    assert "use1/use1-db-replicas" in cost["components"]
    assert cli_main(["diff", "phase1", "phase2"]) == 0
    out = capsys.readouterr().out
    assert "Monthly cost phase1 → phase2" in out and f"(+${round(cost['delta']):,})" in out


def test_diff_without_usage_files_still_gives_its_verdict(tmp_path, capsys):
    for path in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    assert cli_main(["--project-dir", str(tmp_path), "diff", "phase1", "phase2", "--json"]) == 0
    assert "no usage file" in json.loads(capsys.readouterr().out)["cost"]["error"]


def test_every_node_type_the_cluster_sizes_and_every_atlas_tier_of_the_ladder_has_a_price():
    from components.cluster import _GRAVITON

    for region in TABLE.regions:
        for instance_type in _GRAVITON:
            assert TABLE.price("ec2.instance_hour", region, instance_type) > 0
        for size in ("M10", "M20", "M30", "M40", "M50", "M60", "M80"):
            assert TABLE.price("atlas.node_hour", region, size) > 0

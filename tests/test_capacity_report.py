"""``capacity`` over the real phase plans and through the CLI: the structure of the numbers, not
their verdicts (the phase configs are tuned against these checks separately)."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from infra.cli import EXIT_CONFIG_ERROR
from infra.cli import main as cli_main
from infra.config import load_config
from infra.offline.capacity_report import build_report, cell_facts, format_amount
from infra.offline.harness import ROOT, run_stack, stack_config
from infra.rules import PHASE_CONCURRENT_USERS, PHASE_POOLED_CONNECTIONS, PHASE_QUERIES
from tests.conftest import PHASES, plan_of

pytestmark = pytest.mark.usefixtures("cached_cli_stacks")
KEYS = {
    "concurrent_users", "api_rps", "db_queries", "pooled_connections", "app_connections", "cache_memory",
    "cache_ops", "queue_jobs", "availability",
}  # fmt: skip


def _report(stack: str):
    config = load_config(stack_config(stack))
    return config, build_report(plan_of(stack), config)


@pytest.mark.parametrize("stack", PHASES)
def test_every_target_is_checked_with_positive_numbers_a_limit_and_a_formula(stack):
    config, report = _report(stack)
    keys = {c.key for c in report.checks}
    assert keys == KEYS | ({"headroom_users"} if config.phase == 4 else set())
    for check in report.checks:
        assert check.required > 0 and check.capacity > 0, check
        assert check.limit and check.formula
    by_key = {c.key: c for c in report.checks}
    assert by_key["concurrent_users"].required == PHASE_CONCURRENT_USERS[config.phase]
    assert by_key["db_queries"].required == PHASE_QUERIES[config.phase]
    assert by_key["pooled_connections"].required == PHASE_POOLED_CONNECTIONS[config.phase]


@pytest.mark.parametrize("stack", PHASES)
def test_the_numbers_come_from_the_plan(stack):
    config, report = _report(stack)
    serving = [c for c in cell_facts(plan_of(stack), config.capacity) if c.serving]
    assert len(serving) == (3 if config.phase == 4 else 1)
    for cell in serving:
        assert cell.apps["api"].max_replicas == config.apps.api.max_replicas
        assert cell.apps["worker"].max_replicas == config.apps.worker.max_replicas
        assert cell.apps["api"].cpu_m == config.apps.api.cpu_request_m
        assert cell.max_nodes == 3 * config.cluster.nodes.max_per_az and cell.zones == 3
        assert cell.instance_type == config.cluster.nodes.instance_type
        assert cell.cache.shards == config.cache.shards and cell.cache.node_type == config.cache.node_type
    by_key = {c.key: c for c in report.checks}
    # api req/s = HPA max x per-pod req/s, in every serving region (the node groups hold the maxima).
    per_pod = config.apps.api.cpu_request_m / 1000 * config.capacity.rps_per_vcpu
    assert by_key["api_rps"].capacity == pytest.approx(len(serving) * config.apps.api.max_replicas * per_pod)
    # Apps open their pools at max pods, all regions included.
    pods = len(serving) * (config.apps.api.max_replicas + config.apps.worker.max_replicas)
    assert by_key["app_connections"].required == pods * config.capacity.connection_pool_per_pod
    # The proxy pools 90% of the pinned max_connections.
    pool = config.database.max_connections * config.database.proxy.max_connections_percent // 100
    assert by_key["pooled_connections"].capacity == pool * config.capacity.clients_per_pooled_connection


def test_phase_4_counts_the_readers_of_every_region_and_phase_3_not_its_standby():
    _, phase4 = _report("phase4")
    db4 = next(c for c in phase4.checks if c.key == "db_queries")
    assert "12 × db.m7g.xlarge (4 vCPU)" in db4.formula
    config3, _ = _report("phase3")
    cells = cell_facts(plan_of("phase3"), config3.capacity)
    standby = [c for c in cells if not c.serving]
    assert len(standby) == 1 and len(standby[0].replicas) == 1
    db = next(c for c in build_report(plan_of("phase3"), config3).checks if c.key == "db_queries")
    assert "3 × db.m7g.xlarge" in db.formula


def test_assumptions_are_config_and_change_the_numbers(tmp_path, capsys):
    for path in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    path = tmp_path / "Pulumi.phase1.yaml"
    document = yaml.safe_load(path.read_text())
    document["config"]["platform:capacity"] = {"rpsPerVcpu": 400}
    path.write_text(yaml.safe_dump(document))
    assert cli_main(["--project-dir", str(tmp_path), "capacity", "phase1", "--json"]) == 0
    api = next(c for c in json.loads(capsys.readouterr().out)["checks"] if c["key"] == "api_rps")
    assert api["capacity"] == 4 * 0.25 * 400

    document["config"]["platform:capacity"] = {"readShare": 2}
    path.write_text(yaml.safe_dump(document))
    assert cli_main(["--project-dir", str(tmp_path), "capacity", "phase1"]) == EXIT_CONFIG_ERROR
    assert "platform:capacity.readShare" in capsys.readouterr().err


def test_cli_table_prints_integers_and_verdicts_and_json_is_machine_readable(capsys):
    assert cli_main(["capacity", "phase2"]) == 0
    out = capsys.readouterr().out
    assert "Peak concurrent users" in out and ("PASS" in out or "FAIL" in out)
    assert "3,000 users" in out and ".0 " not in out
    assert cli_main(["capacity", "phase4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stack"] == "phase4" and report["phase"] == 4
    assert all(isinstance(c["passed"], bool) for c in report["checks"])
    assert report["passed"] == all(c["passed"] for c in report["checks"])


def test_amounts_round_requirements_up_and_capacities_down():
    assert format_amount(166.67, "req/s", ceiling=True) == "167 req/s"
    assert format_amount(166.67, "req/s") == "166 req/s"
    assert format_amount(99.92, "%") == "99.92%"
    assert format_amount(float("inf"), "jobs/s") == "unlimited"


@pytest.mark.parametrize("stack", PHASES)
def test_the_atlas_variant_counts_atlas_connections_and_ops(stack):
    root = ROOT / "examples" / "mongodb"
    config = load_config(stack_config(stack, root))
    report = build_report(run_stack(stack, root), config)
    by_key = {c.key: c for c in report.checks}
    assert {c.key for c in report.checks} >= KEYS
    atlas = config.database.atlas
    assert by_key["pooled_connections"].limit == f"Atlas {atlas.instance_size} connection limit"
    assert ("mongos" in by_key["pooled_connections"].formula) == (atlas.cluster_type == "SHARDED")
    assert "analytics nodes excluded" in by_key["db_queries"].formula
    assert "Atlas M10+ 99.995" in by_key["availability"].formula
    assert all(c.capacity > 0 for c in report.checks)

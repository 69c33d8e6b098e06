"""``validate``'s sections and exit status from hand-made reports (no program run), each failing kind
on its own; then the command on real stacks: its structure, a config edit that breaks a policy, a
usage file that puts a phase over its budget, a bad config and a missing usage file."""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from infra.cli import main as cli_main
from infra.config import BudgetConfig, StackConfig, load_config
from infra.offline.capacity_report import CapacityReport, Check
from infra.offline.cost import CostReport, LineItem, ResourceCost
from infra.offline.harness import ROOT, PlanResult, RecordedResource, stack_config
from infra.offline.pricing import PriceError, load_table
from infra.offline.usage import UsageError
from infra.offline.validate import exit_status, to_json, validate, verdict
from infra.rules import PHASE_BUDGET
from tests.conftest import copy_project

TABLE = load_table()
QUEUE_URN = "urn:pulumi:phase1::platform::aws:sqs/queue:Queue::use1-jobs"


@functools.cache
def _config(approved: int | None = None) -> StackConfig:
    """Phase 1's config with the budget ``approved`` (none: the phase's aim gates)."""
    config = load_config(stack_config("phase1"))
    return config.model_copy(update={"budget": BudgetConfig(monthly_usd=approved)})


def _plan(*resources: RecordedResource) -> PlanResult:
    return PlanResult("phase1", list(resources))


def _queue(**inputs) -> RecordedResource:
    return RecordedResource(
        urn=QUEUE_URN, type="aws:sqs/queue:Queue", name="use1-jobs", parent="", custom=True, provider="",
        inputs=inputs, protect=True, delete_before_replace=False, retain_on_delete=False, ignore_changes=[],
        replace_on_changes=[], aliases=[], dependencies=[], region="us-east-1",
    )  # fmt: skip


def _capacity(*carries: float) -> CapacityReport:
    checks = [Check(f"t{i}", f"target {i}", 100, c, "req/s", "pods", "pods × rate") for i, c in enumerate(carries)]
    return CapacityReport("phase1", 1, checks, [])


def _cost(monthly: float, ceiling: float | None = None) -> CostReport:
    item = LineItem("2 x m7g.large", monthly, "us-east-1", ceiling)
    resource = ResourceCost("urn:x", "nodes", "aws:eks/nodeGroup:NodeGroup", "us-east-1", "use1", "use1/c", [item])
    return CostReport("phase1", TABLE, Path("usage/phase1.yaml"), [resource])


AIM, UPPER = PHASE_BUDGET[1]
PASSING = {"plan": _plan(), "capacity": _capacity(150, 100), "cost": _cost(AIM - 1)}


def _sections(approved: int | None = None, **changes):
    parts = {**PASSING, **changes}
    return validate(parts["plan"], _config(approved), parts["capacity"], parts["cost"])


def _by_title(sections):
    return {s.title: s for s in sections}


def test_the_four_sections_in_order_and_all_passing_is_exit_0():
    sections = _sections()
    assert [s.title for s in sections] == ["config", "policy", "capacity", "cost"]
    assert all(s.passed for s in sections) and exit_status(sections) == 0
    assert verdict("phase1", sections) == "validate phase1: every mandatory check passes"
    config = sections[0].items[0]
    assert config.passed and "phase 1" in config.detail and "us-east-1 (primary)" in config.detail


def test_a_policy_violation_is_listed_with_policy_urn_and_message_and_exits_1():
    sections = _sections(plan=_plan(_queue(name="jobs")))
    policy = _by_title(sections)["policy"]
    assert not policy.passed and exit_status(sections) == 1
    assert [(i.name, i.subject) for i in policy.items] == [("sqs-encrypted", QUEUE_URN)]
    assert not policy.items[0].detail.startswith("urn:") and policy.items[0].detail
    assert "1 violations" in policy.summary
    assert all(s.passed for s in sections if s.title != "policy")
    assert verdict("phase1", sections) == "validate phase1: FAILED in policy (1)"


def test_an_encrypted_queue_passes_the_pack():
    sections = _sections(plan=_plan(_queue(name="jobs", sqsManagedSseEnabled=True)))
    assert _by_title(sections)["policy"].passed and exit_status(sections) == 0


def test_a_capacity_fail_exits_1_and_names_the_target():
    sections = _sections(capacity=_capacity(150, 99.5))
    capacity = _by_title(sections)["capacity"]
    assert exit_status(sections) == 1
    assert [(i.name, i.passed) for i in capacity.items] == [("target 0", True), ("target 1", False)]
    assert capacity.items[1].detail == "required 100 req/s, carries 99 req/s; limited by pods"
    assert "1 of 2 targets FAIL" in capacity.summary


def test_a_total_over_the_aim_exits_1_and_the_ceiling_gates_nothing():
    over = _by_title(_sections(cost=_cost(AIM + 250)))["cost"]
    assert not over.passed and over.items[0].detail == f"${AIM + 250:,}: $250 over the aim ${AIM}"
    assert exit_status(_sections(cost=_cost(AIM + 250))) == 1
    ceiling_above_upper = _sections(cost=_cost(AIM, ceiling=UPPER * 3))
    cost = _by_title(ceiling_above_upper)["cost"]
    assert exit_status(ceiling_above_upper) == 0 and cost.items[1].passed is None
    assert f"against the upper end ${UPPER}" in cost.items[1].detail


def test_an_approved_budget_gates_instead_of_the_aim_and_the_gap_stays_listed():
    sections = _sections(approved=AIM + 300, cost=_cost(AIM + 250))
    cost = _by_title(sections)["cost"]
    assert exit_status(sections) == 0
    assert [(i.name, i.passed) for i in cost.items] == [
        ("monthly total", True),
        ("against the phase's aim", None),
        ("ceiling (every node group at max)", None),
    ]
    assert cost.items[0].detail == f"${AIM + 250:,}: at or under the approved budget ${AIM + 300:,}"
    assert cost.items[1].detail.startswith(f"${AIM + 250:,}: $250 over the aim ${AIM}")
    over_approved = _sections(approved=AIM + 100, cost=_cost(AIM + 250))
    assert exit_status(over_approved) == 1
    assert (
        _by_title(over_approved)["cost"].items[0].detail
        == f"${AIM + 250:,}: $150 over the approved budget ${AIM + 100:,}"
    )


@given(st.floats(0, 4 * AIM, allow_nan=False))
def test_the_cost_check_passes_exactly_at_or_under_the_aim(total):
    sections = _sections(cost=_cost(total))
    assert (exit_status(sections) == 0) == (round(total, 2) <= AIM)


@pytest.mark.parametrize(
    "error", [UsageError("no usage file usage/phase1.yaml"), PriceError("no price for cache.m6g.large")]
)
def test_a_cost_that_cannot_be_computed_fails_the_section_with_its_reason_and_exits_2(error):
    sections = _sections(cost=error, capacity=_capacity(1))
    cost = _by_title(sections)["cost"]
    assert cost.invalid_input and not cost.passed and [i.detail for i in cost.items] == [str(error)]
    assert exit_status(sections) == 2
    assert verdict("phase1", sections) == "validate phase1: FAILED in capacity (1), cost (not judged: invalid input)"


def test_json_carries_every_section_item_and_the_exit_status():
    document = to_json("phase1", 1, _sections(plan=_plan(_queue(name="jobs"))))
    assert document["exit_status"] == 1 and document["passed"] is False
    policy = document["sections"][1]
    assert policy["items"] == [
        {"name": "sqs-encrypted", "subject": QUEUE_URN, "detail": policy["items"][0]["detail"], "passed": False}
    ]
    json.dumps(document)


# The command on real stacks. The phase configs are tuned separately: assert structure and the
# failures constructed here, never that a phase passes.
uses_cached_stacks = pytest.mark.usefixtures("cached_cli_stacks")


def _run_json(capsys, stack: str, project: Path | None = None, *options: str) -> tuple[int, dict]:
    status = cli_main([*(["--project-dir", str(project)] if project else []), "validate", stack, "--json", *options])
    document = json.loads(capsys.readouterr().out)
    assert document["exit_status"] == status
    return status, document


@uses_cached_stacks
def test_validate_of_a_phase_reports_four_sections_and_exits_by_them(capsys):
    status, document = _run_json(capsys, "phase2")
    assert status in (0, 1) and document["phase"] == 2
    assert [s["title"] for s in document["sections"]] == ["config", "policy", "capacity", "cost"]
    assert document["sections"][0]["passed"] is True
    cost_items = [i["name"] for i in document["sections"][3]["items"]]
    # Phase 2 declares an approved budget, so the estimate against the aim is listed too.
    assert cost_items == ["monthly total", "against the phase's aim", "ceiling (every node group at max)"]
    assert cli_main(["validate", "phase2"]) == status
    out = capsys.readouterr().out
    for heading in ("1. config", "2. policy", "3. capacity", "4. cost: phase 2 budget $1,500–$2,000/month"):
        assert heading in out
    assert "validate phase2: " in out


@uses_cached_stacks
def test_a_config_edit_that_breaks_a_policy_fails_the_policy_section(tmp_path, capsys):
    # Load-time rules cannot know the stack's name; the pack refuses physical names containing it.
    project = copy_project(tmp_path, lambda config: config.update({"platform:name": "acme-phase1"}))
    status, document = _run_json(capsys, "phase1", project)
    policy = document["sections"][1]
    assert status == 1 and policy["passed"] is False
    assert {i["name"] for i in policy["items"]} == {"stable-physical-names"}
    assert all(i["subject"].startswith("urn:pulumi:phase1::") and "phase1" in i["detail"] for i in policy["items"])


@uses_cached_stacks
def test_a_usage_file_that_puts_a_phase_over_its_budget_fails_the_cost_section(tmp_path, capsys):
    usage = yaml.safe_load((ROOT / "usage" / "phase1.yaml").read_text())
    usage["defaults"]["aws:ec2/natGateway:NatGateway"]["monthly_gb"] = 1_000_000
    path = tmp_path / "heavy.yaml"
    path.write_text(yaml.safe_dump(usage))
    status, document = _run_json(capsys, "phase1", None, "--usage", str(path))
    total = document["sections"][3]["items"][0]
    assert status == 1 and total["passed"] is False and "over the approved budget" in total["detail"]


@uses_cached_stacks
def test_a_bad_config_is_one_line_and_exit_2(tmp_path, capsys):
    project = copy_project(tmp_path, lambda config: config.update({"platform:phase": 9}))
    assert cli_main(["--project-dir", str(project), "validate", "phase1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    error = captured.err.strip()
    assert error.startswith("error:") and "\n" not in error and "phase" in error


@uses_cached_stacks
def test_a_missing_usage_file_is_the_cost_sections_reason_and_exit_2(tmp_path, capsys):
    project = copy_project(tmp_path)
    shutil.rmtree(project / "usage")
    status, document = _run_json(capsys, "phase1", project)
    cost = document["sections"][3]
    assert status == 2 and cost["invalid_input"] is True
    assert [i["detail"] for i in cost["items"]] == [f"no usage file {project / 'usage' / 'phase1.yaml'}"]
    assert [s["title"] for s in document["sections"]] == ["config", "policy", "capacity", "cost"]

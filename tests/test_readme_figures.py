"""The README's per-phase figures are what the tools compute: a changed config, price or usage
file that moves a total, a capacity figure or a verdict fails here until the README says so."""

from __future__ import annotations

import math
import re

import pytest

from infra.config import load_config
from infra.offline.capacity_report import build_report
from infra.offline.cost import stack_cost
from infra.offline.harness import ROOT, stack_config
from tests.conftest import ATLAS_DIR, PHASES, atlas_plan_of, plan_of

README = (ROOT / "README.md").read_text()


def _row(label: str) -> list[str]:
    """The four phase cells of the README table row starting with ``label``."""
    (line,) = [line for line in README.splitlines() if line.startswith(f"| {label}")]
    return [cell.strip() for cell in line.strip("|").split("|")[1:]]


def _dollars(cell: str) -> int:
    return int(re.sub(r"[^\d]", "", cell.split("(")[0]))


def test_the_monthly_estimates_are_the_cost_commands_totals():
    cells = _row("**Monthly estimate**")
    for stack, cell in zip(PHASES, cells, strict=True):
        assert _dollars(cell) == round(stack_cost(stack, plan_of(stack), ROOT).total), stack


def test_the_atlas_estimates_are_the_cost_commands_totals():
    cells = _row("MongoDB Atlas variant")
    for stack, cell in zip(PHASES, cells, strict=True):
        assert _dollars(cell) == round(stack_cost(stack, atlas_plan_of(stack), ATLAS_DIR).total), stack


def test_the_approved_budgets_are_the_stack_files():
    cells = _row("Approved budget")
    for stack, cell in zip(PHASES, cells, strict=True):
        assert _dollars(cell) == load_config(stack_config(stack)).budget.monthly_usd, stack


@pytest.mark.parametrize("stack", PHASES)
def test_every_capacity_row_is_what_capacity_computes(stack):
    index = PHASES.index(stack)
    report = build_report(plan_of(stack), load_config(stack_config(stack)))
    for check in report.checks:
        label = "Queue jobs/s" if check.target.startswith("Queue") else check.target
        cell = _row(f"{label} (")[index]
        if check.unit == "%":
            expected = f"{check.required:.2f}% → {check.capacity:.2f}%"
        else:
            expected = f"{math.ceil(check.required):,} → {math.floor(check.capacity):,}"
        assert cell.startswith(expected), (stack, check.target, cell)
        assert cell.endswith("PASS") == check.passed, (stack, check.target)

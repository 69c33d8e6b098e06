"""Shared fixtures: each phase's real stack program, run once per test session under mocks."""

from __future__ import annotations

import functools

import pytest

from infra.harness import PlanResult, run_stack

PHASES = ("phase1", "phase2", "phase3", "phase4")


@functools.cache
def plan_of(stack: str) -> PlanResult:
    """The offline plan of ``stack`` (cached: the programs are deterministic)."""
    return run_stack(stack)


@pytest.fixture(params=PHASES)
def phase_plan(request) -> PlanResult:
    """Each phase's plan in turn."""
    return plan_of(request.param)


@pytest.fixture(params=list(zip(PHASES, PHASES[1:], strict=False)), ids=lambda pair: f"{pair[0]}->{pair[1]}")
def phase_pair(request) -> tuple[PlanResult, PlanResult]:
    """Each pair of consecutive phases."""
    before, after = request.param
    return plan_of(before), plan_of(after)

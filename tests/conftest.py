"""Shared fixtures: each phase's real stack program, run once per test session under mocks."""

from __future__ import annotations

import functools
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

import infra.cli
from infra.offline.harness import ROOT, PlanResult, run_stack, stack_config

PHASES = ("phase1", "phase2", "phase3", "phase4")
#: The MongoDB Atlas variant of the four phase stacks.
ATLAS_DIR = ROOT / "examples" / "mongodb"


@functools.cache
def plan_of(stack: str) -> PlanResult:
    """The offline plan of ``stack`` (cached: the programs are deterministic)."""
    return run_stack(stack)


@functools.cache
def atlas_plan_of(stack: str) -> PlanResult:
    """The offline plan of ``examples/mongodb/Pulumi.<stack>.yaml`` (cached like :func:`plan_of`)."""
    return run_stack(stack, ATLAS_DIR)


@pytest.fixture(params=PHASES)
def phase_plan(request) -> PlanResult:
    """Each phase's plan in turn."""
    return plan_of(request.param)


@pytest.fixture(params=list(zip(PHASES, PHASES[1:], strict=False)), ids=lambda pair: f"{pair[0]}->{pair[1]}")
def phase_pair(request) -> tuple[PlanResult, PlanResult]:
    """Each pair of consecutive phases."""
    before, after = request.param
    return plan_of(before), plan_of(after)


@pytest.fixture
def cached_cli_stacks(monkeypatch) -> None:
    """Let the CLI take the phase stacks from :func:`plan_of` instead of running them again.

    A plan depends only on the stack name and its config (the programs are deterministic), so a
    phase stack whose config, wherever it is read from, equals this checkout's gets the very plan
    the CLI would compute; an edited config still goes through the real ``run_stack``.
    """

    def run(stack: str, root: Path = ROOT, config: Mapping[str, str] | None = None) -> PlanResult:
        flat = stack_config(stack, root) if config is None else dict(config)
        if stack in PHASES and flat == stack_config(stack):
            return plan_of(stack)
        return run_stack(stack, root, flat)

    monkeypatch.setattr(infra.cli, "run_stack", run)


def copy_project(tmp_path: Path, edit=None) -> Path:
    """The root stack files and usage files copied into ``tmp_path``; ``edit`` changes phase 1's config."""
    for path in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(ROOT / "usage", tmp_path / "usage")
    if edit:
        config_path = tmp_path / "Pulumi.phase1.yaml"
        document = yaml.safe_load(config_path.read_text())
        edit(document["config"])
        config_path.write_text(yaml.safe_dump(document))
    return tmp_path

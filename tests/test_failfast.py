"""A program that fails at any depth ends within seconds with its own message (never a hang)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pulumi
import pytest

import components.workload
import infra.compute
from infra.failfast import ProgramError, fail_pending_outputs
from infra.offline.harness import ROOT, run_stack, stack_config

#: Far below the minutes a hang would take, far above a phase 2 plan (about a second).
PROMPT_SECONDS = 20


def _timed(stack: str, config: dict[str, str] | None = None) -> tuple[BaseException, float]:
    start = time.monotonic()
    with pytest.raises(BaseException) as caught:
        run_stack(stack, config=config)
    return caught.value, time.monotonic() - start


def _with_cluster(**changes) -> dict[str, str]:
    config = stack_config("phase2")
    cluster = {**json.loads(config["platform:cluster"]), **changes}
    return {**config, "platform:cluster": json.dumps(cluster)}


@pytest.mark.timeout(60)
def test_a_component_refusing_its_args_mid_program_ends_the_run_with_its_message(monkeypatch):
    def refuse(self):
        raise ValueError("ingress refused by the test")

    # Deep inside the second cell component: resources and deferred outputs already exist.
    monkeypatch.setattr(components.workload.Workload, "_create_ingress", refuse)
    error, elapsed = _timed("phase4")
    assert isinstance(error, ProgramError) and isinstance(error, pulumi.RunError)
    assert str(error) == "ingress refused by the test"
    assert elapsed < PROMPT_SECONDS


@pytest.mark.timeout(60)
def test_an_error_inside_an_apply_ends_the_run_with_its_message(monkeypatch):
    def broken(grants):
        raise RuntimeError("policy rendering failed in an apply")

    monkeypatch.setattr(infra.compute, "app_policy", broken)
    error, elapsed = _timed("phase2")
    assert "policy rendering failed in an apply" in str(error)
    assert elapsed < PROMPT_SECONDS


@pytest.mark.timeout(60)
def test_a_crash_keeps_its_type_and_ends_promptly(monkeypatch):
    def crash(*args, **kwargs):
        raise KeyError("bug")

    monkeypatch.setattr(infra.compute, "_create_bootstrap", crash)
    error, elapsed = _timed("phase3")
    assert isinstance(error, KeyError) and elapsed < PROMPT_SECONDS


def test_nothing_pending_is_failed_when_nothing_waits():
    assert fail_pending_outputs(RuntimeError("unused")) == 0


@pytest.mark.timeout(120)
@pytest.mark.parametrize("cidr", ["not-a-cidr", "0.0.0.0/0", "203.0.113.10/24"])
def test_plan_with_a_bad_public_access_cidr_prints_one_line_and_exits_in_seconds(tmp_path, cidr):
    """The reported hang, end to end in a fresh process as a user runs it."""
    document = (ROOT / "Pulumi.phase2.yaml").read_text()
    (tmp_path / "Pulumi.phase2.yaml").write_text(document.replace("203.0.113.10/32", cidr))
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", "--project-dir", str(tmp_path), "plan", "phase2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert time.monotonic() - start < 60
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "platform:cluster.publicAccessCidrs" in lines[0], result.stderr
    assert "Traceback" not in result.stderr

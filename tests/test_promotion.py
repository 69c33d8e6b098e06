"""Promotion and demotion driven through every step, failure and interruption with the CLI double."""

from __future__ import annotations

import copy
import hashlib
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from infra.offline.diff import Change, PromotionDiff, Refusal
from infra.promotion.move import (
    MoveRequest,
    PlanRefusedError,
    PromotionError,
    PromotionRefusedError,
    check_preconditions,
    promote,
)
from infra.promotion.move_state import MARKER_NAME
from infra.promotion.pulumi_cli import NotLoggedInError
from tests.pulumi_double import RecordingPulumiCliDouble, sames, stack_as

FIXTURE = Path(__file__).parent / "fixtures" / "checkpoint_phase1.json"
SAFE = PromotionDiff(changes=[], unsafe=[])
DB = "urn:pulumi:{}::platform::platform:data:Postgres$aws:rds/instance:Instance::db-primary"


@pytest.fixture
def checkpoint() -> dict[str, Any]:
    """A `pulumi stack export` of stack phase1 (secrets encrypted)."""
    return json.loads(FIXTURE.read_text())


def _request(tmp_path, operation="promote", src="phase1", dst="phase2", diff=SAFE, yes=True, **kw) -> MoveRequest:
    return MoveRequest(operation, src, dst, diff, yes, tmp_path / "backups", **kw)


def _run(cli, request, log=None):
    return promote(cli, request, (log if log is not None else []).append)


def _managed_keys(export):
    return sorted(
        r["urn"].split("::", 1)[1]
        for r in export["deployment"].get("resources") or []
        if r["type"] != "pulumi:pulumi:Stack" and not r["type"].startswith("pulumi:providers:")
    )


# --- the fixture is a real `pulumi stack export` ---------------------------------------------------


def test_fixture_has_the_shape_of_a_real_export(checkpoint):
    assert checkpoint["version"] == 3
    manifest = checkpoint["deployment"]["manifest"]
    assert set(manifest) >= {"time", "magic", "version"}
    # sdk/go/common/apitype/core.go ManifestV1.NewMagic: hex SHA-256 of the version string.
    assert manifest["magic"] == hashlib.sha256(manifest["version"].encode()).hexdigest()
    assert checkpoint["deployment"]["secrets_providers"]["type"] == "passphrase"
    types = [r["type"] for r in checkpoint["deployment"]["resources"]]
    assert types[0] == "pulumi:pulumi:Stack"
    assert "urn:pulumi:phase1::platform::pulumi:providers:aws::default_7_51_1" in {
        r["urn"] for r in checkpoint["deployment"]["resources"]
    }


# --- preconditions ---------------------------------------------------------------------------------


def _with_pending(export):
    pending = copy.deepcopy(export)
    db = next(r for r in pending["deployment"]["resources"] if r["type"] == "aws:rds/instance:Instance")
    pending["deployment"]["pending_operations"] = [{"resource": copy.deepcopy(db), "type": "updating"}]
    return pending


def _unsafe_diff() -> PromotionDiff:
    change = Change(DB.format("phase2"), "aws:rds/instance:Instance", "db", "replace", ["engine"], ["engine"],
                    stateful=True, protect=True)  # fmt: skip
    return PromotionDiff([change], [Refusal(change, "db would be replaced by engine", "keep engine")])


def test_preconditions_list_every_problem(checkpoint):
    target = stack_as(checkpoint, "phase1", "phase2") | {"version": 2}
    problems = check_preconditions("promote", _with_pending(checkpoint), _with_pending(target), _unsafe_diff())
    assert any(p.startswith("source stack has pending operations (updating") for p in problems)
    assert any(p.startswith("target stack has pending operations") for p in problems)
    assert any(p.startswith("target stack is not empty (8 resources") for p in problems)
    assert any("version 2" in p for p in problems)
    assert "unsafe change: db would be replaced by engine. Way out: keep engine" in problems


def test_a_target_with_only_the_root_stack_and_providers_counts_as_empty(checkpoint):
    leftover = stack_as(checkpoint, "phase1", "phase2")
    leftover["deployment"]["resources"] = leftover["deployment"]["resources"][:3]
    assert check_preconditions("promote", checkpoint, leftover, SAFE) == []


REFUSALS = {
    "non-empty target": "target stack is not empty",
    "pending operations": "source stack has pending operations",
    "unsafe diff": "unsafe change: db would be replaced by engine",
    "missing source": "source stack phase1 does not exist",
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusals_write_nothing(checkpoint, tmp_path, case):
    stacks, diff = {"phase1": checkpoint}, SAFE
    if case == "non-empty target":
        stacks["phase2"] = stack_as(checkpoint, "phase1", "phase2")
    elif case == "pending operations":
        stacks["phase1"] = _with_pending(checkpoint)
    elif case == "unsafe diff":
        diff = _unsafe_diff()
    else:
        stacks = {"phase2": stack_as(checkpoint, "phase1", "phase2")}
    cli = RecordingPulumiCliDouble(stacks)
    with pytest.raises(PromotionRefusedError) as refused:
        _run(cli, _request(tmp_path, diff=diff))
    assert any(REFUSALS[case] in p for p in refused.value.problems), refused.value.problems
    assert {op for op, _ in cli.calls} <= {"whoami", "stack_exists", "export"}
    assert cli.stacks == stacks and not (tmp_path / "backups").exists()


def test_not_logged_in_stops_before_anything_else(checkpoint, tmp_path):
    cli = RecordingPulumiCliDouble({"phase1": checkpoint}, logged_in=False)
    with pytest.raises(NotLoggedInError) as error:
        _run(cli, _request(tmp_path))
    assert cli.calls == [("whoami", "")]
    assert "\n" not in str(error.value) and "pulumi login" in str(error.value)


# --- the sequence ----------------------------------------------------------------------------------


def test_promote_moves_with_state_move_previews_and_runs_exactly_that_plan(checkpoint, tmp_path):
    cli = RecordingPulumiCliDouble({"phase1": checkpoint})
    log: list[str] = []
    result = _run(cli, _request(tmp_path), log)
    ops = [op for op, _ in cli.calls]
    assert ops.index("create") < ops.index("state_move") < ops.index("preview") < ops.index("up")
    assert ("state_move", "phase1") in cli.calls and cli.calls[-1] == ("up", "phase2")
    assert cli.holding() == ["phase2"] and (result.applied, result.lives_in) == (True, "phase2")
    assert _managed_keys(cli.stacks["phase2"]) == _managed_keys(checkpoint)
    # What state move leaves behind in the source: the root stack resource only (copied providers removed).
    assert [r["type"] for r in cli.stacks["phase1"]["deployment"]["resources"]] == ["pulumi:pulumi:Stack"]
    backups = sorted((tmp_path / "backups").glob("platform-*.json"))
    assert json.loads(backups[0].read_text()) == checkpoint
    assert {stat.S_IMODE(p.stat().st_mode) for p in backups} == {0o600}
    assert not (tmp_path / "backups" / MARKER_NAME).exists()


def test_without_yes_it_is_a_dry_run_that_moves_the_state_back(checkpoint, tmp_path):
    cli = RecordingPulumiCliDouble({"phase1": checkpoint})
    log: list[str] = []
    result = _run(cli, _request(tmp_path, yes=False), log)
    assert ("up", "phase2") not in cli.calls and ("preview", "phase2") in cli.calls
    assert [op for op, _ in cli.calls].count("state_move") == 2
    assert cli.holding() == ["phase1"] and _managed_keys(cli.stacks["phase1"]) == _managed_keys(checkpoint)
    assert (result.applied, result.lives_in) == (False, "phase1")
    assert any("dry run" in line and "promote phase1 phase2 --yes" in line for line in log)
    assert not (tmp_path / "backups" / MARKER_NAME).exists()


def _replacing_db(stack, state):
    digest, plan = sames(stack, state)
    urn = DB.format(stack)
    plan["resourcePlans"][urn]["steps"] = ["create-replacement", "replace", "delete-replaced"]
    digest["steps"].append({"op": "replace", "urn": urn, "replaceReasons": ["engine"]})
    return digest, plan


def test_the_real_plan_gate_refuses_an_unpredicted_stateful_replacement_and_moves_back(checkpoint, tmp_path):
    cli = RecordingPulumiCliDouble({"phase1": checkpoint}, plan=_replacing_db)
    with pytest.raises(PlanRefusedError) as refused:
        _run(cli, _request(tmp_path))
    message = str(refused.value)
    assert "stateful and protected " + DB.format("phase2") + " would be replaced (engine)" in message
    assert "lives in phase1" in message and ("up", "phase2") not in cli.calls
    assert cli.holding() == ["phase1"] and not (tmp_path / "backups" / MARKER_NAME).exists()


def test_source_changed_since_export_is_refused_before_moving(checkpoint, tmp_path):
    cli = RecordingPulumiCliDouble({"phase1": checkpoint})

    def someone_updates():
        cli.stacks["phase1"]["deployment"]["resources"][-1]["outputs"]["retentionInDays"] = 7

    cli.hooks[("export", "phase1", 2)] = someone_updates
    with pytest.raises(PromotionError, match="phase1 changed since it was exported") as error:
        _run(cli, _request(tmp_path))
    assert "state_move" not in [op for op, _ in cli.calls]
    assert "lives in phase1" in str(error.value) and cli.holding() == ["phase1"]


def test_a_lossy_move_is_caught_by_re_reading_both_stacks(checkpoint, tmp_path):
    cli = RecordingPulumiCliDouble({"phase1": checkpoint})
    cli.lossy_move = True
    with pytest.raises(PromotionError, match="did not move everything") as error:
        _run(cli, _request(tmp_path))
    assert "(re-read)" in str(error.value) and "Next:" in str(error.value)


def test_a_half_done_state_move_says_both_and_how_to_restore(checkpoint, tmp_path):
    cli = RecordingPulumiCliDouble({"phase1": checkpoint})
    cli.partial_move = True
    with pytest.raises(PromotionError) as error:
        _run(cli, _request(tmp_path))
    message = str(error.value)
    assert "BOTH phase1 and phase2 hold the resources" in message
    command = message.split("`pulumi stack import ")[1].split("`")[0]
    stack, backup = command.split()[1], command.split()[3]
    cli.stacks[stack] = json.loads(Path(backup).read_text())  # what the operator runs
    assert cli.holding() == ["phase1"]
    assert (tmp_path / "backups" / MARKER_NAME).exists()


def test_demote_right_after_promote_is_not_blocked_by_copied_providers(checkpoint, tmp_path):
    cli = RecordingPulumiCliDouble({"phase1": checkpoint})
    _run(cli, _request(tmp_path))
    for r in cli.stacks["phase2"]["deployment"]["resources"]:  # `up` upgraded the providers in phase2
        if r["type"].startswith("pulumi:providers:"):
            r["id"], r["inputs"]["version"] = r["id"][::-1], "7.60.0"
            for user in cli.stacks["phase2"]["deployment"]["resources"]:
                if (user.get("provider") or "").startswith(r["urn"] + "::"):
                    user["provider"] = f"{r['urn']}::{r['id']}"
    result = _run(cli, _request(tmp_path, "demote", "phase2", "phase1"))
    assert result.lives_in == "phase1" and cli.holding() == ["phase1"]

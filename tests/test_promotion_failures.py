"""Every failure point and every interruption of the sequence; re-runs that find the marker; demote."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from infra.offline.diff import Change, PromotionDiff, Refusal
from infra.promotion.move import MoveRequest, PromotionError, PromotionRefusedError, promote
from infra.promotion.move_state import MARKER_NAME
from tests.pulumi_double import RecordingPulumiCliDouble, sames, stack_as

FIXTURE = Path(__file__).parent / "fixtures" / "checkpoint_phase1.json"
SAFE = PromotionDiff(changes=[], unsafe=[])


@pytest.fixture
def checkpoint() -> dict[str, Any]:
    """A `pulumi stack export` of stack phase1."""
    return json.loads(FIXTURE.read_text())


def _request(tmp_path, operation="promote", src="phase1", dst="phase2", diff=SAFE, yes=True, **kw):
    return MoveRequest(operation, src, dst, diff, yes, tmp_path / "backups", **kw)


def _happy_calls(checkpoint, tmp_path, yes=True) -> list[tuple[str, str]]:
    cli = RecordingPulumiCliDouble({"phase1": checkpoint})
    promote(cli, _request(tmp_path / "happy", yes=yes), lambda _: None)
    return cli.calls


def _points(checkpoint, tmp_path_factory, yes):
    calls = _happy_calls(checkpoint, tmp_path_factory.mktemp("calls"), yes)
    seen: dict[tuple[str, str], int] = {}
    points = []
    for call in calls:
        seen[call] = seen.get(call, 0) + 1
        if call[0] != "whoami":
            points.append((call, seen[call]))
    return points


def _assert_one_home_or_precise(cli, message: str) -> None:
    """Afterwards exactly one stack manages the environment, or the message says what to restore."""
    holders = cli.holding()
    if len(holders) == 1:
        assert f"lives in {holders[0]}" in message, message
    else:
        assert ("BOTH" in message or "NEITHER" in message) and "pulumi stack import --stack" in message, message
    assert "Next:" in message, message


@pytest.mark.parametrize("yes", [True, False], ids=["yes", "dry-run"])
@pytest.mark.parametrize("kind", ["fail", "interrupt"])
def test_every_step_fails_or_is_interrupted_cleanly_and_a_re_run_finishes(checkpoint, tmp_path_factory, yes, kind):
    for call, occurrence in _points(checkpoint, tmp_path_factory, yes):
        tmp_path = tmp_path_factory.mktemp("run")
        key = "fail_on" if kind == "fail" else "interrupt_on"
        cli = RecordingPulumiCliDouble({"phase1": checkpoint}, **{key: {call: occurrence}})
        try:
            promote(cli, _request(tmp_path, yes=yes), lambda _: None)
        except PromotionRefusedError:
            assert cli.holding() == ["phase1"], call
        except PromotionError as error:
            _assert_one_home_or_precise(cli, str(error))
            if kind == "interrupt":
                assert "interrupted (SIGTERM)" in str(error)
                assert (tmp_path / "backups" / MARKER_NAME).exists() or "nothing was written" in str(error)
        else:
            # The failure hit a best-effort step (removing a copied provider): the run still completed.
            assert call[0] == "state_delete", call
            assert cli.holding() == (["phase2"] if yes else ["phase1"])
            continue
        # Re-running the same command (no failure now) resolves any marker and finishes the job.
        cli.fail_on, cli.interrupt_on = {}, {}
        result = promote(cli, _request(tmp_path, yes=yes), lambda _: None)
        assert cli.holding() == [result.lives_in] == (["phase2"] if yes else ["phase1"]), call
        assert not (tmp_path / "backups" / MARKER_NAME).exists()


def test_an_interruption_after_the_move_leaves_a_marker_the_re_run_continues_from(checkpoint, tmp_path):
    cli = RecordingPulumiCliDouble({"phase1": checkpoint}, interrupt_on={("preview", "phase2"): 1})
    with pytest.raises(PromotionError) as error:
        promote(cli, _request(tmp_path), lambda _: None)
    assert "lives in phase2" in str(error.value) and "continue from phase2" in str(error.value)
    marker = json.loads((tmp_path / "backups" / MARKER_NAME).read_text())
    assert (marker["what"], marker["from"], marker["to"], marker["step"]) == ("promote", "phase1", "phase2",
                                                                               "preview phase2")  # fmt: skip
    assert marker["started"] and all(Path(p).exists() for p in marker["backups"])
    cli.interrupt_on = {}
    before = len(cli.calls)
    log: list[str] = []
    result = promote(cli, _request(tmp_path), log.append)
    assert any(line.startswith(f"found {tmp_path / 'backups' / MARKER_NAME}") for line in log)
    assert "state_move" not in [op for op, _ in cli.calls[before:]]
    assert result.applied and cli.holding() == ["phase2"]


def test_a_marker_whose_stacks_both_hold_resources_is_not_guessed_at(checkpoint, tmp_path):
    cli = RecordingPulumiCliDouble({"phase1": checkpoint})
    cli.partial_move = True
    with pytest.raises(PromotionError):
        promote(cli, _request(tmp_path), lambda _: None)
    cli.partial_move = False
    with pytest.raises(PromotionError, match="BOTH of phase1 and phase2 hold") as error:
        promote(cli, _request(tmp_path), lambda _: None)
    assert "pulumi stack import --stack <stack> --file" in str(error.value)
    assert cli.holding() == ["phase1", "phase2"]


# --- demote ----------------------------------------------------------------------------------------

UPPER = "urn:pulumi:phase2::platform::"
EXTRA = {
    "replica": ("aws:rds/instance:Instance", "db-replica-0", True, {"replicateSourceDb": "acme-prod-db"}),
    "replica-log": ("aws:cloudwatch/logGroup:LogGroup", "db-replica-0-log-postgresql", True, {}),
    "alarm": ("aws:cloudwatch/metricAlarm:MetricAlarm", "db-replica-lag", False, {}),
    "queue": ("aws:sqs/queue:Queue", "queues-emails", True, {}),
}


def _phase2(checkpoint, extra):
    state = stack_as(checkpoint, "phase1", "phase2")
    provider = next(r for r in state["deployment"]["resources"] if r["urn"].endswith("aws-us-east-1"))
    for key in extra:
        type_, name, protect, inputs = EXTRA[key]
        state["deployment"]["resources"].append({
            "urn": f"{UPPER}{type_}::{name}", "custom": True, "id": name, "type": type_, "inputs": inputs,
            "parent": state["deployment"]["resources"][0]["urn"], "protect": protect,
            "provider": f"{provider['urn']}::{provider['id']}",
        })  # fmt: skip
    return state


def _demote_diff(extra) -> PromotionDiff:
    changes, unsafe = [], []
    for key in extra:
        type_, name, protect, _ = EXTRA[key]
        change = Change(f"{UPPER}{type_}::{name}", type_, name, "delete", stateful=type_ != EXTRA["alarm"][0]
                        and type_ != EXTRA["replica-log"][0], protect=protect)  # fmt: skip
        changes.append(change)
        if change.stateful or protect:
            unsafe.append(Refusal(change, f"{name} would be deleted", "alias"))
    return PromotionDiff(changes, unsafe)


def _deleting(extra):
    def plan(stack, state):
        digest, result = sames(stack, state)
        for key in extra:
            type_, name, _, _ = EXTRA[key]
            result["resourcePlans"][f"urn:pulumi:{stack}::platform::{type_}::{name}"]["steps"] = ["delete"]
        return digest, result

    return plan


def test_demote_refuses_data_and_asks_to_confirm_each_derivable_delete(checkpoint, tmp_path):
    extra = list(EXTRA)
    cli = RecordingPulumiCliDouble(
        {"phase1": stack_as(checkpoint, "phase1", "phase1"), "phase2": _phase2(checkpoint, extra)}
    )
    cli.stacks["phase1"]["deployment"]["resources"] = cli.stacks["phase1"]["deployment"]["resources"][:1]
    with pytest.raises(PromotionRefusedError) as refused:
        promote(cli, _request(tmp_path, "demote", "phase2", "phase1", _demote_diff(extra)), lambda _: None)
    problems = "\n".join(refused.value.problems)
    assert f"refusing to delete aws:sqs/queue:Queue {UPPER}aws:sqs/queue:Queue::queues-emails" in problems
    assert f"--confirm-delete '{UPPER}aws:rds/instance:Instance::db-replica-0'" in problems
    assert f"--confirm-delete '{UPPER}aws:cloudwatch/logGroup:LogGroup::db-replica-0-log-postgresql'" in problems
    assert "confirm with --delete-derivable" in problems
    assert {op for op, _ in cli.calls} <= {"whoami", "stack_exists", "export"}


@pytest.mark.parametrize("yes", [False, True], ids=["dry-run", "yes"])
def test_demote_deletes_confirmed_derivable_resources_unprotecting_exactly_those(checkpoint, tmp_path, yes):
    extra = ["replica", "replica-log", "alarm"]
    lower = copy.deepcopy(checkpoint)
    lower["deployment"]["resources"] = lower["deployment"]["resources"][:1]
    cli = RecordingPulumiCliDouble({"phase1": lower, "phase2": _phase2(checkpoint, extra)}, plan=_deleting(extra))
    confirm = (f"{UPPER}aws:rds/instance:Instance::db-replica-0",
               f"{UPPER}aws:cloudwatch/logGroup:LogGroup::db-replica-0-log-postgresql")  # fmt: skip
    request = _request(tmp_path, "demote", "phase2", "phase1", _demote_diff(extra), yes, confirm_delete=confirm,
                       delete_derivable=True)  # fmt: skip
    result = promote(cli, request, lambda _: None)
    unprotected = [stack for op, stack in cli.calls if op == "state_unprotect"]
    if not yes:
        assert unprotected == [] and cli.holding() == ["phase2"] and result.lives_in == "phase2"
        return
    assert unprotected == ["phase1", "phase1"]  # the replica and its log group; not the database, not the alarm
    names = [r["urn"].rsplit("::", 1)[-1] for r in cli.stacks["phase1"]["deployment"]["resources"]]
    assert not {"db-replica-0", "db-replica-0-log-postgresql", "db-replica-lag"} & set(names)
    db = next(r for r in cli.stacks["phase1"]["deployment"]["resources"] if r["urn"].endswith("::db-primary"))
    assert db["protect"] is True and cli.holding() == ["phase1"] and result.applied


def test_demote_gate_refuses_an_unconfirmed_delete_in_the_real_plan(checkpoint, tmp_path):
    lower = copy.deepcopy(checkpoint)
    lower["deployment"]["resources"] = lower["deployment"]["resources"][:1]
    cli = RecordingPulumiCliDouble({"phase1": lower, "phase2": _phase2(checkpoint, ["alarm"])},
                                   plan=_deleting(["alarm", "replica"]))  # fmt: skip
    cli.stacks["phase2"] = _phase2(checkpoint, ["alarm", "replica"])
    request = _request(tmp_path, "demote", "phase2", "phase1", _demote_diff(["alarm"]), delete_derivable=True)
    with pytest.raises(PromotionError, match="db-replica-0 would be deleted but was not confirmed"):
        promote(cli, request, lambda _: None)
    assert cli.holding() == ["phase2"] and "up" not in [op for op, _ in cli.calls]

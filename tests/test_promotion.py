"""Promotion: URN rewriting of real checkpoint exports, preconditions, and the move's orchestration."""

from __future__ import annotations

import copy
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from infra.diff import Change, PromotionDiff, Refusal, parse_urn
from infra.promotion import (
    AutomationBackend,
    PromotionError,
    PromotionRefusedError,
    check_preconditions,
    demote,
    empty_deployment,
    promote,
    rename_urn,
    resource_urns,
    rewrite_deployment,
)

FIXTURE = Path(__file__).parent / "fixtures" / "checkpoint_phase1.json"
SAFE = PromotionDiff(changes=[], unsafe=[])


@pytest.fixture
def checkpoint() -> dict[str, Any]:
    """A realistic `pulumi stack export` of stack phase1 (secrets encrypted)."""
    return json.loads(FIXTURE.read_text())


def _with_pending(checkpoint: dict[str, Any]) -> dict[str, Any]:
    pending = copy.deepcopy(checkpoint)
    db = next(r for r in pending["deployment"]["resources"] if r["type"] == "aws:rds/instance:Instance")
    pending["deployment"]["pending_operations"] = [{"resource": copy.deepcopy(db), "type": "updating"}]
    return pending


def _urn_values(resource: dict[str, Any]) -> list[str]:
    """Every URN a resource state refers to, outside its inputs and outputs."""
    urns = [resource[k] for k in ("urn", "parent", "deletedWith") if resource.get(k)]
    urns += [u for k in ("dependencies", "aliases") for u in resource.get(k) or []]
    urns += [u for deps in (resource.get("propertyDependencies") or {}).values() for u in deps]
    if resource.get("provider"):
        urns.append(resource["provider"].rpartition("::")[0])
    return urns


def _unsafe_diff() -> PromotionDiff:
    change = Change("urn:pulumi:phase2::platform::aws:rds/instance:Instance::db", "aws:rds/instance:Instance", "db",
                    "replace", ["engine"], ["engine"], stateful=True, protect=True)  # fmt: skip
    return PromotionDiff([change], [Refusal(change, "db would be replaced by engine", "keep engine")])


# --- URN rewriting -------------------------------------------------------------------------------


def test_rename_urn_moves_the_stack_segment_and_renames_only_the_root_stack_resource():
    root = "urn:pulumi:phase1::platform::pulumi:pulumi:Stack::platform-phase1"
    assert rename_urn(root, "platform", "phase1", "phase2") == (
        "urn:pulumi:phase2::platform::pulumi:pulumi:Stack::platform-phase2"
    )
    logs = "urn:pulumi:phase1::platform::aws:cloudwatch/logGroup:LogGroup::platform-phase1-logs"
    assert rename_urn(logs, "platform", "phase1", "phase2").endswith("::platform-phase1-logs")
    other_project = "urn:pulumi:phase1::other::aws:s3/bucket:Bucket::b"
    assert rename_urn(other_project, "platform", "phase1", "phase2") == other_project


def test_every_urn_is_moved_to_the_target_stack(checkpoint):
    moved = rewrite_deployment(checkpoint, "platform", "phase1", "phase2")
    resources = moved["deployment"]["resources"]
    urns = [u for r in resources for u in _urn_values(r)]
    assert len(urns) > len(resources) * 2
    assert all(parse_urn(u)[0] == "phase2" for u in urns)
    assert resources[0]["urn"] == "urn:pulumi:phase2::platform::pulumi:pulumi:Stack::platform-phase2"
    assert all(r.get("parent") in (None, resources[0]["urn"]) for r in resources if "$" not in r["urn"])
    assert "urn:pulumi:phase1" not in json.dumps([_urn_values(r) for r in resources])


def test_nothing_but_urns_changes(checkpoint):
    moved = rewrite_deployment(checkpoint, "platform", "phase1", "phase2")
    assert rewrite_deployment(moved, "platform", "phase2", "phase1") == checkpoint
    for before, after in zip(checkpoint["deployment"]["resources"], moved["deployment"]["resources"], strict=True):
        assert set(before) == set(after)
        for key in ("inputs", "outputs", "id", "type", "protect", "custom", "additionalSecretOutputs"):
            assert before.get(key) == after.get(key)
    assert moved["deployment"]["manifest"] == checkpoint["deployment"]["manifest"]
    assert moved["deployment"]["secrets_providers"] == checkpoint["deployment"]["secrets_providers"]
    # Data that merely mentions the stack (an output, a tag, a logical name) is left alone.
    stack_outputs = moved["deployment"]["resources"][0]["outputs"]
    assert "urn:pulumi:phase1::platform::pulumi:pulumi:Stack::platform-phase1" in stack_outputs["note"]
    assert moved["deployment"]["resources"][-1]["urn"].endswith("::platform-phase1-logs")


def test_secret_values_stay_encrypted_and_untouched(checkpoint):
    moved = rewrite_deployment(checkpoint, "platform", "phase1", "phase2")
    db = next(r for r in moved["deployment"]["resources"] if r["type"] == "aws:rds/instance:Instance")
    secret = db["outputs"]["password"]
    assert secret["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"
    assert secret["ciphertext"].startswith("v1:") and "plaintext" not in secret


def test_round_trip_is_identity_and_input_is_not_mutated(checkpoint):
    pristine = copy.deepcopy(checkpoint)
    there = rewrite_deployment(checkpoint, "platform", "phase1", "phase3")
    assert checkpoint == pristine
    assert rewrite_deployment(there, "platform", "phase3", "phase1") == pristine
    assert rewrite_deployment(checkpoint, "platform", "phase1", "phase1") == pristine


def test_provider_references_keep_their_id(checkpoint):
    moved = rewrite_deployment(checkpoint, "platform", "phase1", "phase2")
    refs = {r["provider"] for r in moved["deployment"]["resources"] if r.get("provider")}
    assert refs == {
        "urn:pulumi:phase2::platform::pulumi:providers:aws::aws-us-east-1::6f1d2a7e-3b1c-4f0e-9a55-0c8f3a1b2d4e"
    }


def test_dependencies_property_dependencies_aliases_and_deleted_with_are_rewritten(checkpoint):
    moved = rewrite_deployment(checkpoint, "platform", "phase1", "phase2")
    by_type = {r["type"].rsplit(":", 1)[-1]: r for r in moved["deployment"]["resources"]}
    bucket_urn = by_type["Bucket"]["urn"]
    assert by_type["BucketServerSideEncryptionConfiguration"]["propertyDependencies"]["bucket"] == [bucket_urn]
    assert by_type["BucketPolicy"]["deletedWith"] == bucket_urn
    assert by_type["Instance"]["aliases"] == ["urn:pulumi:phase2::platform::aws:rds/instance:Instance::db-primary"]
    assert by_type["Instance"]["propertyDependencies"]["identifier"] == []


def test_pending_operations_are_rewritten_too(checkpoint):
    moved = rewrite_deployment(_with_pending(checkpoint), "platform", "phase1", "phase2")
    op = moved["deployment"]["pending_operations"][0]
    assert op["type"] == "updating"
    assert all(parse_urn(u)[0] == "phase2" for u in _urn_values(op["resource"]))


def test_resources_of_another_stack_are_rejected(checkpoint):
    with pytest.raises(ValueError, match="not of stack platform/phase2"):
        rewrite_deployment(checkpoint, "platform", "phase2", "phase3")


def test_empty_deployment_keeps_the_stack_identity_and_manages_nothing(checkpoint):
    source = _with_pending(checkpoint)
    pristine = copy.deepcopy(source)
    empty = empty_deployment(source)
    assert empty["version"] == 3
    assert empty["deployment"]["resources"] == [] and "pending_operations" not in empty["deployment"]
    assert empty["deployment"]["secrets_providers"] == checkpoint["deployment"]["secrets_providers"]
    # The export it was made from is left as it was: resources, pending operations and all.
    assert source == pristine and resource_urns(source)


# --- preconditions -------------------------------------------------------------------------------


def test_preconditions_pass_for_a_new_or_empty_target(checkpoint):
    only_stack = copy.deepcopy(checkpoint)
    only_stack["deployment"]["resources"] = only_stack["deployment"]["resources"][:1]
    assert check_preconditions(checkpoint, None, SAFE) == []
    assert check_preconditions(checkpoint, only_stack, SAFE) == []
    assert check_preconditions(checkpoint, empty_deployment(checkpoint), SAFE) == []


def test_preconditions_list_every_problem(checkpoint):
    old = copy.deepcopy(checkpoint) | {"version": 2}
    problems = check_preconditions(_with_pending(checkpoint), old, _unsafe_diff())
    assert any("pending operations" in p and "updating" in p for p in problems)
    assert any(p.startswith("target stack is not empty (9 resources") for p in problems)
    assert any("version 2" in p for p in problems)
    assert "unsafe change: db would be replaced by engine. Way out: keep engine" in problems
    assert check_preconditions(empty_deployment(checkpoint), None, SAFE) == [
        "source stack manages no resources: nothing to move (is the environment in another phase?)"
    ]


# --- orchestration -------------------------------------------------------------------------------


class RecordingStateBackendDouble:
    """Test double of ``StateBackend``: stacks held in memory, every call recorded, failures on demand.

    ``fail_on`` maps ``(operation, stack)`` to the occurrence (1-based) that raises; ``lossy_stack``
    silently drops a resource on import into that stack, so verification must catch it.
    """

    def __init__(self, stacks, backup_dir: Path, fail_on=None, lossy_stack: str | None = None):
        self.stacks = copy.deepcopy(stacks)
        self.backup_dir = backup_dir
        self.fail_on = fail_on or {}
        self.lossy_stack = lossy_stack
        self.calls: list[tuple[str, str]] = []
        self.backups_at_first_write: list[Path] | None = None

    def _record(self, operation: str, stack: str, write: bool = False) -> None:
        self.calls.append((operation, stack))
        if write and self.backups_at_first_write is None:
            self.backups_at_first_write = sorted(self.backup_dir.glob("*.json"))
        if self.fail_on.get((operation, stack)) == self.calls.count((operation, stack)):
            raise RuntimeError(f"{operation} {stack}: backend unavailable")

    def stack_exists(self, stack):
        self._record("stack_exists", stack)
        return stack in self.stacks

    def export(self, stack):
        self._record("export", stack)
        return copy.deepcopy(self.stacks[stack])

    def import_(self, stack, deployment):
        self._record("import_", stack, write=True)
        self.stacks[stack] = copy.deepcopy(dict(deployment))
        if stack == self.lossy_stack:
            self.stacks[stack]["deployment"]["resources"].pop()

    def create(self, stack):
        self._record("create", stack, write=True)
        self.stacks[stack] = {"version": 3, "deployment": {"manifest": {}, "resources": []}}

    def preview(self, stack):
        self._record("preview", stack)
        return f"Previewing update ({stack}): 10 unchanged"

    def up(self, stack):
        self._record("up", stack, write=True)
        return f"Updating ({stack}): 10 unchanged"


def _promote(backend, src="phase1", dst="phase2", diff=SAFE, yes=True, log=None):
    lines = [] if log is None else log
    return promote(backend, src, dst, diff=diff, yes=yes, backup_dir=backend.backup_dir, log=lines.append)


def test_promote_moves_state_in_the_exact_order(checkpoint, tmp_path):
    backend = RecordingStateBackendDouble({"phase1": checkpoint}, tmp_path)
    log: list[str] = []
    result = _promote(backend, log=log)
    assert backend.calls == [
        ("stack_exists", "phase1"), ("export", "phase1"), ("stack_exists", "phase2"), ("create", "phase2"),
        ("import_", "phase2"), ("export", "phase2"), ("import_", "phase1"), ("preview", "phase2"), ("up", "phase2"),
    ]  # fmt: skip
    assert backend.stacks["phase2"] == rewrite_deployment(checkpoint, "platform", "phase1", "phase2")
    assert backend.stacks["phase1"] == empty_deployment(checkpoint)
    assert (result.source, result.target, result.moved, result.applied) == ("phase1", "phase2", 10, True)
    assert result.preview.startswith("Previewing update (phase2)") and result.up_output.startswith("Updating")
    assert json.loads(result.backup.read_text()) == checkpoint
    assert stat.S_IMODE(result.backup.stat().st_mode) == 0o600
    assert any("now lives in phase2" in line for line in log)


def test_backup_is_written_before_anything_changes(checkpoint, tmp_path):
    backend = RecordingStateBackendDouble({"phase1": checkpoint}, tmp_path)
    result = _promote(backend)
    assert backend.backups_at_first_write == [result.backup]


def test_without_yes_the_state_moves_but_up_never_runs(checkpoint, tmp_path):
    only_stack = copy.deepcopy(checkpoint)
    only_stack["deployment"]["resources"] = []
    backend = RecordingStateBackendDouble({"phase1": checkpoint, "phase2": only_stack}, tmp_path)
    result = _promote(backend, yes=False)
    assert ("up", "phase2") not in backend.calls and ("create", "phase2") not in backend.calls
    assert backend.calls[-1] == ("preview", "phase2")
    assert (result.applied, result.up_output) == (False, None)
    assert resource_urns(backend.stacks["phase2"]) == resource_urns(
        rewrite_deployment(checkpoint, "platform", "phase1", "phase2")
    )


# Each refusal, and the problem it must name.
REFUSALS = {
    "non-empty target": "target stack is not empty",
    "pending operations": "source stack has pending operations",
    "unsafe diff": "unsafe change: db would be replaced by engine",
    "missing source": "source stack phase1 does not exist",
    "foreign resource": "not of stack platform/phase1",
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusals_write_nothing(checkpoint, tmp_path, case):
    stacks = {"phase1": checkpoint}
    diff = SAFE
    if case == "non-empty target":
        stacks["phase2"] = rewrite_deployment(checkpoint, "platform", "phase1", "phase2")
    elif case == "pending operations":
        stacks["phase1"] = _with_pending(checkpoint)
    elif case == "unsafe diff":
        diff = _unsafe_diff()
    elif case == "foreign resource":
        stacks["phase1"] = copy.deepcopy(checkpoint)
        stacks["phase1"]["deployment"]["resources"][-1]["urn"] = "urn:pulumi:phase9::platform::aws:s3/bucket:Bucket::b"
    else:
        stacks = {"phase2": empty_deployment(checkpoint)}
    backend = RecordingStateBackendDouble(stacks, tmp_path)
    with pytest.raises(PromotionRefusedError) as refused:
        _promote(backend, diff=diff)
    assert any(REFUSALS[case] in problem for problem in refused.value.problems), refused.value.problems
    assert {op for op, _ in backend.calls} <= {"stack_exists", "export"}
    assert backend.stacks == stacks and list(tmp_path.iterdir()) == []


def test_failure_emptying_the_source_restores_the_target(checkpoint, tmp_path):
    backend = RecordingStateBackendDouble({"phase1": checkpoint}, tmp_path, fail_on={("import_", "phase1"): 1})
    with pytest.raises(PromotionError, match="could not empty phase1 .*phase2 restored"):
        _promote(backend)
    assert backend.stacks["phase1"] == checkpoint
    assert resource_urns(backend.stacks["phase2"]) == []
    assert backend.calls[-2:] == [("import_", "phase1"), ("import_", "phase2")]
    assert ("preview", "phase2") not in backend.calls


def test_failure_to_restore_says_both_stacks_hold_the_environment(checkpoint, tmp_path):
    fail_on = {("import_", "phase1"): 1, ("import_", "phase2"): 2}
    backend = RecordingStateBackendDouble({"phase1": checkpoint}, tmp_path, fail_on=fail_on)
    with pytest.raises(PromotionError, match="BOTH stacks") as error:
        _promote(backend)
    assert str(next(tmp_path.glob("*.json"))) in str(error.value)


def test_a_lossy_import_is_caught_and_rolled_back(checkpoint, tmp_path):
    backend = RecordingStateBackendDouble({"phase1": checkpoint}, tmp_path, lossy_stack="phase2")
    with pytest.raises(PromotionError, match="phase2 holds 9 resources after import, not 10"):
        _promote(backend)
    assert backend.stacks["phase1"] == checkpoint
    assert resource_urns(backend.stacks["phase2"]) == []
    assert ("import_", "phase1") not in backend.calls


def test_a_failed_rollback_of_the_target_is_reported(checkpoint, tmp_path):
    fail_on = {("import_", "phase2"): 2}
    backend = RecordingStateBackendDouble({"phase1": checkpoint}, tmp_path, fail_on=fail_on, lossy_stack="phase2")
    with pytest.raises(PromotionError, match=r"phase1 still manages everything; clear phase2 \(resources: \[\]\)"):
        _promote(backend)
    assert backend.stacks["phase1"] == checkpoint


def test_demote_is_promotion_in_reverse(checkpoint, tmp_path):
    upper = rewrite_deployment(checkpoint, "platform", "phase1", "phase2")
    backend = RecordingStateBackendDouble({"phase1": empty_deployment(checkpoint), "phase2": upper}, tmp_path)
    result = demote(backend, "phase1", "phase2", diff=SAFE, yes=False, backup_dir=tmp_path, log=lambda _: None)
    assert (result.source, result.target) == ("phase2", "phase1")
    assert backend.stacks["phase1"] == checkpoint
    assert resource_urns(backend.stacks["phase2"]) == []


# --- the real backend, against a recording double of the Pulumi CLI ------------------------------


class RecordingPulumiCommandDouble:
    """Test double of ``pulumi.automation.PulumiCommand``: records argv, answers from canned output."""

    def __init__(self, outputs: dict[str, str], fail: str | None = None):
        self.outputs = outputs
        self.fail = fail
        self.calls: list[list[str]] = []
        self.files: dict[str, str] = {}

    def run(self, args, cwd, additional_env, on_output=None, on_error=None):
        self.calls.append(list(args))
        if "--file" in args:
            path = args[args.index("--file") + 1]
            self.files[path] = Path(path).read_text()
        if self.fail and self.fail in args:
            raise auto.CommandError(auto.CommandResult("", "error: boom", 255))
        return auto.CommandResult(self.outputs.get(" ".join(args[:2]), ""), "", 0)


def _backend(tmp_path, command) -> AutomationBackend:
    return AutomationBackend(workspace=auto.LocalWorkspace(work_dir=str(tmp_path), pulumi_command=command))


def test_export_keeps_secrets_encrypted(checkpoint, tmp_path):
    command = RecordingPulumiCommandDouble({"stack export": json.dumps(checkpoint)})
    assert _backend(tmp_path, command).export("phase1") == checkpoint
    assert command.calls == [["stack", "export", "--stack", "phase1"]]


@pytest.mark.parametrize("fail", [None, "import"])
def test_import_uses_a_temporary_file_that_is_always_removed(checkpoint, tmp_path, fail):
    command = RecordingPulumiCommandDouble({}, fail=fail)
    backend = _backend(tmp_path, command)
    if fail:
        with pytest.raises(auto.CommandError):
            backend.import_("phase2", checkpoint)
    else:
        backend.import_("phase2", checkpoint)
    [args] = command.calls
    path = args[3]
    assert args == ["stack", "import", "--file", path, "--stack", "phase2"]
    assert json.loads(command.files[path]) == checkpoint
    assert not Path(path).exists()


def test_stack_listing_and_creation_go_through_the_cli(tmp_path):
    listing = json.dumps([{"name": "acme/phase1", "current": True}, {"name": "phase3", "current": False}])
    command = RecordingPulumiCommandDouble({"stack ls": listing})
    backend = _backend(tmp_path, command)
    assert [backend.stack_exists(s) for s in ("phase1", "phase2", "phase3")] == [True, False, True]
    backend.create("phase2")
    assert command.calls[-1] == ["stack", "init", "phase2"]

"""``RecordingPulumiCliDouble``: a test double of the Pulumi CLI for :mod:`infra.promotion.move`.

Stacks are ``pulumi stack export`` documents held in memory; ``state_move`` follows what
``pulumi state move`` does (pkg/cmd/pulumi/state/state_move.go): it refuses provider URNs, moves
the given resources with their stack segment renamed, *copies* the providers they use (the
originals stay in the source), leaves the root stack resource in the source, creates one in the
destination if missing, and refuses a provider of the same URN with another ID and other inputs.
Every call is recorded; ``fail_on``/``interrupt_on`` map ``(operation, stack)`` to the occurrence
(1-based) that fails (``RuntimeError``) or is interrupted (:class:`Interrupted` before the call).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.promotion.pulumi_cli import Interrupted, NotLoggedInError

PROVIDER = "pulumi:providers:"
ROOT = "pulumi:pulumi:Stack"


def rename(value: str, src: str, dst: str) -> str:
    """A URN (or provider reference) of stack ``src`` as one of ``dst``; the root stack renamed too."""
    value = value.replace(f"urn:pulumi:{src}::", f"urn:pulumi:{dst}::", 1)
    return value.replace(f"{ROOT}::platform-{src}", f"{ROOT}::platform-{dst}")


def move_resource(resource: dict[str, Any], src: str, dst: str) -> dict[str, Any]:
    """``resource`` as state move writes it into ``dst``."""
    moved = copy.deepcopy(resource)
    for key in ("urn", "parent", "provider", "deletedWith"):
        if moved.get(key):
            moved[key] = rename(moved[key], src, dst)
    for key in ("dependencies", "aliases"):
        if moved.get(key):
            moved[key] = [rename(u, src, dst) for u in moved[key]]
    if moved.get("propertyDependencies"):
        moved["propertyDependencies"] = {
            k: [rename(u, src, dst) for u in v] for k, v in moved["propertyDependencies"].items()
        }
    return moved


def stack_as(export: dict[str, Any], src: str, dst: str) -> dict[str, Any]:
    """A whole export of stack ``src`` as if it had always been ``dst``'s."""
    result = copy.deepcopy(export)
    result["deployment"]["resources"] = [move_resource(r, src, dst) for r in export["deployment"]["resources"]]
    return result


def sames(stack: str, state: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A preview (digest, plan) in which nothing changes."""
    resources = state["deployment"].get("resources") or []
    plan = {"manifest": state["deployment"]["manifest"], "resourcePlans": {}}
    for r in resources:
        goal = {"type": r["type"], "name": r["urn"].rsplit("::", 1)[-1], "custom": r["custom"],
                "protect": bool(r.get("protect"))}  # fmt: skip
        plan["resourcePlans"][r["urn"]] = {"goal": goal, "steps": ["same"], "state": {}}
    digest = {"steps": [{"op": "same", "urn": r["urn"]} for r in resources], "changeSummary": {"same": len(resources)}}
    return digest, plan


class RecordingPulumiCliDouble:
    """Test double of :class:`infra.promotion.pulumi_cli.PulumiCli` (see the module docstring)."""

    def __init__(
        self,
        stacks: dict[str, dict[str, Any]],
        *,
        fail_on: dict[tuple[str, str], int] | None = None,
        interrupt_on: dict[tuple[str, str], int] | None = None,
        plan: Callable[[str, dict[str, Any]], tuple[dict, dict]] = sames,
        logged_in: bool = True,
    ) -> None:
        self.stacks = copy.deepcopy(stacks)
        self.fail_on = dict(fail_on or {})
        self.interrupt_on = dict(interrupt_on or {})
        self.plan = plan
        self.logged_in = logged_in
        self.calls: list[tuple[str, str]] = []
        self.hooks: dict[tuple[str, str, int], Callable[[], None]] = {}
        self.partial_move = False  # state move saves the destination, then fails to save the source
        self.lossy_move = False  # state move silently drops one resource

    def _record(self, operation: str, stack: str) -> None:
        self.calls.append((operation, stack))
        count = self.calls.count((operation, stack))
        if hook := self.hooks.get((operation, stack, count)):
            hook()
        if self.interrupt_on.get((operation, stack)) == count:
            raise Interrupted("SIGTERM")
        if self.fail_on.get((operation, stack)) == count:
            raise RuntimeError(f"{operation} {stack}: backend unavailable")

    def whoami(self) -> str:
        self._record("whoami", "")
        if not self.logged_in:
            stderr = "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n"
            raise NotLoggedInError(["whoami", "--json"], 255, stderr)
        return "ops at https://api.pulumi.com"

    def stack_exists(self, stack: str) -> bool:
        self._record("stack_exists", stack)
        return stack in self.stacks

    def create(self, stack: str) -> None:
        self._record("create", stack)
        some = next(iter(self.stacks.values()))["deployment"]
        self.stacks[stack] = {"version": 3, "deployment": {"manifest": copy.deepcopy(some["manifest"]),
                              "secrets_providers": copy.deepcopy(some["secrets_providers"])}}  # fmt: skip

    def export(self, stack: str) -> dict[str, Any]:
        self._record("export", stack)
        if stack not in self.stacks:
            raise RuntimeError(f"no stack named '{stack}' found")
        return copy.deepcopy(self.stacks[stack])

    def state_move(self, source: str, dest: str, urns: list[str]) -> str:
        self._record("state_move", source)
        src, dst = self.stacks[source]["deployment"], self.stacks[dest]["deployment"]
        src_resources, dst_resources = src.get("resources") or [], list(dst.get("resources") or [])
        if any(PROVIDER in u for u in urns):
            raise RuntimeError("cannot move providers. Only resources can be moved")
        moving = [r for r in src_resources if r["urn"] in urns and r["type"] != ROOT]
        if not any(r["type"] == ROOT for r in dst_resources):
            root = {"urn": f"urn:pulumi:{dest}::platform::{ROOT}::platform-{dest}", "custom": False, "type": ROOT}
            dst_resources.insert(0, root)
        by_urn = {r["urn"]: r for r in dst_resources}
        for ref in {r["provider"] for r in moving if r.get("provider")}:
            provider = next(r for r in src_resources if f"{r['urn']}::{r.get('id')}" == ref)
            copied = move_resource(provider, source, dest)
            existing = by_urn.get(copied["urn"])
            if existing and existing.get("id") != copied["id"] and existing.get("inputs") != copied.get("inputs"):
                raise RuntimeError(f"provider {copied['urn']} already exists in destination stack")
            if not existing:
                dst_resources.append(copied)
        dst_resources += [move_resource(r, source, dest) for r in moving]
        if self.lossy_move:
            dst_resources.pop()
        dst["resources"] = dst_resources
        if self.partial_move:
            raise RuntimeError("failed to save source snapshot: connection reset")
        src["resources"] = [r for r in src_resources if r not in moving]
        return "Successfully moved resources"

    def state_delete(self, stack: str, urn: str) -> None:
        self._record("state_delete", stack)
        deployment = self.stacks[stack]["deployment"]
        users = [r["urn"] for r in deployment["resources"] if (r.get("provider") or "").startswith(urn + "::")]
        if users:
            raise RuntimeError(f"{urn} can't be safely deleted because the following resources depend on it")
        deployment["resources"] = [r for r in deployment["resources"] if r["urn"] != urn]

    def state_unprotect(self, stack: str, urn: str) -> None:
        self._record("state_unprotect", stack)
        for r in self.stacks[stack]["deployment"]["resources"]:
            if r["urn"] == urn:
                r["protect"] = False
                return
        raise RuntimeError(f"No such resource {urn!r} exists in the current state")

    def preview(self, stack: str, plan_file: Path) -> tuple[dict, dict]:
        self._record("preview", stack)
        assert plan_file.parent.is_dir() and oct(plan_file.parent.stat().st_mode)[-3:] == "700"
        self.plan_file = plan_file
        return self.plan(stack, copy.deepcopy(self.stacks[stack]))

    def up(self, stack: str, plan_file: Path) -> str:
        self._record("up", stack)
        assert plan_file == self.plan_file, "up must run the plan the preview saved"
        deployment = self.stacks[stack]["deployment"]
        planned = self.plan(stack, copy.deepcopy(self.stacks[stack]))[1]["resourcePlans"]
        deleted = {u for u, p in planned.items() if "delete" in p["steps"]}
        protected = [u for u in deleted if any(r["urn"] == u and r.get("protect") for r in deployment["resources"])]
        if protected:
            raise RuntimeError(f'resource "{protected[0]}" cannot be deleted because it is protected')
        deployment["resources"] = [r for r in deployment["resources"] if r["urn"] not in deleted]
        return f"Updating ({stack}): {len(deleted)} deleted"

    def holding(self) -> list[str]:
        """The stacks that manage resources (root stack and providers aside)."""
        return sorted(
            name
            for name, export in self.stacks.items()
            if any(r["type"] != ROOT and PROVIDER not in r["type"] for r in export["deployment"].get("resources") or [])
        )

"""The last judge of a move: the saved plan of a real ``pulumi preview`` (SPEC §4 decision 8).

``pulumi preview --save-plan FILE --json`` writes two documents, both read here:

- the plan file, ``apitype.DeploymentPlanV1``: ``{"manifest", "config", "resourcePlans": {URN:
  {"goal": {"type", "name", "custom", "protect", ...} | absent for deletes, "steps": [OpType, ...],
  "state"}}}`` (pulumi/pulumi sdk/go/common/apitype/plan.go, written by pkg/cmd/pulumi/plan/plan.go).
  ``pulumi up --plan FILE`` refuses any operation beyond it, so it is what the update will do;
- stdout, ``display.PreviewDigest``: ``{"steps": [{"op", "urn", "oldState", "newState",
  "replaceReasons", "diffReasons", ...}], "changeSummary", "diagnostics"}`` (pkg/display/json.go),
  used for the reasons and as a second source of operations (the union of both is gated).

Operations are ``apitype.OpType`` strings (sdk/go/common/apitype/history.go). The gate refuses an
operation it does not know, any replacement or deletion of a stateful or protected resource that
is not a confirmed derivable delete, and any replacement or deletion the offline diff did not
predict. Creates and updates the diff did not predict are reported, not refused: mocks cannot
know provider-computed defaults, so real in-place updates routinely differ from the prediction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.offline.diff import PromotionDiff, parse_urn, stackless_urn
from infra.offline.forcenew import is_stateful

STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"
#: Steps that destroy the resource as it is (``replace`` is the logical step of a replacement).
DESTRUCTIVE = frozenset({"replace", "create-replacement", "delete-replaced", "delete", "import-replacement"})
#: Every ``apitype.OpType`` the engine emits; anything else is refused as unknown.
KNOWN = DESTRUCTIVE | frozenset(
    {"same", "create", "update", "read", "read-replacement", "refresh", "discard", "discard-replaced",
     "remove-pending-replace", "import"}
)  # fmt: skip


def urn_type(urn: str) -> str:
    """The resource type of ``urn`` (the last ``$``-separated segment of its type chain)."""
    return parse_urn(urn)[2].rsplit("$", 1)[-1]


def state_by_key(export: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Resources of a ``pulumi stack export`` keyed by stackless URN."""
    resources = ((export or {}).get("deployment") or {}).get("resources") or []
    return {stackless_urn(r["urn"]): r for r in resources}


@dataclass(frozen=True)
class PlannedChange:
    """What the real plan does to one resource."""

    urn: str
    type: str
    ops: tuple[str, ...]
    custom: bool = True
    protect: bool = False
    reasons: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Stackless URN: the resource's identity across stacks."""
        return stackless_urn(self.urn)

    @property
    def action(self) -> str:
        """create / update / replace / delete / same (or the single unusual op, e.g. ``read``)."""
        ops = set(self.ops)
        if ops & {"replace", "create-replacement", "delete-replaced", "import-replacement"}:
            return "replace"
        for action in ("delete", "create", "update", "import"):
            if action in ops:
                return action
        return "same" if ops <= {"same"} else sorted(ops)[0]


def planned_changes(
    plan: Mapping[str, Any], digest: Mapping[str, Any] | None, state: Mapping[str, Any] | None
) -> list[PlannedChange]:
    """Every resource of the saved plan (and of the preview digest), with type and protect resolved.

    Deleted resources have no goal in the plan: their type comes from the URN and their protect
    flag from ``state``, the target's ``pulumi stack export`` the preview ran against.
    """
    known = state_by_key(state)
    ops: dict[str, list[str]] = {}
    goals: dict[str, Mapping[str, Any]] = {}
    reasons: dict[str, list[str]] = {}
    for urn, resource_plan in (plan.get("resourcePlans") or {}).items():
        ops.setdefault(urn, []).extend(resource_plan.get("steps") or [])
        if resource_plan.get("goal"):
            goals[urn] = resource_plan["goal"]
    for step in (digest or {}).get("steps") or []:
        ops.setdefault(step["urn"], []).append(step["op"])
        reasons.setdefault(step["urn"], []).extend(step.get("replaceReasons") or step.get("diffReasons") or [])
    changes = []
    for urn, steps in ops.items():
        old = known.get(stackless_urn(urn), {})
        goal = goals.get(urn, {})
        changes.append(
            PlannedChange(
                urn,
                goal.get("type") or old.get("type") or urn_type(urn),
                tuple(dict.fromkeys(steps)),
                bool(goal.get("custom", old.get("custom", True))),
                bool(goal.get("protect")) or bool(old.get("protect")),
                tuple(dict.fromkeys(reasons.get(urn, []))),
            )
        )
    return changes


@dataclass
class GateResult:
    """The verdict on a real plan: ``refusals`` empty means ``up`` may run it."""

    changes: list[PlannedChange]
    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing in the plan is refused."""
        return not self.refusals

    def counts(self) -> dict[str, int]:
        """Number of resources per action."""
        result: dict[str, int] = {}
        for change in self.changes:
            result[change.action] = result.get(change.action, 0) + 1
        return result


def predicted_actions(diff: PromotionDiff) -> dict[str, str]:
    """The offline diff's action per stackless URN (new and old URN both map to it)."""
    result = {}
    for change in diff.changes:
        for urn in filter(None, (change.urn, change.old_urn)):
            result[stackless_urn(urn)] = change.action
    return result


def gate(
    changes: Iterable[PlannedChange], diff: PromotionDiff, *, confirmed_deletes: frozenset[str] | None = None
) -> GateResult:
    """Judge the real plan against the offline diff.

    ``confirmed_deletes`` (stackless URNs) is ``None`` for a promotion: predicted deletes of
    unguarded resources pass. For a demotion it is the set the operator confirmed; every delete
    must be in it, and a confirmed delete of a stateful or protected resource passes (the caller
    has checked it is derivable).
    """
    result = GateResult(list(changes))
    predicted = predicted_actions(diff)
    for change in result.changes:
        unknown = [op for op in change.ops if op not in KNOWN]
        if unknown:
            result.refusals.append(f"{change.urn}: operation {', '.join(unknown)} is unknown to this tool")
            continue
        if change.type == STACK_TYPE or change.type.startswith(PROVIDER_PREFIX) or not change.custom:
            continue  # no cloud object of its own; what a provider change does shows on its resources
        expected = predicted.get(change.key)
        if change.action not in ("replace", "delete"):
            if change.action != "same" and expected != change.action:
                result.warnings.append(f"{change.action} {change.urn} (offline diff: {expected or 'not listed'})")
            continue
        why = f" ({', '.join(change.reasons)})" if change.reasons else ""
        if change.action == "delete" and confirmed_deletes is not None:
            if change.key not in confirmed_deletes:
                result.refusals.append(f"{change.urn} would be deleted but was not confirmed")
            continue
        guard = [label for label, on in (("stateful", is_stateful(change.type)), ("protected", change.protect)) if on]
        if guard:
            result.refusals.append(f"{' and '.join(guard)} {change.urn} would be {change.action}d{why}")
        elif expected != change.action:
            result.refusals.append(
                f"{change.urn} would be {change.action}d{why}; the offline diff predicted {expected or 'nothing'}"
            )
    return result

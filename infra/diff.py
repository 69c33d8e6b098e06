"""Promotion preview: what the next phase's program would do to an environment's existing resources.

Promotion moves one environment's state from stack ``phaseN`` to ``phaseN+1`` and then runs the
``phaseN+1`` program against it. This module predicts that run offline: it pairs the resources
of two mock runs (:func:`infra.harness.run_program`) by URN without the stack segment, compares
their inputs and classifies each as create / update / replace / delete / same, using the
force-new table of :mod:`infra.forcenew`. Replacing or deleting anything that holds data is
refused, with the reason and the way out.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.markup import escape
from rich.table import Table

from infra.forcenew import forcing_keys, is_stateful
from infra.harness import PlanResult, RecordedResource

#: Actions in the order reports list them.
ACTIONS = ("create", "update", "replace", "delete", "same")
#: Config key naming the environment; it must not change across a promotion (SPEC §4 decision 4).
ENVIRONMENT_KEY = "platform:name"
_URN_PREFIX = "urn:pulumi:"
_STYLES = {"create": "green", "update": "yellow", "replace": "bold magenta", "delete": "bold red", "same": "dim"}
_RESTORE_HINTS = {
    "aws:rds/instance:Instance": "take a manual DB snapshot (aws rds create-db-snapshot), create the new "
    "instance from it (snapshotIdentifier), cut clients over, then retire the old one",
    "aws:rds/cluster:Cluster": "take a cluster snapshot (aws rds create-db-cluster-snapshot) and restore "
    "the new cluster from it (snapshotIdentifier)",
    "aws:elasticache/replicationGroup:ReplicationGroup": "take a backup (aws elasticache create-snapshot) "
    "and seed the new group from it (snapshotName)",
    "aws:s3/bucket:Bucket": "create the new bucket next to the old one, copy the objects (S3 Batch "
    "Replication or aws s3 sync), switch readers and writers, then empty and retire the old bucket",
    "aws:sqs/queue:Queue": "stop producers, let consumers drain the queue, move dead letters back "
    "(aws sqs start-message-move-task), then switch to the new queue",
    "aws:kms/key:Key": "key material cannot be exported: keep the old key until everything encrypted "
    "under it has been re-encrypted under the new one",
    "aws:secretsmanager/secret:Secret": "copy the value into the new secret (get-secret-value, "
    "put-secret-value) and repoint its consumers before the old one is deleted",
    "aws:eks/cluster:Cluster": "back up cluster state (e.g. Velero), build the new cluster alongside "
    "and move workloads over",
    "aws:opensearch/domain:Domain": "take a manual snapshot to S3 and restore it into the new domain",
    "aws:msk/cluster:Cluster": "mirror the topics into the new cluster (MirrorMaker 2) before moving producers",
    "aws:kinesis/stream:Stream": "records cannot be moved: drain consumers and re-publish from the source",
}


#: Types that cannot be replaced while the environment runs, though they hold no data themselves:
#: why, and the way out. A subnet's replacement must reuse its CIDR, which the old subnet holds
#: until it is deleted, and it cannot be deleted while nodes, databases, load balancers or NAT
#: gateways have interfaces in it; its zone (``availabilityZone``/``availabilityZoneId``, both
#: ForceNew in terraform-provider-aws ``vpc_subnet.go``) is what usually changes.
_UNREPLACEABLE = {
    "aws:ec2/subnet:Subnet": (
        "a subnet cannot be replaced while the nodes, databases, load balancers and NAT gateways in it run",
        "keep the subnet's zone: an environment deployed by zone names keeps the legacy "
        "platform:regions[N].availabilityZones; to move it to availabilityZoneIds, list the IDs of the zones "
        "its subnets are in, in the same order (`aws ec2 describe-availability-zones --zone-names "
        "<names> --query 'AvailabilityZones[].[ZoneName,ZoneId]'`), then confirm with `pulumi preview "
        "--diff` that no subnet is replaced: this offline diff cannot see your account's zone mapping "
        "(docs/promotion.md, 'Zone IDs')",
    ),
}


def parse_urn(urn: str) -> tuple[str, str, str, str]:
    """Split ``urn:pulumi:STACK::PROJECT::TYPE::NAME`` into its four parts (the name may hold ``::``)."""
    if not urn.startswith(_URN_PREFIX):
        raise ValueError(f"not a Pulumi URN: {urn!r}")
    parts = urn[len(_URN_PREFIX) :].split("::", 3)
    if len(parts) != 4:
        raise ValueError(f"not a Pulumi URN: {urn!r}")
    return parts[0], parts[1], parts[2], parts[3]


def stackless_urn(urn: str) -> str:
    """``urn:pulumi:STACK::PROJECT::TYPE::NAME`` -> ``PROJECT::TYPE::NAME``: the identity across stacks."""
    _, project, type_, name = parse_urn(urn)
    return f"{project}::{type_}::{name}"


@dataclass(frozen=True)
class Change:
    """What the target program does to one custom resource (or explicit provider)."""

    urn: str
    type: str
    name: str
    action: str
    changed: list[str] = field(default_factory=list)
    forcing: list[str] = field(default_factory=list)
    stateful: bool = False
    protect: bool = False
    old_urn: str = ""


@dataclass(frozen=True)
class Refusal:
    """A change promotion must not make: why, and the way out."""

    change: Change
    reason: str
    remedy: str


@dataclass
class PromotionDiff:
    """Every change, and the subset that would destroy data (``unsafe``)."""

    changes: list[Change]
    unsafe: list[Refusal]

    @property
    def is_safe(self) -> bool:
        """True when nothing stateful or protected would be replaced or deleted."""
        return not self.unsafe

    def counts(self) -> dict[str, int]:
        """Number of changes per action, every action present, in :data:`ACTIONS` order."""
        return {action: sum(c.action == action for c in self.changes) for action in ACTIONS}


def _top(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _ignoring(old: Mapping[str, Any], new: Mapping[str, Any], paths: list[str]) -> dict[str, Any]:
    """``new`` with every ``ignoreChanges`` path reset to its old value, as the engine does."""
    result = copy.deepcopy(dict(new))
    for path in paths:
        parts = path.split(".")
        source, target = old, result
        for part in parts[:-1]:
            source = source.get(part) if isinstance(source, Mapping) else None
            target = target.get(part) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            continue
        if isinstance(source, Mapping) and parts[-1] in source:
            target[parts[-1]] = source[parts[-1]]
        else:
            target.pop(parts[-1], None)
    return result


def _provider_urn(ref: str) -> str:
    """Stackless URN of a provider reference (``URN::ID``); default providers compare equal across versions."""
    if not ref:
        return ""
    key = stackless_urn(ref.rsplit("::", 1)[0])
    prefix, name = key.rsplit("::", 1)
    return f"{prefix}::default" if re.fullmatch(r"default(_\d+_\d+_\d+.*)?", name) else key


def _pair(
    old: PlanResult, new: PlanResult
) -> tuple[list[tuple[RecordedResource | None, RecordedResource]], list[RecordedResource]]:
    """Pair new custom resources with old ones by stackless URN, then by the new side's aliases."""
    old_by_key = {stackless_urn(r.urn): r for r in old.resources if r.custom}
    news = [r for r in new.resources if r.custom]
    matched: dict[int, RecordedResource] = {}
    for index, resource in enumerate(news):
        if stackless_urn(resource.urn) in old_by_key:
            matched[index] = old_by_key.pop(stackless_urn(resource.urn))
    for index, resource in enumerate(news):
        if index in matched:
            continue
        for alias in filter(None, resource.aliases):
            # A name-only alias keeps the resource's type and parent chain.
            key = stackless_urn(alias) if alias.startswith(_URN_PREFIX) else None
            key = key or stackless_urn(resource.urn).rsplit("::", 1)[0] + "::" + alias
            if key in old_by_key:
                matched[index] = old_by_key.pop(key)
                break
    return [(matched.get(i), r) for i, r in enumerate(news)], list(old_by_key.values())


def _classify(old: RecordedResource, new: RecordedResource, replaced_providers: set[str]) -> Change:
    inputs = _ignoring(old.inputs, new.inputs, new.ignore_changes)
    changed = sorted(k for k in set(old.inputs) | set(inputs) if old.inputs.get(k) != inputs.get(k))
    forcing = forcing_keys(new.type, changed, old.inputs, inputs)
    roc = new.replace_on_changes
    forcing += [k for k in changed if k not in forcing and ("*" in roc or k in {_top(p) for p in roc})]
    provider = _provider_urn(new.provider)
    if provider != _provider_urn(old.provider) or provider in replaced_providers:
        forcing.append("provider")
    action = "replace" if forcing else "update" if changed else "same"
    return Change(
        new.urn,
        new.type,
        new.name,
        action,
        changed,
        forcing,
        is_stateful(new.type),
        new.protect or old.protect,
        old.urn,
    )


def _value(inputs: Mapping[str, Any], key: str) -> str:
    text = json.dumps(inputs.get(key), sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _refusal(change: Change, old: RecordedResource | None, new: RecordedResource | None) -> Refusal:
    noun = "data-holding resource" if change.stateful else "protected resource"
    hint = _RESTORE_HINTS.get(
        change.type, "export the data, create the new resource, restore into it, then retire the old one"
    )
    if change.action == "delete":
        reason = f"{noun} {change.type} '{change.name}' is missing from the target program: it would be deleted"
        remedy = (
            f"if it was renamed or moved, add an alias to keep the logical name, e.g. "
            f"opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name={change.name!r})]) (old URN "
            f"{stackless_urn(change.urn)}); if it must go, snapshot and restore: {hint}"
        )
        return Refusal(change, reason, remedy)
    details = ", ".join(
        f"{k}: {_value(old.inputs, k)} -> {_value(new.inputs, k)}" if k != "provider" else "provider/region"
        for k in change.forcing
    )
    reason = f"{noun} {change.type} '{change.name}' would be replaced (new, empty copy; old one deleted) by {details}"
    remedy = f"keep {', '.join(change.forcing)} as in the source phase, or snapshot and restore: {hint}"
    if "provider" in change.forcing:
        remedy += "; a region move means a replica in the new region and a failover, never a replacement"
    return Refusal(change, reason, remedy)


def diff_plans(old: PlanResult, new: PlanResult) -> PromotionDiff:
    """Predict what running ``new``'s program on ``old``'s state does, resource by resource.

    Components and the stack resource are skipped (they hold nothing in AWS); explicit providers are
    compared too, since replacing a provider (its region changes) replaces everything under it.
    """
    pairs, deleted = _pair(old, new)
    changes: list[Change] = []
    unsafe: list[Refusal] = []
    replaced_providers: set[str] = set()
    for before, after in sorted(pairs, key=lambda p: not p[1].type.startswith("pulumi:providers:")):
        if before is None:
            change = Change(after.urn, after.type, after.name, "create", stateful=is_stateful(after.type))
        else:
            change = _classify(before, after, replaced_providers)
            if change.action == "replace" and after.type.startswith("pulumi:providers:"):
                replaced_providers.add(stackless_urn(after.urn))
        changes.append(change)
        if change.action == "replace" and (change.stateful or change.protect):
            unsafe.append(_refusal(change, before, after))
        elif change.action == "replace" and change.type in _UNREPLACEABLE:
            reason, remedy = _UNREPLACEABLE[change.type]
            details = ", ".join(
                f"{k}: {_value(before.inputs, k)} -> {_value(after.inputs, k)}" for k in change.forcing if before
            )
            unsafe.append(
                Refusal(change, f"{change.type} '{change.name}' would be replaced by {details}: {reason}", remedy)
            )
    for gone in deleted:
        change = Change(gone.urn, gone.type, gone.name, "delete", stateful=is_stateful(gone.type), protect=gone.protect)
        changes.append(change)
        if change.stateful or change.protect:
            unsafe.append(_refusal(change, gone, None))
    return PromotionDiff(changes, unsafe)


def check_same_environment(old_config: Mapping[str, str], new_config: Mapping[str, str]) -> str | None:
    """A refusal message when the two stack configs describe different environments, else None."""
    old, new = old_config.get(ENVIRONMENT_KEY), new_config.get(ENVIRONMENT_KEY)
    if not old or not new:
        side = "source" if not old else "target"
        return f"{ENVIRONMENT_KEY} is not set in the {side} stack config; promotion needs the environment's name"
    if old != new:
        return (
            f"refusing to promote: {ENVIRONMENT_KEY} differs ({old!r} -> {new!r}). A promotion moves one "
            f"environment between phase stacks; another name means other physical resources, so every "
            f"database, cache and bucket would be replaced. Set {ENVIRONMENT_KEY}: {old} in the target config."
        )
    return None


def render_table(diff: PromotionDiff, *, show_same: bool = False) -> Table:
    """A rich table of the changes (unchanged resources only when ``show_same``)."""
    counts = ", ".join(f"{n} {a}" for a, n in diff.counts().items() if n)
    table = Table(title="Promotion diff", caption=f"{counts}; {'safe' if diff.is_safe else 'UNSAFE'}")
    for column in ("action", "type", "name", "changed", "forces replacement", "guard"):
        table.add_column(column)
    order = {action: index for index, action in enumerate(_STYLES)}
    for change in sorted(diff.changes, key=lambda c: (order[c.action], c.type, c.name)):
        if change.action == "same" and not show_same:
            continue
        guard = " ".join(label for label, on in (("stateful", change.stateful), ("protected", change.protect)) if on)
        style = _STYLES[change.action]
        # Names and property paths are data, not markup: escaped so ``[...]`` in them stays visible.
        table.add_row(
            f"[{style}]{change.action}[/]", escape(change.type), escape(change.name),
            escape(", ".join(change.changed)), escape(", ".join(change.forcing)), guard,
        )  # fmt: skip
    return table


def to_json(diff: PromotionDiff) -> dict[str, Any]:
    """A JSON-safe view of ``diff`` (what ``diff --json`` prints)."""
    return {
        "safe": diff.is_safe,
        "counts": diff.counts(),
        "changes": [asdict(c) for c in diff.changes],
        "unsafe": [
            {
                "urn": r.change.urn,
                "type": r.change.type,
                "action": r.change.action,
                "reason": r.reason,
                "remedy": r.remedy,
            }
            for r in diff.unsafe
        ],
    }

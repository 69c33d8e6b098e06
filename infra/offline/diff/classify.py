"""Pairing the resources of two plans and classifying each change, replacements cascading."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from infra.offline.diff.atlas import ATLAS_CLUSTER, atlas_cluster_refusals
from infra.offline.diff.model import _URN_PREFIX, Change, PromotionDiff, Refusal, stackless_urn
from infra.offline.diff.refusals import _UNREPLACEABLE, _refusal, _unreplaceable
from infra.offline.diff.values import _changed_values
from infra.offline.forcenew import forcing_keys, is_stateful, normalized, top
from infra.offline.harness import PlanResult, RecordedResource, provider_identity


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


def _components(resource: RecordedResource, by_urn: Mapping[str, RecordedResource]) -> list[str]:
    """URNs of the components above ``resource``, outermost first (the stack left out)."""
    chain = []
    node = by_urn.get(resource.parent)
    while node is not None and node.type != "pulumi:pulumi:Stack":
        chain.append(node)
        node = by_urn.get(node.parent)
    return [r.urn for r in reversed(chain)]


def _locations(plan: PlanResult) -> dict[str, tuple[str, str]]:
    """URN -> (region, component): the component is the cell's child a resource sits under.

    Resources without a region of their own (Kubernetes objects) take their cell's.
    """
    by_urn = plan.by_urn()
    cells: dict[str, str] = {}
    placed: dict[str, tuple[str, list[str]]] = {}
    for resource in plan.resources:
        if resource.custom:
            chain = _components(resource, by_urn)
            placed[resource.urn] = (resource.region, chain)
            if chain and resource.region:
                cells.setdefault(chain[0], resource.region)
    result = {}
    for urn, (region, chain) in placed.items():
        component = chain[1] if len(chain) > 1 else chain[0] if chain else ""
        name = by_urn[component].name if component else ""
        result[urn] = (region or (cells.get(chain[0], "") if chain else ""), name)
    return result


def _classify(old: RecordedResource, new: RecordedResource, where: tuple[str, str]) -> Change:
    before = normalized(old.type, old.inputs)
    after = _ignoring(before, normalized(new.type, new.inputs), new.ignore_changes)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    forcing = forcing_keys(new.type, changed, before, after)
    roc = new.replace_on_changes
    forcing += [k for k in changed if k not in forcing and ("*" in roc or k in {top(p) for p in roc})]
    values = _changed_values(new.type, before, after, changed, (old.inputs, new.inputs))
    # The engine asks the new provider whether the old one's configuration means another target
    # (DiffConfig): a renamed provider of the same region replaces nothing; a moved one everything.
    if provider_identity(old.provider) != provider_identity(new.provider):
        forcing.append("provider")
        values["provider"] = [old.region or "(default)", new.region or "(default)"]
    action = "replace" if forcing else "update" if changed else "same"
    protect = new.protect or old.protect
    return Change(
        new.urn, new.type, new.name, action, changed, forcing, is_stateful(new.type), protect, old.urn,
        values, where[0], where[1],
    )  # fmt: skip


def diff_plans(old: PlanResult, new: PlanResult) -> PromotionDiff:
    """Predict what running ``new``'s program on ``old``'s state does, resource by resource.

    Components and the stack resource are skipped (they hold nothing in AWS); explicit providers are
    compared too, since replacing a provider (its region changes) replaces everything under it.
    """
    pairs, deleted = _pair(old, new)
    new_urns, old_places, new_places = new.by_urn(), _locations(old), _locations(new)
    changes: list[Change] = []
    for before, after in pairs:
        where = new_places[after.urn]
        if before is None:
            changes.append(Change(after.urn, after.type, after.name, "create", [], [], is_stateful(after.type),
                                  after.protect, "", {}, *where))  # fmt: skip
        else:
            changes.append(_classify(before, after, where))
    replaced = {c.urn: c.name for c in changes if c.action == "replace"}
    for index, change in enumerate(changes):
        if change.action in ("update", "replace"):
            deps = new_urns[change.urn].property_dependencies
            cause = sorted({replaced[u] for k in change.changed for u in deps.get(k, []) if u in replaced})
            changes[index] = replace(change, cause=cause)
    for gone in deleted:
        where = old_places[gone.urn]
        changes.append(Change(gone.urn, gone.type, gone.name, "delete", [], [], is_stateful(gone.type),
                              gone.protect, "", {}, *where))  # fmt: skip
    unsafe = [
        _refusal(c)
        for c in changes
        if (c.stateful or c.protect) and (c.action in ("replace", "delete") or (c.action == "update" and c.cause))
    ]
    unsafe += [_unreplaceable(c) for c in changes if c.action == "replace" and c.type in _UNREPLACEABLE]
    old_urns = old.by_urn()
    for change in changes:
        if change.type == ATLAS_CLUSTER and change.action == "update":
            before, after = old_urns[change.old_urn].inputs, new_urns[change.urn].inputs
            unsafe += [Refusal(change, why, remedy) for why, remedy in atlas_cluster_refusals(before, after)]
    return PromotionDiff(changes, unsafe)

"""Promotion preview: what the next phase's program would do to an environment's existing resources.

Promotion moves one environment's state from stack ``phaseN`` to ``phaseN+1`` and then runs the
``phaseN+1`` program against it. This module predicts that run offline: it pairs the resources
of two mock runs (:func:`infra.offline.harness.run_program`) by URN without the stack segment, compares
their inputs and classifies each as create / update / replace / delete / same, using the
force-new table of :mod:`infra.offline.forcenew`. Replacing or deleting anything that holds data is
refused, with the reason and the way out.

Replacements cascade: the mocks derive every ID and ARN from the replacing inputs, so a resource
fed by a replaced one sees its inputs change (and is replaced in turn where those inputs force it).
A data store only *updated* by such a cascade (moved onto a replaced VPC's security groups, a new
cluster role, ...) is refused too: that is a migration, not an update.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pulumi.runtime.rpc import _special_sig_key

from components.atlas_topology import ATLAS_INSTANCE_SIZES, size_rank
from infra.offline.forcenew import forcing_keys, is_stateful, normalized, top
from infra.offline.harness import PlanResult, RecordedResource, provider_identity

#: Actions in the order reports list them.
ACTIONS = ("create", "update", "replace", "delete", "same")
#: Config key naming the environment; it must not change across a promotion (SPEC §4 decision 4).
ENVIRONMENT_KEY = "platform:name"
_URN_PREFIX = "urn:pulumi:"
#: Input paths whose values are never shown (besides values the program marked secret).
_SECRET_NAME = re.compile(
    r"(?i)pass(word|wd|phrase)|token|secret(?!s?(id|arn|name)\b)|credential|private.?key|stringdata"
)
_MASK = "(secret)"
_SECRET_SIG = _special_sig_key
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


#: The Atlas cluster type token (pulumi-mongodbatlas 4.x: the Admin API v2 cluster, one
#: ``replicationSpecs`` entry per shard).
ATLAS_CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
ENGINE_KEY = "platform:database"


def _highest_priority_region(inputs: Mapping[str, Any]) -> str | None:
    """Region of the first shard's highest-priority region config (where the primary is elected)."""
    specs = inputs.get("replicationSpecs") or []
    configs = (specs[0] or {}).get("regionConfigs") or [] if specs else []
    if not configs:
        return None
    return max(configs, key=lambda c: c.get("priority") or 0).get("regionName")


def _regions(inputs: Mapping[str, Any]) -> set[str]:
    return {
        c.get("regionName") for spec in inputs.get("replicationSpecs") or [] for c in spec.get("regionConfigs") or []
    }


@dataclass(frozen=True)
class AtlasSizing:
    """What an Atlas cluster's inputs say about its sizes and their auto-scaling (camelCase inputs)."""

    #: Tiers of the electable/read-only nodes, of the analytics nodes, and disk sizes, as listed.
    tiers: tuple[str, ...]
    analytics_tiers: tuple[str, ...]
    disks: tuple[float, ...]
    #: ``(min, max)`` of compute auto-scaling (``autoScaling``, ``analyticsAutoScaling``), or None.
    compute: tuple[str, str] | None
    analytics_compute: tuple[str, str] | None
    disk_auto_scaling: bool

    @property
    def auto_scaling(self) -> bool:
        """True when Atlas may change a tier or the disk on its own."""
        return self.compute is not None or self.analytics_compute is not None or self.disk_auto_scaling


def atlas_sizing(inputs: Mapping[str, Any]) -> AtlasSizing:
    """The :class:`AtlasSizing` of an ``AdvancedCluster``'s recorded inputs (every shard and region)."""
    configs = [c for spec in inputs.get("replicationSpecs") or [] for c in spec.get("regionConfigs") or []]

    def values(kinds: tuple[str, ...], key: str) -> tuple:
        return tuple(sorted({(c.get(k) or {}).get(key) for c in configs for k in kinds} - {None}))

    def compute(block: str) -> tuple[str, str] | None:
        for config in configs:
            scaling = config.get(block) or {}
            if scaling.get("computeEnabled"):
                return scaling.get("computeMinInstanceSize"), scaling.get("computeMaxInstanceSize")
        return None

    disk = any((c.get(b) or {}).get("diskGbEnabled") for c in configs for b in ("autoScaling", "analyticsAutoScaling"))
    return AtlasSizing(
        values(("electableSpecs", "readOnlySpecs"), "instanceSize"),
        values(("analyticsSpecs",), "instanceSize"),
        values(("electableSpecs", "readOnlySpecs", "analyticsSpecs"), "diskSizeGb"),
        compute("autoScaling"),
        compute("analyticsAutoScaling"),
        disk,
    )


def _allowed(tiers: tuple[str, ...], bounds: tuple[str, str] | None) -> set[str]:
    """Tiers Atlas may be running: any inside the compute bounds, else exactly the configured ones."""
    if bounds is None:
        return set(tiers)
    low, high = (size_rank(b) for b in bounds)
    return {s for s in ATLAS_INSTANCE_SIZES if low <= size_rank(s) <= high}


def _listed(values: tuple) -> str:
    # Inputs come back from the engine as floats: 20.0 GB reads as 20.
    return "/".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values) or "-"


def _span(sizes: set[str]) -> str:
    ordered = sorted(sizes, key=size_rank)
    if not ordered:  # inverted bounds (the config refuses them)
        return "none"
    return ordered[0] if len(ordered) == 1 else f"{ordered[0]}..{ordered[-1]}"


def atlas_scaling_problems(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Why this step cannot be applied to an Atlas cluster in one update, given its auto-scaling.

    Provider docs (``advanced_cluster``, "auto_scaling", "Auto-Scaling with Effective Fields",
    "Manually Updating Specs ...", "Adjusting the Auto-Scaling Range ..."): while compute or disk
    auto-scaling is on, ``instance_size``, ``disk_size_gb`` and ``disk_iops`` of the program are
    ignored, and what Atlas runs (the effective sizes) is not in the program nor in this offline
    diff. So with auto-scaling on in either phase: a changed tier or disk size would not be applied
    (or, where the target turns auto-scaling off, would be applied against effective sizes nobody
    has seen); and a new range must contain every size the old one allowed, since Atlas validates
    it against the effective size (a fixed tier or disk is a range of one; a disk that auto-scaled
    may have grown beyond the target's ``diskSizeGb``).
    https://registry.terraform.io/providers/mongodb/mongodbatlas/latest/docs/resources/advanced_cluster#auto-scaling-with-effective-fields
    """
    before, after = atlas_sizing(old), atlas_sizing(new)
    if not (before.auto_scaling or after.auto_scaling):
        return []
    problems = []
    for label, a, b in (
        ("tier", before.tiers, after.tiers),
        ("analytics tier", before.analytics_tiers, after.analytics_tiers),
        ("disk GB", before.disks, after.disks),
    ):
        if a != b:
            problems.append(f"{label} {_listed(a)} -> {_listed(b)}")
    for label, tiers, bounds in (
        ("compute range", (before.tiers, after.tiers), (before.compute, after.compute)),
        ("analytics compute range", (before.analytics_tiers, after.analytics_tiers),
         (before.analytics_compute, after.analytics_compute)),
    ):  # fmt: skip
        if bounds == (None, None):
            continue
        was, will = _allowed(tiers[0], bounds[0]), _allowed(tiers[1], bounds[1])
        if was and not was <= will:
            problems.append(f"{label} {_span(was)} -> {_span(will)} leaves out {_span(was - will)}")
    if before.disk_auto_scaling and not after.disk_auto_scaling:
        problems.append("disk auto-scaling turned off: the disk Atlas grew may exceed diskSizeGb")
    return problems


#: The two-step procedure of the provider docs ("Manually Updating Specs with use_effective_fields",
#: "Adjusting the Auto-Scaling Range with use_effective_fields").
ATLAS_SCALING_REMEDY = (
    "two updates, as the provider documents (advanced_cluster, 'Manually Updating Specs with "
    "use_effective_fields'): in the source phase's stack, turn auto-scaling off (no "
    "platform:database.atlas.autoScaling bounds, disk: false; oplog_min_retention_hours at 0) and set "
    "instanceSize/analyticsInstanceSize/diskSizeGb to what Atlas runs now or larger (its effective "
    "specs: Atlas UI or `atlas clusters describe`), then `pulumi up`; then promote with fixed sizes "
    "(re-enable auto-scaling afterwards with a range that contains the running tier)"
)


def atlas_cluster_refusals(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(reason, remedy)`` for each change of an Atlas cluster's inputs that Atlas does not make in place.

    - A sharded cluster never goes back to a replica set ("After you convert a replica set to a
      sharded cluster, you can't convert it again to a replica set",
      https://www.mongodb.com/docs/atlas/scale-cluster/#convert-a-replica-set-to-a-sharded-cluster).
    - A replica set becomes a one-shard cluster, not a multi-shard one, in one update ("You can
      only update a replica set to a single-shard cluster",
      https://www.mongodb.com/docs/atlas/cli/current/command/atlas-clusters-update/).
    - The highest-priority region cannot be removed ("You cannot remove the Highest Priority
      region", https://www.mongodb.com/docs/atlas/cluster-config/multi-cloud-distribution/);
      making another region the highest priority while keeping it is an election, which Atlas does.
    - With auto-scaling on in either phase, sizes that would not be applied in one update
      (:func:`atlas_scaling_problems`).
    Renames (cluster or project) are replacements, refused as such by the ForceNew table.
    """
    refusals = []
    scaling = atlas_scaling_problems(old, new)
    if scaling:
        refusals.append(
            (
                "Atlas auto-scaling is on in the source or target phase, so this step cannot be applied in one "
                f"update (the provider ignores instance_size/disk_size_gb while it is on, and Atlas's effective "
                f"sizes may lie outside the new ones): {'; '.join(scaling)}",
                ATLAS_SCALING_REMEDY,
            )
        )
    before, after = old.get("clusterType"), new.get("clusterType")
    shards = len(new.get("replicationSpecs") or [])
    if before == "SHARDED" and after == "REPLICASET":
        refusals.append(
            (
                "Atlas cannot turn a sharded cluster back into a replica set",
                "keep clusterType: SHARDED (a one-shard cluster is the smallest); going back is a migration: "
                "mongodump/mongorestore or live migration into a new replica set",
            )
        )
    if before == "REPLICASET" and after == "SHARDED" and shards > 1:
        refusals.append(
            (
                f"Atlas converts a replica set into a one-shard cluster, not into {shards} shards at once",
                "promote with platform:database.atlas.shards: 1 first, then raise shards in a second update",
            )
        )
    primary = _highest_priority_region(old)
    if primary is not None and primary not in _regions(new):
        refusals.append(
            (
                f"the cluster's highest-priority region {primary} would be removed, which Atlas refuses",
                "keep that region in the cluster (as the first serving region, platform:regions[0]); to move "
                "the primary, first give another region the highest priority in an update of its own",
            )
        )
    return refusals


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
    #: Changed leaf paths -> [old, new] (secrets masked; absent = None).
    values: dict[str, list[Any]] = field(default_factory=dict)
    region: str = ""
    #: The component the resource belongs to (the cell's child it sits under, e.g. ``use1-db``).
    component: str = ""
    #: Names of replaced resources whose new IDs flow into the changed inputs (the cascade).
    cause: list[str] = field(default_factory=list)


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


def _secret(path: str, resource_type: str) -> bool:
    return bool(_SECRET_NAME.search(path)) or (resource_type == "kubernetes:core/v1:Secret" and top(path) == "data")


def _wrapped(raw: Any, path: str) -> bool:
    """True when the program marked the value at ``path`` (or a block above it) secret."""
    node = raw
    for part in re.findall(r"[^.\[\]]+", path):
        if isinstance(node, Mapping) and _SECRET_SIG in node:
            return True
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, Mapping):
            node = node.get(part)
        else:
            return False
    return isinstance(node, Mapping) and _SECRET_SIG in node


def _masked(value: Any, path: str, resource_type: str) -> Any:
    """``value`` with secrets (named like one) replaced by ``(secret)``."""
    if value is None:
        return None
    if _secret(path, resource_type):
        return _MASK
    if isinstance(value, Mapping):
        return {k: _masked(v, f"{path}.{k}", resource_type) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, path, resource_type) for v in value]
    return value


def _parsed(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _leaves(old: Any, new: Any, path: str, out: dict[str, list[Any]]) -> None:
    """Changed leaf paths under ``path`` (JSON documents in strings are compared inside)."""
    old, new = _parsed(old), _parsed(new)
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                _leaves(old.get(key), new.get(key), f"{path}.{key}", out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            if a != b:
                _leaves(a, b, f"{path}[{index}]", out)
    else:
        out[path] = [old, new]


def _changed_values(kind: str, old: Mapping[str, Any], new: Mapping[str, Any], keys: list[str], raw: tuple):
    """Changed leaf path -> [old, new]; ``raw`` (the unnormalised inputs) tells what the program marked secret."""
    leaves: dict[str, list[Any]] = {}
    for key in keys:
        _leaves(old.get(key), new.get(key), key, leaves)
    return {
        path: [None if a is None else _MASK, None if b is None else _MASK]
        if _wrapped(raw[0], path) or _wrapped(raw[1], path)
        else [_masked(a, path, kind), _masked(b, path, kind)]
        for path, (a, b) in leaves.items()
    }


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


def _short(pair: list[Any]) -> str:
    def text(value: Any) -> str:
        shown = json.dumps(value, sort_keys=True, default=str)
        return shown if len(shown) <= 60 else shown[:57] + "..."

    return f"{text(pair[0])} -> {text(pair[1])}"


def _refusal(change: Change) -> Refusal:
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
    if change.action == "update":
        reason = (
            f"{noun} {change.type} '{change.name}' would be moved onto replaced resources: "
            f"{', '.join(change.changed)} take new IDs from {', '.join(change.cause)}, which are replaced"
        )
        remedy = (
            f"keep what {change.name} runs in (network, security groups, role, key) as in the source "
            f"phase; moving a data store into new infrastructure is a migration: {hint}"
        )
        return Refusal(change, reason, remedy)
    details = ", ".join(
        f"{k}: {_short(change.values.get(k, ['...', '...']))}" if k != "provider" else "provider/region"
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


def _unreplaceable(change: Change) -> Refusal:
    """A stateless resource that cannot be replaced while the environment runs in it."""
    reason, remedy = _UNREPLACEABLE[change.type]
    details = ", ".join(f"{k}: {_short(change.values.get(k, ['...', '...']))}" for k in change.forcing)
    return Refusal(change, f"{change.type} '{change.name}' would be replaced by {details}: {reason}", remedy)


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


def check_same_engine(old_config: Mapping[str, str], new_config: Mapping[str, str]) -> str | None:
    """A refusal message when the two stack configs run different database engines, else None.

    PostgreSQL on RDS and MongoDB on Atlas hold the data in different services and formats: going
    from one to the other copies and converts every record, which no update of resources does.
    """
    from infra.config import parse_value

    def engine(flat: Mapping[str, str]) -> str:
        section = parse_value(flat.get(ENGINE_KEY, "{}"))
        return str(section.get("engine", "postgres")) if isinstance(section, dict) else "postgres"

    old, new = engine(old_config), engine(new_config)
    if old == new:
        return None
    return (
        f"refusing to promote: platform:database.engine differs ({old} -> {new}). Changing the database "
        f"engine is a migration, not a promotion: every record must be copied and converted, and the "
        f"{old} data store would be deleted. Keep engine: {old} in the target config; to move to {new}, run a "
        f"new environment (another platform:name) on {new}, migrate the data, then switch traffic."
    )


def render_table(diff: PromotionDiff, *, show_same: bool = False):
    """A rich table of the changes (see :func:`infra.offline.diff_view.render_table`)."""
    from infra.offline.diff_view import render_table as render

    return render(diff, show_same=show_same)


def to_json(diff: PromotionDiff) -> dict[str, Any]:
    """A JSON-safe view of ``diff`` (see :func:`infra.offline.diff_view.to_json`)."""
    from infra.offline.diff_view import to_json as view

    return view(diff)

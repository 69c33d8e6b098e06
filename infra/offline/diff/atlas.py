"""Atlas cluster updates Atlas does not make in place: topology changes and sizes under auto-scaling."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.atlas_topology import ATLAS_INSTANCE_SIZES, size_rank

#: The Atlas cluster type token (pulumi-mongodbatlas 4.x: the Admin API v2 cluster, one
#: ``replicationSpecs`` entry per shard).
ATLAS_CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"


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

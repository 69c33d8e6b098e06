"""Summaries of a plan for people: resources grouped by component, with the settings that size them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from infra.offline.harness import PlanResult, RecordedResource

#: Inputs worth showing per resource type: what a reviewer checks to know what a phase costs and carries.
KEY_INPUTS: dict[str, tuple[str, ...]] = {
    "aws:rds/instance:Instance": (
        "identifier",
        "instanceClass",
        "allocatedStorage",
        "multiAz",
        "backupRetentionPeriod",
    ),
    "aws:rds/proxy:Proxy": ("name", "requireTls"),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        "replicationGroupId",
        "nodeType",
        "numNodeGroups",
        "replicasPerNodeGroup",
        "numCacheClusters",
    ),
    "aws:ec2/vpc:Vpc": ("cidrBlock",),
    "aws:ec2/natGateway:NatGateway": ("subnetId",),
    "aws:sqs/queue:Queue": ("name",),
    "aws:s3/bucket:Bucket": ("bucket",),
    "aws:cloudfront/distribution:Distribution": ("priceClass",),
    "aws:wafv2/webAcl:WebAcl": ("name", "scope"),
    "aws:eks/cluster:Cluster": ("name", "version"),
    "aws:eks/nodeGroup:NodeGroup": ("scalingConfig",),
    "aws:ec2/launchTemplate:LaunchTemplate": ("instanceType",),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": ("spec",),
}


@dataclass
class Group:
    """A component and everything registered beneath it."""

    urn: str
    type: str
    name: str
    regions: set[str] = field(default_factory=set)
    counts: Counter = field(default_factory=Counter)
    highlights: list[str] = field(default_factory=list)
    children: list[Group] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Cloud resources in this group and its sub-groups."""
        return sum(self.counts.values()) + sum(child.total for child in self.children)


def _whole(value: Any) -> Any:
    """A whole number as an int: the wire protocol carries every number as a double."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def count_range(low: Any, high: Any) -> str:
    """``2–6`` for a min/max pair of counts (``2`` when equal), whatever numeric type they arrive as."""
    low, high = _whole(low), _whole(high)
    return f"{low}" if low == high else f"{low}–{high}"


def _highlight(resource: RecordedResource) -> str | None:
    keys = KEY_INPUTS.get(resource.type)
    if not keys:
        return None
    values = []
    for key in keys:
        value = resource.inputs.get(key)
        if value is None:
            continue
        if key == "spec" and isinstance(value, dict):
            value = f"{count_range(value.get('minReplicas'), value.get('maxReplicas'))} replicas"
        elif key == "scalingConfig" and isinstance(value, dict):
            value = f"{count_range(value.get('minSize'), value.get('maxSize'))} nodes"
        else:
            value = _whole(value)
        values.append(f"{key}={value}")
    return f"{resource.type.rsplit(':', 1)[-1]} {resource.name}: " + ", ".join(values)


def group_by_component(plan: PlanResult) -> list[Group]:
    """Top-level components of the stack, each with nested component groups and resource counts.

    Custom resources count towards their nearest component ancestor; providers and resources
    directly under the stack form a group of their own named after the stack.
    """
    groups: dict[str, Group] = {}
    stack_group = Group(urn="", type="pulumi:pulumi:Stack", name=plan.stack)
    roots: list[Group] = [stack_group]
    for resource in plan.resources:
        if resource.type == "pulumi:pulumi:Stack":
            stack_group.urn = resource.urn
            continue
        if resource.is_component:
            group = Group(resource.urn, resource.type, resource.name)
            groups[resource.urn] = group
            parent = groups.get(resource.parent)
            (parent.children if parent else roots).append(group)
            continue
        owner = groups.get(resource.parent, stack_group)
        owner.counts[resource.type.rsplit(":", 1)[-1]] += 1
        if resource.region:
            owner.regions.add(resource.region)
        highlight = _highlight(resource)
        if highlight:
            owner.highlights.append(highlight)
    for group in roots:
        _collect_regions(group)
        _sort(group)
    return roots


def _sort(group: Group) -> None:
    """Registration order depends on async scheduling; sort so the output is stable."""
    group.highlights.sort()
    group.children.sort(key=lambda g: g.name)
    for child in group.children:
        _sort(child)


def _collect_regions(group: Group) -> set[str]:
    """Give each group the regions of everything beneath it."""
    for child in group.children:
        group.regions |= _collect_regions(child)
    return group.regions


def type_counts(plan: PlanResult) -> Counter:
    """How many cloud resources of each type the plan registers."""
    return Counter(r.type for r in plan.resources if r.custom)

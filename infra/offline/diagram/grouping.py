"""From a plan to node groups: the top components, their regions, and which node each resource joins."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from infra.offline.diagram.kinds import _DETAIL_TYPES, KINDS, _kind_of
from infra.offline.diagram.model import CONTAINER_TYPES
from infra.offline.harness import PlanResult, RecordedResource


@dataclass
class _Group:
    """Resources of one node while the model is built."""

    kind: str
    region: str
    components: set[str] = field(default_factory=set)
    resources: list[RecordedResource] = field(default_factory=list)


def _deps(resource: RecordedResource) -> set[str]:
    """URNs whose outputs flow into ``resource``'s inputs. Plain ``dependencies`` beyond these are
    ordering (``depends_on``: the apps wait for the schema Job), not data."""
    return {urn for values in resource.property_dependencies.values() for urn in values}


class _Builder:
    """The plan indexed for the picture: its top components, the top component of every resource,
    and the region of every cell."""

    def __init__(self, plan: PlanResult):
        self.plan = plan
        self.by_urn = plan.by_urn()
        self.children: dict[str, list[RecordedResource]] = defaultdict(list)
        for r in plan.resources:
            self.children[r.parent].append(r)
        stack = [r for r in plan.resources if r.type == "pulumi:pulumi:Stack"]
        self.stack_urn = stack[0].urn if stack else ""
        self.tops: list[RecordedResource] = []
        for r in plan.resources:
            if not r.is_component or r.type in CONTAINER_TYPES or r.urn == self.stack_urn:
                continue
            parent = self.by_urn.get(r.parent)
            if r.parent == self.stack_urn or (parent is not None and parent.type in CONTAINER_TYPES):
                self.tops.append(r)
        self.tops.sort(key=lambda r: r.name)
        self.top_of: dict[str, RecordedResource] = {}
        self.container_region: dict[str, str] = {}
        for top in self.tops:
            for r in self._subtree(top):
                self.top_of[r.urn] = top
        for r in plan.resources:
            if r.type in CONTAINER_TYPES:
                regions = Counter(x.region for x in self._subtree(r) if x.custom and x.region)
                self.container_region[r.urn] = regions.most_common(1)[0][0] if regions else ""

    def _subtree(self, root: RecordedResource) -> list[RecordedResource]:
        out, todo = [], [root]
        while todo:
            r = todo.pop()
            out.append(r)
            todo.extend(self.children.get(r.urn, []))
        return out

    def region_of(self, resource: RecordedResource, top: RecordedResource) -> str:
        """A resource's region; Kubernetes objects and SaaS resources take their cell's (or component's)."""
        if resource.region and not resource.type.startswith(("kubernetes:", "random:", "mongodbatlas:")):
            return resource.region
        container = self.by_urn.get(top.parent)
        if container is not None and container.type == "platform:stack:Cell":
            return self.container_region.get(container.urn, "")
        regions = Counter(x.region for x in self._subtree(top) if x.custom and x.region)
        return regions.most_common(1)[0][0] if regions else ""

    def groups(self) -> tuple[dict[tuple, _Group], dict[str, tuple], list[str]]:
        """Node groups, the group of every cloud resource, and the top components with none."""
        groups: dict[tuple, _Group] = {}
        member: dict[str, tuple] = {}
        empty: list[str] = []
        for top in self.tops:
            resources = [r for r in self._subtree(top) if r.custom and not r.type.startswith("pulumi:providers:")]
            if not resources:
                empty.append(top.name)
                continue
            urns = {r.urn for r in resources}
            dependents: dict[str, list[RecordedResource]] = defaultdict(list)
            for r in resources:
                for dep in _deps(r) & urns:
                    dependents[dep].append(r)
            has_ingress = any(r.type == "kubernetes:networking.k8s.io/v1:Ingress" for r in resources)
            details: list[RecordedResource] = []
            own: list[tuple] = []
            for r in sorted(resources, key=lambda r: r.urn):
                kind = "" if r.type in _DETAIL_TYPES else _kind_of(r, dependents, has_ingress)
                if not kind:
                    details.append(r)
                    continue
                region = "" if KINDS[kind].global_ else self.region_of(r, top)
                key = (kind, region) + (() if KINDS[kind].merge else (top.name,))
                group = groups.setdefault(key, _Group(kind, region))
                group.components.add(top.name)
                group.resources.append(r)
                member[r.urn] = key
                if key not in own:
                    own.append(key)
            if not own:
                # Nothing significant: one node named after the component's type.
                key = ("generic", self.region_of(details[0], top), top.name)
                groups[key] = _Group("generic", key[1], {top.name})
                own.append(key)
            package = {key: {x.type.split(":")[0] for x in groups[key].resources} for key in own}
            for r in details:
                # A detail joins its component's first node of the same provider in its region (an
                # Atlas endpoint goes with the Atlas cluster), else the first in its region, else the first.
                region = self.region_of(r, top)
                local = [k for k in own if k[1] == region] or own
                key = next((k for k in local if r.type.split(":")[0] in package[k]), local[0])
                groups[key].resources.append(r)
                member[r.urn] = key
        return groups, member, empty


def groups_by_id(groups: dict[tuple, _Group], ids: dict[tuple, str]) -> dict[str, _Group]:
    """The build groups by node id."""
    return {ids[key]: group for key, group in groups.items()}

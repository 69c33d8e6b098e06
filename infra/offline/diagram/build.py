"""The model of a picture, built: nodes from the groups, their clusters in drawing order, the edges."""

from __future__ import annotations

import re

from infra.offline.diagram.flows import entry_edges, flow_edges, peering_edges
from infra.offline.diagram.grouping import _Builder
from infra.offline.diagram.kinds import KINDS, SECTIONS
from infra.offline.diagram.labels import LABELS
from infra.offline.diagram.model import ATLAS_CLUSTER, GLOBAL_CLUSTER, Cluster, DiagramModel, Node
from infra.offline.diagram.text import _plural
from infra.offline.harness import PlanResult


def _ident(text: str) -> str:
    """A Graphviz-safe id."""
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


#: The section of a component with no significant resource, by its type's area (``platform:<area>:X``).
_AREA_SECTIONS = {
    "network": "network",
    "database": "database",
    "data": "database",
    "cache": "cache",
    "compute": "eks",
    "k8s": "eks",
    "messaging": "messaging",
    "search": "search",
    "observability": "monitoring",
    "security": "security",
    "registry": "assets",
    "cdn": "edge",
    "dns": "edge",
}


def _area(component: str, builder: _Builder) -> str:
    top = next(t for t in builder.tops if t.name == component)
    return top.type.split(":")[1] if top.type.count(":") >= 2 else ""


def _region_roles(nodes: list[Node]) -> dict[str, str]:
    """What each region does, from what it holds: the writable database, serving apps, or replicas."""
    roles: dict[str, str] = {}
    for region in sorted({n.region for n in nodes if n.region}):
        kinds = {n.kind for n in nodes if n.region == region}
        roles[region] = "primary" if "rds-primary" in kinds else "active" if "pods" in kinds else "standby"
    return roles


def build_diagram_model(plan: PlanResult) -> DiagramModel:
    """The picture of ``plan``: regions, sections, one node per significant kind, data-flow edges."""
    builder = _Builder(plan)
    groups, member, empty = builder.groups()
    ids = {key: _ident("n_" + "_".join(str(k) for k in key if k)) for key in groups}
    nodes: list[Node] = []
    for key, group in sorted(groups.items(), key=lambda item: ids[item[0]]):
        kind = KINDS[group.kind]
        component = sorted(group.components)[0]
        if group.kind == "generic":
            top = next(t for t in builder.tops if t.name == component)
            label = f"{top.type.rsplit(':', 1)[-1]}\n{_plural(len(group.resources), 'resource')}"
        else:
            label = LABELS[group.kind](sorted(group.resources, key=lambda r: r.urn), component)
        saas = group.kind == "generic" and all(r.type.startswith("mongodbatlas:") for r in group.resources)
        if kind.global_:
            outer = GLOBAL_CLUSTER
        elif group.kind == "atlas" or saas:
            # Atlas's own objects (project, users, alerts) live in Atlas, not in the AWS region.
            outer = ATLAS_CLUSTER
        else:
            outer = _ident("r_" + (group.region or "unknown"))
        section = _AREA_SECTIONS.get(_area(component, builder), "other") if group.kind == "generic" else kind.section
        cluster = outer if section in ("edge", "atlas") or outer == ATLAS_CLUSTER else f"{outer}__{section}"
        nodes.append(Node(ids[key], group.kind, label, cluster, tuple(sorted(group.components)), group.region))
    roles = _region_roles(nodes)
    clusters: dict[str, Cluster] = {}
    for node in nodes:
        outer, _, section = node.cluster.partition("__")
        if outer not in clusters:
            if outer == GLOBAL_CLUSTER:
                clusters[outer] = Cluster(outer, "global / edge")
            elif outer == ATLAS_CLUSTER:
                clusters[outer] = Cluster(outer, "MongoDB Atlas (SaaS)")
            else:
                clusters[outer] = Cluster(outer, f"{node.region} ({roles.get(node.region, '')})")
        if section and node.cluster not in clusters:
            clusters[node.cluster] = Cluster(node.cluster, SECTIONS[section], outer)
    edges = flow_edges(builder, groups, member, ids)
    edges |= entry_edges(nodes)
    edges |= peering_edges(nodes, groups, member, ids)
    # The primary region first, then the others by name; sections in their fixed order.
    region_order = {r: i for i, r in enumerate(sorted(roles, key=lambda r: (roles[r] != "primary", r)))}

    def position(cluster: Cluster) -> tuple:
        outer = cluster.parent or cluster.id
        rank = {GLOBAL_CLUSTER: -1, ATLAS_CLUSTER: len(region_order)}.get(outer)
        if rank is None:
            rank = region_order.get(next(n.region for n in nodes if n.cluster.partition("__")[0] == outer), 0)
        section = cluster.id.partition("__")[2]
        return (rank, cluster.parent is not None, list(SECTIONS).index(section) if section else -1)

    cluster_order = sorted(clusters.values(), key=position)
    regions = sorted({n.region for n in nodes if n.region})
    resources = sum(1 for r in plan.resources if r.custom and not r.type.startswith("pulumi:providers:"))
    title = f"stack {plan.stack}: {resources} cloud resources in {_plural(len(regions), 'region')}"
    return DiagramModel(
        stack=plan.stack,
        title=title,
        clusters=tuple(cluster_order),
        nodes=tuple(nodes),
        edges=tuple(sorted(edges, key=lambda e: (e.source, e.target, e.style))),
        empty_components=tuple(sorted(empty)),
    )

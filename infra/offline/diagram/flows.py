"""The edges of a picture: data flows from the plan's dependency graph, its entry points and peerings."""

from __future__ import annotations

from infra.offline.diagram.grouping import _Builder, _deps, _Group, groups_by_id
from infra.offline.diagram.kinds import KINDS
from infra.offline.diagram.model import USERS, Edge, Node
from infra.offline.harness import RecordedResource

#: (dependent kind, dependency kind) pairs whose data flows from the dependency to the dependent.
_REVERSED: dict[tuple[str, str], str] = {
    ("rds-replicas", "rds-primary"): "replication",
    ("rds-replicas", "rds-replicas"): "replication",
    ("worker", "sqs"): "flow",
    ("worker", "kinesis"): "flow",
    ("sqs", "sns"): "flow",
    ("cloudfront", "waf-edge"): "filter",
    ("alb", "waf"): "filter",
    # The proxy's target (a detail of the primary's component) names the proxy: reads and writes
    # go proxy -> primary.
    ("rds-primary", "rds-proxy"): "flow",
}
#: Flows that keep the dependency's direction but are drawn as replication (a bucket's replication
#: rule names its destination).
_REPLICATION = frozenset({("s3", "s3")})

#: Resource policies: they name who may use the resource (the apps' roles, the CDN), so following
#: them would turn every grant into a flow pointing the wrong way.
_GRANT_TYPES = frozenset(
    {
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
        "aws:sns/topicPolicy:TopicPolicy",
    }
)

#: Types whose own dependencies are not followed from another resource of the same component (a
#: Deployment reaches the cluster through its provider, not the cluster's VPC).
_SIGNIFICANT_STOP = frozenset({"pulumi:providers:kubernetes", "aws:eks/cluster:Cluster"})


def flow_edges(
    builder: _Builder, groups: dict[tuple, _Group], member: dict[str, tuple], ids: dict[tuple, str]
) -> set[Edge]:
    """The data flows between the nodes of ``groups`` (ids by group key in ``ids``)."""
    found: set[Edge] = set()
    for key, group in groups.items():
        if not KINDS[group.kind].flow:
            continue
        for resource in group.resources:
            if member.get(resource.urn) != key or resource.type in _GRANT_TYPES:
                continue
            for target in _reach(builder, resource):
                other = member.get(target)
                if other is None or other == key or not KINDS[groups[other].kind].flow:
                    continue
                found.add(_edge(group, groups[other], ids[key], ids[other]))
    # An ALB routes to its own app (the Ingress's backend is the component's Service).
    for key, group in groups.items():
        if group.kind == "alb":
            for other, app in groups.items():
                if app.kind == "pods" and app.components == group.components:
                    found.add(Edge(ids[key], ids[other]))
    return found


def _reach(builder: _Builder, resource: RecordedResource) -> set[str]:
    """URNs of the resources ``resource`` uses: direct dependencies, and through the details of
    its own component (a Deployment's ConfigMap, a role's policy), theirs."""
    top = builder.top_of.get(resource.urn)
    seen, out, todo = {resource.urn}, set(), list(_deps(resource))
    while todo:
        urn = todo.pop()
        if urn in seen or urn not in builder.by_urn:
            continue
        seen.add(urn)
        dep = builder.by_urn[urn]
        if dep.type in _GRANT_TYPES:
            continue
        out.add(urn)
        if builder.top_of.get(urn) is top and dep.type not in _SIGNIFICANT_STOP:
            todo.extend(_deps(dep))
    return out


def _edge(dependent: _Group, dependency: _Group, dependent_id: str, dependency_id: str) -> Edge:
    style = _REVERSED.get((dependent.kind, dependency.kind))
    if style is not None:
        return Edge(dependency_id, dependent_id, style)
    style = "replication" if (dependent.kind, dependency.kind) in _REPLICATION else "flow"
    return Edge(dependent_id, dependency_id, style)


def entry_edges(nodes: list[Node]) -> set[Edge]:
    """Where users come in: Route 53, else the CDN or the load balancers."""
    entries = [n for n in nodes if n.kind == "route53"] or [n for n in nodes if n.kind in ("cloudfront", "alb")]
    return {Edge(USERS, n.id) for n in entries}


def peering_edges(
    nodes: list[Node], groups: dict[tuple, _Group], member: dict[str, tuple], ids: dict[tuple, str]
) -> set[Edge]:
    """Peered VPCs: a line between the peering and each side's VPC."""
    edges: set[Edge] = set()
    for peering in (n for n in nodes if n.kind == "peering"):
        for resource in groups_by_id(groups, ids)[peering.id].resources:
            for urn in _deps(resource):
                key = member.get(urn)
                if key is not None and groups[key].kind == "vpc":
                    edges.add(Edge(peering.id, ids[key], "network"))
    return edges

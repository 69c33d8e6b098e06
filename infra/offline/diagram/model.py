"""What a picture shows: clusters, nodes and edges, and the ids every module shares."""

from __future__ import annotations

from dataclasses import dataclass

#: Components that only group others: their children are the top components.
CONTAINER_TYPES = frozenset({"platform:stack:Cell", "platform:stack:Edge"})
GLOBAL_CLUSTER = "global"
ATLAS_CLUSTER = "atlas"
USERS = "users"


@dataclass(frozen=True)
class Cluster:
    """A box in the picture: a region, the global layer, or a section inside one of them."""

    id: str
    label: str
    #: The enclosing cluster's id; ``None`` for the outermost boxes.
    parent: str | None = None


@dataclass(frozen=True)
class Node:
    """One significant resource kind of one component (or of several, for merged kinds)."""

    id: str
    kind: str
    label: str
    #: The innermost cluster it is drawn in.
    cluster: str
    #: Top components it stands for.
    components: tuple[str, ...]
    #: Region of its resources; "" for global services.
    region: str = ""


@dataclass(frozen=True)
class Edge:
    """A data flow from ``source`` to ``target`` (node ids)."""

    source: str
    target: str
    #: ``flow`` (requests, reads, writes), ``replication``, ``filter`` (WAF) or ``network`` (peering).
    style: str = "flow"
    label: str = ""


@dataclass(frozen=True)
class DiagramModel:
    """Everything a picture shows, sorted so the same plan always gives the same file."""

    stack: str
    title: str
    clusters: tuple[Cluster, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    #: Top components that register no cloud resource (e.g. zero read replicas): nothing to draw.
    empty_components: tuple[str, ...] = ()

    def node(self, node_id: str) -> Node:
        """The node with ``node_id``; KeyError when absent."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def of_kind(self, kind: str) -> list[Node]:
        """Nodes of ``kind`` in drawing order."""
        return [n for n in self.nodes if n.kind == kind]

    def cluster_of(self, node: Node) -> Cluster:
        """The outermost cluster (region, global or Atlas) ``node`` is drawn in."""
        clusters = {c.id: c for c in self.clusters}
        cluster = clusters[node.cluster]
        while cluster.parent is not None:
            cluster = clusters[cluster.parent]
        return cluster

"""Render a :class:`~infra.offline.diagram.DiagramModel` to PNG or SVG with the ``diagrams`` library.

``diagrams`` (AWS icons over Graphviz) builds the Graphviz source; Graphviz's ``dot`` lays it out.
What this module adds to the library's defaults:

* **Stable ids.** The library gives every node a random id unless one is passed, and names a
  cluster ``cluster_<label>`` (two sections both labelled "database" would merge into one box). Nodes
  get the model's ids and clusters theirs, with the shown title set as the ``label`` attribute, so
  the same plan always gives the same file.
* **Self-contained SVG.** Graphviz references each icon by its absolute path on this machine; the
  icons are inlined as ``data:`` URIs so the file opens anywhere.
"""

from __future__ import annotations

import base64
import html
import re
import shutil
import tempfile
from pathlib import Path

from diagrams import Cluster, Diagram, Edge
from diagrams import Node as IconNode
from diagrams.aws.analytics import AmazonOpensearchService, KinesisDataStreams
from diagrams.aws.compute import EC2ContainerRegistry, ElasticKubernetesService
from diagrams.aws.database import Elasticache, RDSPostgresqlInstance
from diagrams.aws.general import General
from diagrams.aws.integration import SimpleNotificationServiceSns, SimpleQueueServiceSqs
from diagrams.aws.management import Cloudwatch, CloudwatchLogs
from diagrams.aws.network import (
    VPC,
    CloudFront,
    ElbApplicationLoadBalancer,
    Privatelink,
    Route53,
    VPCPeering,
)
from diagrams.aws.security import WAF, KeyManagementService
from diagrams.aws.storage import SimpleStorageServiceS3
from diagrams.k8s.compute import Deploy, Job
from diagrams.onprem.client import Users
from diagrams.onprem.database import Mongodb

from infra.offline.diagram import USERS, DiagramModel
from infra.offline.diagram import Cluster as ModelCluster

FORMATS = ("png", "svg")

#: The icon of each node kind.
ICONS: dict[str, type[IconNode]] = {
    "route53": Route53,
    "cloudfront": CloudFront,
    "waf-edge": WAF,
    "waf": WAF,
    "cdn-logs": CloudwatchLogs,
    "vpc": VPC,
    "peering": VPCPeering,
    "kms": KeyManagementService,
    "eks": ElasticKubernetesService,
    "addons": ElasticKubernetesService,
    "pods": Deploy,
    "worker": Deploy,
    "alb": ElbApplicationLoadBalancer,
    "job": Job,
    "rds-primary": RDSPostgresqlInstance,
    "rds-proxy": RDSPostgresqlInstance,
    "rds-replicas": RDSPostgresqlInstance,
    "atlas": Mongodb,
    "atlas-endpoint": Privatelink,
    "cache": Elasticache,
    "sqs": SimpleQueueServiceSqs,
    "sns": SimpleNotificationServiceSns,
    "kinesis": KinesisDataStreams,
    "opensearch": AmazonOpensearchService,
    "s3": SimpleStorageServiceS3,
    "ecr": EC2ContainerRegistry,
    "monitoring": Cloudwatch,
    "generic": General,
}

_EDGE_STYLES: dict[str, dict[str, str]] = {
    "flow": {"color": "#3B6EA5"},
    "replication": {"color": "#D9822B", "style": "dashed", "penwidth": "2", "label": "replication"},
    "filter": {"color": "#C0392B", "style": "dotted"},
    "network": {"color": "#7B8894", "style": "dashed", "dir": "none"},
}
_GRAPH = {
    "pad": "0.4",
    "fontsize": "22",
    "labelloc": "t",
    "nodesep": "0.35",
    "ranksep": "0.9",
    "splines": "spline",
}
#: Icon size in points; the text goes under it, as wide as it needs.
_ICON_POINTS = 52
_IMAGE = re.compile(rb'xlink:href="([^"]+\.png)"')


class DotMissingError(RuntimeError):
    """Graphviz's ``dot`` is not on PATH."""


def require_dot() -> str:
    """The path of Graphviz's ``dot``; DotMissingError with how to install it when absent."""
    dot = shutil.which("dot")
    if dot is None:
        raise DotMissingError(
            "Graphviz's `dot` is not on PATH; the diagram needs it: `apt-get install graphviz` "
            "(Debian/Ubuntu) or `brew install graphviz` (macOS)"
        )
    return dot


def inline_images(svg: bytes) -> bytes:
    """``svg`` with every referenced PNG icon embedded as a ``data:`` URI (opens without the venv)."""

    def embed(match: re.Match[bytes]) -> bytes:
        data = base64.b64encode(Path(match.group(1).decode()).read_bytes())
        return b'xlink:href="data:image/png;base64,' + data + b'"'

    return _IMAGE.sub(embed, svg)


def _icon_node(icon: type[IconNode], label: str, node_id: str) -> IconNode:
    """A node drawn as its icon over its label lines (first line bold).

    The library draws the icon as the node's background image with the label over its lower edge,
    so a three-line label covers the icon; an HTML-like label with the icon in its own fixed-size
    cell keeps them apart.
    """
    path = Path(icon._load_icon(icon))
    first, *rest = label.split("\n")
    lines = [f"<B>{html.escape(first)}</B>", *(html.escape(line) for line in rest)]
    table = (
        f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR><TD FIXEDSIZE="TRUE" WIDTH="{_ICON_POINTS}" '
        f'HEIGHT="{_ICON_POINTS}"><IMG SRC="{html.escape(str(path))}" SCALE="TRUE"/></TD></TR>'
        + "".join(f"<TR><TD>{line}</TD></TR>" for line in lines)
        + "</TABLE>>"
    )
    return icon(table, nodeid=node_id, image="", shape="plain", fixedsize="false", width="0", height="0")


def render(model: DiagramModel, output: Path) -> Path:
    """Draw ``model`` into ``output`` (``.png`` or ``.svg``, by its suffix); returns ``output``."""
    fmt = output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"{output}: the diagram is written as .png or .svg, not {output.suffix or 'no suffix'}")
    require_dot()
    with tempfile.TemporaryDirectory() as tmp:
        stem = Path(tmp) / "diagram"
        with Diagram(model.title, filename=str(stem), outformat=fmt, show=False, direction="TB", graph_attr=_GRAPH):
            drawn = {USERS: _icon_node(Users, "users", USERS)}
            children: dict[str | None, list[ModelCluster]] = {}
            for cluster in model.clusters:
                children.setdefault(cluster.parent, []).append(cluster)

            def draw(cluster: ModelCluster) -> None:
                with Cluster(
                    cluster.id, graph_attr={"label": cluster.label, "fontsize": "16" if cluster.parent else "20"}
                ):
                    for node in model.nodes:
                        if node.cluster == cluster.id:
                            drawn[node.id] = _icon_node(ICONS[node.kind], node.label, node.id)
                    for child in children.get(cluster.id, []):
                        draw(child)

            for cluster in children.get(None, []):
                draw(cluster)
            pairs = {(e.source, e.target, e.style) for e in model.edges}
            for edge in model.edges:
                if (edge.target, edge.source, edge.style) in pairs and edge.target < edge.source:
                    continue  # drawn once, with arrows both ways
                attrs = dict(_EDGE_STYLES[edge.style])
                if (edge.target, edge.source, edge.style) in pairs:
                    attrs["dir"] = "both"
                if edge.label:
                    attrs["label"] = edge.label
                forward = attrs.pop("dir", "forward")
                drawn[edge.source].connect(
                    drawn[edge.target], Edge(forward=forward in ("forward", "both"), reverse=forward == "both", **attrs)
                )
        data = stem.with_suffix(f".{fmt}").read_bytes()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(inline_images(data) if fmt == "svg" else data)
    return output

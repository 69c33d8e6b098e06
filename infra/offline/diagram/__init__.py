"""The architecture picture of a stack, as a model: clusters, nodes and edges drawn from its plan.

``python -m infra.cli diagram`` renders this model (:mod:`infra.offline.diagram_render`); the model
itself is pure, so what a picture shows is tested without Graphviz.

How the plan becomes a picture that reads at a glance:

* **Where.** One cluster per region, plus a global/edge cluster for the services that have no
  region (CloudFront, its WAF and logs, Route 53) and one for MongoDB Atlas clusters (a SaaS that
  spans regions). Inside a region, one sub-cluster per section (network, EKS, database, ...).
  Kubernetes objects have no region of their own: they sit where their cell (``platform:stack:Cell``)
  is.
* **What.** A *top component* is a component directly under the stack, a cell or the edge layer
  (``use1-db``, ``edge-assets``, ``euw1-peering``). Each top component becomes one node per kind of
  significant resource it registers, per region (``use1-db``: "RDS primary" and "RDS Proxy"); the
  other resources (security groups, IAM, log groups, ...) are details of those nodes. A component
  with no significant resource still gets one node, named after its type, so nothing the plan
  deploys is missing. Kinds marked ``merge`` (KMS keys, cluster add-ons) make one node per section.
* **Labels** carry the sizing from the resources' inputs: classes, node types, counts and ranges
  as integers (``2–6 pods``; the wire protocol carries every number as a double).
* **Edges** are the data flows, from the dependency graph: a node depends on another when one of
  its resources (or, through details of its own component, one of its resources' inputs) uses the
  other's outputs. Only flow kinds are connected (the VPC, KMS and CloudWatch feed everything and
  would hide the flows). An edge points from the user of a service to the service (api → cache),
  except where data flows the other way: a primary feeds its replicas, a queue or stream feeds its
  worker, a topic feeds its queues, a WAF filters what reaches the CDN or ALB.

The package, by step: :mod:`.model` (what a picture holds), :mod:`.kinds` (which kind a resource
is, and each kind's section), :mod:`.grouping` (top components and their node groups),
:mod:`.labels` and :mod:`.labels_data` (label text, with :mod:`.text`'s helpers), :mod:`.flows`
(edges) and :mod:`.build` (:func:`build_diagram_model`, which ties them together).
"""

from infra.offline.diagram.build import build_diagram_model
from infra.offline.diagram.grouping import groups_by_id
from infra.offline.diagram.kinds import KINDS, SECTIONS, Kind
from infra.offline.diagram.labels import LABELS
from infra.offline.diagram.labels_data import atlas_region
from infra.offline.diagram.model import (
    ATLAS_CLUSTER,
    CONTAINER_TYPES,
    GLOBAL_CLUSTER,
    USERS,
    Cluster,
    DiagramModel,
    Edge,
    Node,
)
from infra.offline.diagram.text import span

__all__ = [
    "ATLAS_CLUSTER",
    "CONTAINER_TYPES",
    "GLOBAL_CLUSTER",
    "KINDS",
    "LABELS",
    "SECTIONS",
    "USERS",
    "Cluster",
    "DiagramModel",
    "Edge",
    "Kind",
    "Node",
    "atlas_region",
    "build_diagram_model",
    "groups_by_id",
    "span",
]

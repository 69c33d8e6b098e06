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
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.offline.harness import PlanResult, RecordedResource

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


@dataclass(frozen=True)
class Kind:
    """How one kind of significant resource is drawn."""

    section: str
    #: Connected by edges (a data flow) or not (infrastructure everything uses).
    flow: bool = True
    #: Drawn in the global cluster whatever its provider's region.
    global_: bool = False
    #: One node per section for all components (KMS keys, add-ons) instead of one per component.
    merge: bool = False


KINDS: dict[str, Kind] = {
    "route53": Kind("edge", global_=True),
    "cloudfront": Kind("edge", global_=True),
    "waf-edge": Kind("edge", global_=True),
    "cdn-logs": Kind("edge", flow=False, global_=True),
    "vpc": Kind("network", flow=False),
    "peering": Kind("network", flow=False),
    "kms": Kind("security", flow=False, merge=True),
    "waf": Kind("eks"),
    "alb": Kind("eks"),
    "eks": Kind("eks", flow=False),
    "addons": Kind("eks", flow=False, merge=True),
    "pods": Kind("eks"),
    "worker": Kind("eks"),
    "job": Kind("eks"),
    "rds-proxy": Kind("database"),
    "rds-primary": Kind("database"),
    "rds-replicas": Kind("database"),
    "atlas": Kind("atlas"),
    "atlas-endpoint": Kind("database"),
    "cache": Kind("cache"),
    "sqs": Kind("messaging"),
    "sns": Kind("messaging"),
    "kinesis": Kind("messaging"),
    "opensearch": Kind("search"),
    "s3": Kind("assets"),
    "ecr": Kind("assets", flow=False),
    "monitoring": Kind("monitoring", flow=False, merge=True),
    "generic": Kind("other", flow=False),
}

#: Section titles, in drawing order.
SECTIONS: dict[str, str] = {
    "edge": "edge: DNS, CDN, WAF",
    "network": "network",
    "eks": "EKS cluster & workloads",
    "database": "database",
    "atlas": "MongoDB Atlas",
    "cache": "cache",
    "messaging": "messaging",
    "search": "search",
    "assets": "assets & images",
    "security": "keys",
    "monitoring": "monitoring",
    "other": "other",
}

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

#: Resources that only ever register as details (their component's node carries them).
_DETAIL_TYPES = frozenset(
    {
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/subnet:Subnet",
        "aws:route53/healthCheck:HealthCheck",
    }
)


def _kind_of(resource: RecordedResource, dependents: Mapping[str, list[RecordedResource]], has_ingress: bool) -> str:
    """The kind of a significant resource, "" for a detail.

    ``dependents`` maps URNs to the resources of the same component that depend on them (what tells
    an alert topic from an event topic, and a dead-letter queue from a job queue);
    ``has_ingress`` says whether the resource's component has an Ingress (a serving app).
    """
    t, inputs = resource.type, resource.inputs
    users = dependents.get(resource.urn, [])
    if t.startswith("mongodbatlas:"):
        return "atlas" if t.endswith((":AdvancedCluster", ":Cluster", ":FlexCluster")) else ""
    simple = {
        "aws:route53/record:Record": "route53",
        "aws:cloudfront/distribution:Distribution": "cloudfront",
        "aws:cloudwatch/logDelivery:LogDelivery": "cdn-logs",
        "aws:ec2/vpc:Vpc": "vpc",
        "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": "peering",
        "aws:kms/key:Key": "kms",
        "aws:eks/cluster:Cluster": "eks",
        "kubernetes:helm.sh/v3:Release": "addons",
        "kubernetes:networking.k8s.io/v1:Ingress": "alb",
        "kubernetes:batch/v1:Job": "job",
        "aws:rds/proxy:Proxy": "rds-proxy",
        "aws:elasticache/replicationGroup:ReplicationGroup": "cache",
        "aws:kinesis/stream:Stream": "kinesis",
        "aws:opensearch/domain:Domain": "opensearch",
        "aws:ecr/replicationConfiguration:ReplicationConfiguration": "ecr",
        "aws:cloudwatch/dashboard:Dashboard": "monitoring",
    }
    if t in simple:
        return simple[t]
    if t == "aws:wafv2/webAcl:WebAcl":
        return "waf-edge" if inputs.get("scope") == "CLOUDFRONT" else "waf"
    if t == "kubernetes:apps/v1:Deployment":
        return "pods" if has_ingress else "worker"
    if t == "aws:rds/instance:Instance":
        return "rds-replicas" if inputs.get("replicateSourceDb") else "rds-primary"
    if t == "aws:sns/topic:Topic":
        # A topic the component's own alarms publish to is its alert topic.
        alerting = any(u.type == "aws:cloudwatch/metricAlarm:MetricAlarm" for u in users)
        return "monitoring" if alerting else "sns"
    if t == "aws:sqs/queue:Queue":
        # A queue another queue or a subscription of the same component redrives to is a DLQ.
        return (
            ""
            if any(u.type in ("aws:sqs/queue:Queue", "aws:sns/topicSubscription:TopicSubscription") for u in users)
            else "sqs"
        )
    if t in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
        # Buckets that only receive logs are details; origin buckets are what a CDN or app reads.
        return (
            "" if any(u.type == "aws:ec2/flowLog:FlowLog" for u in users) or _is_log_bucket(resource, users) else "s3"
        )
    if t == "aws:ec2/vpcEndpoint:VpcEndpoint" and inputs.get("vpcEndpointType") == "Interface":
        return (
            "atlas-endpoint" if "mongodb" in str(inputs.get("serviceName", "")).lower() or _atlas_linked(users) else ""
        )
    return ""


def _is_log_bucket(bucket: RecordedResource, users: list[RecordedResource]) -> bool:
    """A bucket other buckets log into (``aws:s3/bucketLogging``'s ``targetBucket``)."""
    return any(
        u.type == "aws:s3/bucketLogging:BucketLogging" and u.inputs.get("targetBucket") == bucket.id for u in users
    )


def _atlas_linked(users: list[RecordedResource]) -> bool:
    return any(u.type.startswith("mongodbatlas:") for u in users)


# --- labels -------------------------------------------------------------------------------------


def _int(value: Any) -> Any:
    """A whole double as an int (the wire protocol carries every number as a double)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def span(low: Any, high: Any) -> str:
    """``2–6``; a single number when both ends are equal."""
    low, high = _int(low), _int(high)
    return f"{low}" if low == high else f"{low}–{high}"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _short(resource: RecordedResource, component: str) -> str:
    """A resource's logical name without its component's prefix (``use1-queues-jobs`` -> ``jobs``)."""
    name = resource.name
    return name[len(component) + 1 :] if name.startswith(component + "-") else name


def _of(resources: Iterable[RecordedResource], *types: str) -> list[RecordedResource]:
    return [r for r in resources if r.type in types]


def _label_route53(rs: list[RecordedResource], component: str) -> str:
    records = _of(rs, "aws:route53/record:Record")
    latency = [r for r in records if r.inputs.get("latencyRoutingPolicies") or r.inputs.get("latencyRoutingPolicy")]
    checks = _of(rs, "aws:route53/healthCheck:HealthCheck")
    lines = ["Route 53"]
    if latency:
        lines.append(_plural(len(latency), "latency record"))
    lines.append(f"{_plural(len(records) - len(latency), 'alias record')}, {_plural(len(checks), 'health check')}")
    return "\n".join(lines)


def _label_cloudfront(rs: list[RecordedResource], component: str) -> str:
    (dist, *_) = _of(rs, "aws:cloudfront/distribution:Distribution")
    origins = len(dist.inputs.get("origins") or [])
    signed = bool(_of(rs, "aws:cloudfront/publicKey:PublicKey"))
    extras = [str(dist.inputs.get("priceClass", "")).replace("PriceClass_", "price class "), _plural(origins, "origin")]
    return "CloudFront\n" + ", ".join(extras) + ("\nsigned upload URLs" if signed else "")


def _waf_rules(acl: RecordedResource) -> str:
    rules = acl.inputs.get("rules") or []
    rate = [r for r in rules if (r.get("statement") or {}).get("rateBasedStatement")]
    text = _plural(len(rules), "rule")
    if rate:
        limit = _int(rate[0]["statement"]["rateBasedStatement"].get("limit"))
        text += f", rate limit {limit}/5 min"
    return text


def _label_waf(rs: list[RecordedResource], component: str) -> str:
    (acl, *_) = _of(rs, "aws:wafv2/webAcl:WebAcl")
    where = "CloudFront" if acl.inputs.get("scope") == "CLOUDFRONT" else "ALB"
    return f"WAF ({where})\n{_waf_rules(acl)}"


def _label_vpc(rs: list[RecordedResource], component: str) -> str:
    (vpc, *_) = _of(rs, "aws:ec2/vpc:Vpc")
    subnets = _of(rs, "aws:ec2/subnet:Subnet")
    zones = {s.inputs.get("availabilityZoneId") or s.inputs.get("availabilityZone") for s in subnets}
    nats = _of(rs, "aws:ec2/natGateway:NatGateway")
    return (
        f"VPC {vpc.inputs.get('cidrBlock', '')}\n{_plural(len(zones), 'AZ')}, {_plural(len(subnets), 'subnet')}\n"
        f"{_plural(len(nats), 'NAT gateway')}"
    )


def _label_peering(rs: list[RecordedResource], component: str) -> str:
    (peering, *_) = _of(rs, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection")
    return f"VPC peering\nto {peering.inputs.get('peerRegion') or 'the same region'}"


def _label_kms(rs: list[RecordedResource], component: str) -> str:
    keys = _of(rs, "aws:kms/key:Key")
    rotating = all(k.inputs.get("enableKeyRotation") for k in keys)
    return f"KMS\n{_plural(len(keys), 'key')}" + (", rotated" if rotating else "")


def _label_eks(rs: list[RecordedResource], component: str) -> str:
    (cluster, *_) = _of(rs, "aws:eks/cluster:Cluster")
    groups = _of(rs, "aws:eks/nodeGroup:NodeGroup")
    types = sorted({str(t.inputs.get("instanceType")) for t in _of(rs, "aws:ec2/launchTemplate:LaunchTemplate")})
    types += sorted({t for g in groups for t in g.inputs.get("instanceTypes") or []})
    low = sum(_int((g.inputs.get("scalingConfig") or {}).get("minSize", 0)) for g in groups)
    high = sum(_int((g.inputs.get("scalingConfig") or {}).get("maxSize", 0)) for g in groups)
    capacity = sorted({str(g.inputs.get("capacityType", "ON_DEMAND")).replace("_", "-").lower() for g in groups})
    return (
        f"EKS {cluster.inputs.get('version', '')}\n{'/'.join(types)} × {span(low, high)} nodes\n"
        f"{_plural(len(groups), 'node group')}, {'/'.join(capacity)}"
    )


def _label_addons(rs: list[RecordedResource], component: str) -> str:
    names = sorted(
        {str(r.inputs.get("chart") or r.inputs.get("name") or r.name) for r in rs if r.type.endswith("Release")}
    )
    return "add-ons (Helm)\n" + "\n".join(names)


#: KEDA trigger types as the picture names them.
_TRIGGERS = {"aws-sqs-queue": "queue depth", "aws-kinesis-stream": "stream lag"}


def _replicas(rs: list[RecordedResource]) -> str:
    for scaled in _of(rs, "kubernetes:keda.sh/v1alpha1:ScaledObject"):
        spec = scaled.inputs.get("spec") or {}
        triggers = [_TRIGGERS.get(t.get("type"), t.get("type")) for t in spec.get("triggers") or []]
        return (
            f"{span(spec.get('minReplicaCount', 0), spec.get('maxReplicaCount', 0))} pods\nKEDA on {'/'.join(triggers)}"
        )
    for hpa in _of(rs, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"):
        spec = hpa.inputs.get("spec") or {}
        return f"{span(spec.get('minReplicas', 1), spec.get('maxReplicas', 1))} pods\nHPA on CPU/memory"
    (deployment, *_) = _of(rs, "kubernetes:apps/v1:Deployment")
    return f"{_int((deployment.inputs.get('spec') or {}).get('replicas', 1))} pods"


def _app_name(rs: list[RecordedResource], component: str) -> str:
    for deployment in _of(rs, "kubernetes:apps/v1:Deployment"):
        name = (deployment.inputs.get("metadata") or {}).get("name")
        if name:
            return str(name)
    return component


def _label_pods(rs: list[RecordedResource], component: str) -> str:
    return f"{_app_name(rs, component)}\n{_replicas(rs)}"


def _label_alb(rs: list[RecordedResource], component: str) -> str:
    (ingress, *_) = _of(rs, "kubernetes:networking.k8s.io/v1:Ingress")
    hosts = [rule.get("host") for rule in (ingress.inputs.get("spec") or {}).get("rules") or [] if rule.get("host")]
    return "ALB (Ingress)" + (f"\n{', '.join(hosts)}" if hosts else "")


def _label_job(rs: list[RecordedResource], component: str) -> str:
    # The Job's own name carries a content hash; the component says what it is for.
    return f"Job\n{component.split('-', 1)[-1]}"


def _label_rds_primary(rs: list[RecordedResource], component: str) -> str:
    (db, *_) = _of(rs, "aws:rds/instance:Instance")
    i = db.inputs
    engine = "PostgreSQL" if i.get("engine") == "postgres" else str(i.get("engine", ""))
    return (
        f"RDS {engine} {i.get('engineVersion', '')}\n{i.get('instanceClass', '')}"
        f"{' Multi-AZ' if i.get('multiAz') else ''}\n{_int(i.get('allocatedStorage'))} GB {i.get('storageType', '')}, "
        f"{_int(i.get('backupRetentionPeriod'))}-day backups"
    )


def _label_rds_proxy(rs: list[RecordedResource], component: str) -> str:
    (proxy, *_) = _of(rs, "aws:rds/proxy:Proxy")
    auth = "IAM auth" if any(a.get("iamAuth") == "REQUIRED" for a in proxy.inputs.get("auths") or []) else "secrets"
    return f"RDS Proxy\n{auth}{', TLS' if proxy.inputs.get('requireTls') else ''}"


def _label_rds_replicas(rs: list[RecordedResource], component: str) -> str:
    replicas = _of(rs, "aws:rds/instance:Instance")
    classes = sorted({str(r.inputs.get("instanceClass")) for r in replicas})
    return f"{_plural(len(replicas), 'read replica')}\n{'/'.join(classes)}"


def _label_cache(rs: list[RecordedResource], component: str) -> str:
    (group, *_) = _of(rs, "aws:elasticache/replicationGroup:ReplicationGroup")
    i = group.inputs
    engine = {"valkey": "Valkey", "redis": "Redis OSS"}.get(str(i.get("engine", "redis")), i.get("engine"))
    if i.get("numNodeGroups") is not None:
        shape = f"{_plural(_int(i['numNodeGroups']), 'shard')} × {1 + _int(i.get('replicasPerNodeGroup', 0))} nodes"
    else:
        shape = f"{_int(i.get('numCacheClusters', 1))} nodes"
    mode = "cluster mode" if i.get("clusterMode") == "enabled" else "Multi-AZ" if i.get("multiAzEnabled") else ""
    return f"ElastiCache {engine}\n{i.get('nodeType', '')}\n{shape}" + (f", {mode}" if mode else "")


def _label_sqs(rs: list[RecordedResource], component: str) -> str:
    queues = _of(rs, "aws:sqs/queue:Queue")
    dlqs = {u for q in queues for u in (q.property_dependencies.get("redrivePolicy") or [])}
    main = sorted(_short(q, component) for q in queues if q.urn not in dlqs)
    return f"SQS\n{', '.join(main)}\n+ {_plural(len(dlqs), 'DLQ')}"


def _label_sns(rs: list[RecordedResource], component: str) -> str:
    topics = [t for t in _of(rs, "aws:sns/topic:Topic")]
    subscriptions = _of(rs, "aws:sns/topicSubscription:TopicSubscription")
    names = sorted(_short(t, component) for t in topics)
    return f"SNS\n{', '.join(names)}\n{_plural(len(subscriptions), 'subscription')}"


def _label_kinesis(rs: list[RecordedResource], component: str) -> str:
    (stream, *_) = _of(rs, "aws:kinesis/stream:Stream")
    i = stream.inputs
    mode = (i.get("streamModeDetails") or {}).get("streamMode", "PROVISIONED")
    shards = f"{_plural(_int(i.get('shardCount', 0)), 'shard')}" if mode == "PROVISIONED" else "on-demand"
    return f"Kinesis\n{shards}, {_int(i.get('retentionPeriod', 24))} h retention"


def _label_opensearch(rs: list[RecordedResource], component: str) -> str:
    (domain, *_) = _of(rs, "aws:opensearch/domain:Domain")
    c = domain.inputs.get("clusterConfig") or {}
    zones = (c.get("zoneAwarenessConfig") or {}).get("availabilityZoneCount", 1)
    lines = [f"OpenSearch\n{_int(c.get('instanceCount', 1))} × {c.get('instanceType', '')}"]
    if c.get("dedicatedMasterEnabled"):
        lines.append(f"{_int(c.get('dedicatedMasterCount'))} masters {c.get('dedicatedMasterType', '')}")
    lines.append(f"{_int(zones)} AZs")
    return "\n".join(lines)


def _label_s3(rs: list[RecordedResource], component: str) -> str:
    logs = {u.inputs.get("targetBucket") for u in _of(rs, "aws:s3/bucketLogging:BucketLogging")}
    buckets = [b for b in _of(rs, "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2") if b.id not in logs]
    replicated = bool(_of(rs, "aws:s3/bucketReplicationConfig:BucketReplicationConfig"))
    text = f"S3 {_plural(len(buckets), 'bucket')}"
    return text + (f" + {_plural(len(logs), 'log bucket')}" if logs else "") + ("\nreplicated" if replicated else "")


def _label_ecr(rs: list[RecordedResource], component: str) -> str:
    (config, *_) = _of(rs, "aws:ecr/replicationConfiguration:ReplicationConfiguration")
    regions = sorted(
        {
            d.get("region")
            for rule in (config.inputs.get("replicationConfiguration") or {}).get("rules") or []
            for d in rule.get("destinations") or []
        }
    )
    return "ECR replication\nto " + ", ".join(regions)


def _label_monitoring(rs: list[RecordedResource], component: str) -> str:
    alarms = _of(rs, "aws:cloudwatch/metricAlarm:MetricAlarm")
    extras = [_plural(len(alarms), "alarm")]
    if _of(rs, "aws:cloudwatch/dashboard:Dashboard"):
        extras.append("dashboard")
    return "CloudWatch\n" + ", ".join(extras) + ("\n→ SNS alerts" if _of(rs, "aws:sns/topic:Topic") else "")


def _label_cdn_logs(rs: list[RecordedResource], component: str) -> str:
    return "CloudFront logs\n→ CloudWatch Logs"


_ATLAS_REGION = re.compile(r"^[A-Z]+_[A-Z]+_\d+$")


def atlas_region(name: str) -> str:
    """Atlas's AWS region names (``US_EAST_1``) as AWS spells them (``us-east-1``)."""
    return name.lower().replace("_", "-") if _ATLAS_REGION.match(name) else name


def _label_atlas(rs: list[RecordedResource], component: str) -> str:
    (cluster, *_) = [r for r in rs if r.type.startswith("mongodbatlas:") and _kind_of(r, {}, False) == "atlas"]
    i = cluster.inputs
    specs = i.get("replicationSpecs") or []
    sizes, regions, electable, analytics = set(), [], 0, 0
    for spec in specs:
        for config in spec.get("regionConfigs") or []:
            region = atlas_region(str(config.get("regionName", "")))
            if region not in regions:
                regions.append(region)
            for key in ("electableSpecs", "readOnlySpecs", "analyticsSpecs"):
                hardware = config.get(key) or {}
                if hardware.get("instanceSize"):
                    sizes.add(str(hardware["instanceSize"]))
            electable += _int((config.get("electableSpecs") or {}).get("nodeCount", 0))
            analytics += _int((config.get("analyticsSpecs") or {}).get("nodeCount", 0))
    shards = len(specs) if i.get("clusterType") in ("SHARDED", "GEOSHARDED") else 0
    nodes_per_shard = electable // max(len(specs), 1)
    shape = f"{_plural(shards, 'shard')} × {nodes_per_shard} nodes" if shards else f"replica set, {electable} nodes"
    lines = [f"MongoDB Atlas {'/'.join(sorted(sizes)) or cluster.inputs.get('providerInstanceSizeName', '')}", shape]
    if analytics:
        lines.append(f"+ {_plural(analytics, 'analytics node')}")
    if regions:
        lines.append(", ".join(regions))
    endpoints = [r for r in rs if r.type.endswith(":PrivateLinkEndpoint")]
    if endpoints:
        lines.append(_plural(len(endpoints), "private endpoint"))
    return "\n".join(lines)


def _label_atlas_endpoint(rs: list[RecordedResource], component: str) -> str:
    return f"PrivateLink\n{_plural(len(_of(rs, 'aws:ec2/vpcEndpoint:VpcEndpoint')), 'endpoint')} to Atlas"


LABELS: dict[str, Callable[[list[RecordedResource], str], str]] = {
    "route53": _label_route53,
    "cloudfront": _label_cloudfront,
    "waf-edge": _label_waf,
    "waf": _label_waf,
    "cdn-logs": _label_cdn_logs,
    "vpc": _label_vpc,
    "peering": _label_peering,
    "kms": _label_kms,
    "eks": _label_eks,
    "addons": _label_addons,
    "pods": _label_pods,
    "worker": _label_pods,
    "alb": _label_alb,
    "job": _label_job,
    "rds-primary": _label_rds_primary,
    "rds-proxy": _label_rds_proxy,
    "rds-replicas": _label_rds_replicas,
    "cache": _label_cache,
    "sqs": _label_sqs,
    "sns": _label_sns,
    "kinesis": _label_kinesis,
    "opensearch": _label_opensearch,
    "s3": _label_s3,
    "ecr": _label_ecr,
    "monitoring": _label_monitoring,
    "atlas": _label_atlas,
    "atlas-endpoint": _label_atlas_endpoint,
}


# --- the model ----------------------------------------------------------------------------------


def _ident(text: str) -> str:
    """A Graphviz-safe id."""
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


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


class _Builder:
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

    def edges(self, groups: dict[tuple, _Group], member: dict[str, tuple], ids: dict[tuple, str]) -> set[Edge]:
        found: set[Edge] = set()
        for key, group in groups.items():
            if not KINDS[group.kind].flow:
                continue
            for resource in group.resources:
                if member.get(resource.urn) != key or resource.type in _GRANT_TYPES:
                    continue
                for target in self._reach(resource):
                    other = member.get(target)
                    if other is None or other == key or not KINDS[groups[other].kind].flow:
                        continue
                    found.add(self._edge(group, groups[other], ids[key], ids[other]))
        # An ALB routes to its own app (the Ingress's backend is the component's Service).
        for key, group in groups.items():
            if group.kind == "alb":
                for other, app in groups.items():
                    if app.kind == "pods" and app.components == group.components:
                        found.add(Edge(ids[key], ids[other]))
        return found

    def _reach(self, resource: RecordedResource) -> set[str]:
        """URNs of the resources ``resource`` uses: direct dependencies, and through the details of
        its own component (a Deployment's ConfigMap, a role's policy), theirs."""
        top = self.top_of.get(resource.urn)
        seen, out, todo = {resource.urn}, set(), list(_deps(resource))
        while todo:
            urn = todo.pop()
            if urn in seen or urn not in self.by_urn:
                continue
            seen.add(urn)
            dep = self.by_urn[urn]
            if dep.type in _GRANT_TYPES:
                continue
            out.add(urn)
            if self.top_of.get(urn) is top and dep.type not in _SIGNIFICANT_STOP:
                todo.extend(_deps(dep))
        return out

    @staticmethod
    def _edge(dependent: _Group, dependency: _Group, dependent_id: str, dependency_id: str) -> Edge:
        style = _REVERSED.get((dependent.kind, dependency.kind))
        if style is not None:
            return Edge(dependency_id, dependent_id, style)
        style = "replication" if (dependent.kind, dependency.kind) in _REPLICATION else "flow"
        return Edge(dependent_id, dependency_id, style)


#: Types whose own dependencies are not followed from another resource of the same component (a
#: Deployment reaches the cluster through its provider, not the cluster's VPC).
_SIGNIFICANT_STOP = frozenset({"pulumi:providers:kubernetes", "aws:eks/cluster:Cluster"})


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
    edges = builder.edges(groups, member, ids)
    entries = [n for n in nodes if n.kind == "route53"] or [n for n in nodes if n.kind in ("cloudfront", "alb")]
    edges |= {Edge(USERS, n.id) for n in entries}
    # Peered VPCs: a line between the peering and each side's VPC.
    for peering in (n for n in nodes if n.kind == "peering"):
        for resource in groups_by_id(groups, ids)[peering.id].resources:
            for urn in _deps(resource):
                key = member.get(urn)
                if key is not None and groups[key].kind == "vpc":
                    edges.add(Edge(peering.id, ids[key], "network"))
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


def groups_by_id(groups: dict[tuple, _Group], ids: dict[tuple, str]) -> dict[str, _Group]:
    """The build groups by node id."""
    return {ids[key]: group for key, group in groups.items()}

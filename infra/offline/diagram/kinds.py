"""The kinds of significant resource a picture draws, their sections, and which kind a resource is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from infra.offline.harness import RecordedResource


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

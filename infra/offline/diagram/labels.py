"""The label of each node kind: what it is and its sizing, from its resources' inputs.

Labels carry the sizing from the resources' inputs: classes, node types, counts and ranges as
integers (``2–6 pods``; the wire protocol carries every number as a double). The edge, network,
compute and monitoring labels are here; the data services' are in
:mod:`infra.offline.diagram.labels_data`.
"""

from __future__ import annotations

from collections.abc import Callable

from infra.offline.diagram.labels_data import (
    _label_atlas,
    _label_atlas_endpoint,
    _label_cache,
    _label_kinesis,
    _label_opensearch,
    _label_rds_primary,
    _label_rds_proxy,
    _label_rds_replicas,
    _label_s3,
    _label_sns,
    _label_sqs,
)
from infra.offline.diagram.text import _int, _of, _plural, span
from infra.offline.harness import RecordedResource


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

"""Pricers of the network: NAT gateways, public IPv4 addresses, VPC endpoints, inter-AZ and
peering transfer, flow logs, Kubernetes Services and the ALBs of Ingress groups, and the edge
(CloudFront, Route 53), which bills region ``global``.

ALBs are not AWS resources of the program: the AWS Load Balancer Controller creates one per
Kubernetes Ingress group, so they are priced from the Ingress objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.offline.cost.context import GLOBAL, _Context, _monthly, _num, _q
from infra.offline.cost.registry import pricer
from infra.offline.cost.report import LineItem
from infra.offline.harness import RecordedResource
from infra.offline.pricing import PriceError
from infra.offline.usage import Usage


@pricer("aws:ec2/natGateway:NatGateway", "monthly_gb")
def _nat(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    gb = u["monthly_gb"]
    return [
        LineItem("NAT gateway, 730 h", _monthly(ctx, "vpc.nat_hour", region), region),
        LineItem(f"NAT processing {_q(gb)} GB", gb * ctx.rate("vpc.nat_gb", region), region),
    ]


@pricer("aws:ec2/eip:Eip")
def _eip(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    return [LineItem("public IPv4 address, 730 h", _monthly(ctx, "vpc.public_ipv4_hour", region), region)]


@pricer("aws:ec2/vpcEndpoint:VpcEndpoint", "monthly_gb")
def _vpc_endpoint(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    kind = r.inputs.get("vpcEndpointType") or "Gateway"
    if kind == "Gateway":
        return [LineItem("gateway endpoint: no charge", 0.0, region)]
    if kind != "Interface":
        raise PriceError(f"{r.name}: VPC endpoint type {kind!r} has no price (Gateway or Interface)")
    zones = len(r.inputs.get("subnetIds") or [])
    gb = u["monthly_gb"]
    return [
        LineItem(
            f"interface endpoint, {zones} AZ x 730 h",
            _monthly(ctx, "vpc.endpoint_az_hour", region, count=zones),
            region,
        ),
        LineItem(f"endpoint processing {_q(gb)} GB", gb * ctx.rate("vpc.endpoint_gb", region), region),
    ]


@pricer("aws:ec2/vpc:Vpc", "monthly_inter_az_gb")
def _vpc(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """The VPC itself is free; it carries the cell's traffic between zones (billed out and in)."""
    gb = u["monthly_inter_az_gb"]
    return [
        LineItem(f"inter-AZ transfer {_q(gb)} GB (out + in)", 2 * gb * ctx.rate("transfer.inter_az_gb", region), region)
    ]


@pricer("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "monthly_gb")
def _peering(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    gb = u["monthly_gb"]
    peer = r.inputs.get("peerRegion") or region
    item = "transfer.inter_region_gb" if peer != region else "transfer.inter_az_gb"
    return [LineItem(f"peering transfer {_q(gb)} GB to {peer}", gb * ctx.rate(item, region), region)]


@pricer("aws:ec2/flowLog:FlowLog", "monthly_gb")
def _flow_log(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    destination = r.inputs.get("logDestinationType") or "cloud-watch-logs"
    if destination != "s3":
        raise PriceError(f"{r.name}: flow logs to {destination!r} have no price here (s3 only)")
    gb = u["monthly_gb"]
    return [LineItem(f"flow logs delivered to S3, {_q(gb)} GB", gb * ctx.rate("logs.vended_s3_gb", region), region)]


def _ingress_group(r: RecordedResource) -> str:
    metadata = r.inputs.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    group = annotations.get("alb.ingress.kubernetes.io/group.name")
    # An ingress without a group gets an ALB of its own (the controller's implicit group).
    return f"{r.provider}|{group}" if group else f"{r.provider}|{metadata.get('namespace')}/{metadata.get('name')}"


@pricer("kubernetes:core/v1:Service")
def _service(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Cluster-internal services cost nothing; a LoadBalancer service would be an NLB."""
    kind = (r.inputs.get("spec") or {}).get("type") or "ClusterIP"
    if kind == "LoadBalancer":
        raise PriceError(f"{r.name}: a LoadBalancer Service creates an NLB, which has no price in the table")
    return [LineItem(f"{kind} service: no charge", 0.0, region)]


@pricer("kubernetes:networking.k8s.io/v1:Ingress", "average_lcus", "monthly_gb_out")
def _ingress(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """One ALB per ingress group (the AWS Load Balancer Controller's unit); the group's first
    ingress by URN carries its price, with the bytes it sends to the internet. Internet-facing
    ALBs hold a public IPv4 address per zone."""
    spec = r.inputs.get("spec") or {}
    if spec.get("ingressClassName") not in ("alb", None):
        return [LineItem(f"ingress class {spec.get('ingressClassName')!r}: no AWS load balancer", 0.0, region)]
    group = _ingress_group(r)
    members = sorted(
        x.urn for x in ctx.plan.of_type(r.type) if _ingress_group(x) == group and x.inputs.get("spec", {}).get(
            "ingressClassName") in ("alb", None)
    )  # fmt: skip
    if members[0] != r.urn:
        return [LineItem("shares the ALB of its ingress group", 0.0, region)]
    annotations = (r.inputs.get("metadata") or {}).get("annotations") or {}
    internal = annotations.get("alb.ingress.kubernetes.io/scheme", "internal") == "internal"
    role = "kubernetes.io/role/internal-elb" if internal else "kubernetes.io/role/elb"
    zones = sum(
        1
        for s in ctx.plan.of_type("aws:ec2/subnet:Subnet")
        if s.region == region and (s.inputs.get("tags") or {}).get(role) == "1"
    )
    lcus, gb_out = u["average_lcus"], u["monthly_gb_out"]
    items = [
        LineItem("ALB, 730 h", _monthly(ctx, "elb.alb_hour", region), region),
        LineItem(f"ALB {_q(lcus)} LCU average", _monthly(ctx, "elb.alb_lcu_hour", region, count=lcus), region),
        LineItem(
            f"responses to the internet {_q(gb_out)} GB", gb_out * ctx.rate("transfer.internet_gb_out", region), region
        ),
    ]
    if not internal:
        items.append(
            LineItem(f"ALB public IPv4, {zones} AZ", _monthly(ctx, "vpc.public_ipv4_hour", region, count=zones), region)
        )
    return items


# --- edge ----------------------------------------------------------------------------------------


@pricer("aws:cloudfront/distribution:Distribution", "monthly_gb_out", "monthly_requests", global_region=True)
def _distribution(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Transfer out to viewers and HTTPS requests at the North America / Europe rate (where the
    product's viewers are; other continents cost more under PriceClass_All)."""
    gb, requests = u["monthly_gb_out"], u["monthly_requests"]
    price_class = r.inputs.get("priceClass") or "PriceClass_All"
    return [
        LineItem(f"{_q(gb)} GB out ({price_class})", gb * ctx.rate("cloudfront.gb_out", GLOBAL, price_class), GLOBAL),
        LineItem(
            f"{_q(requests)} HTTPS requests",
            requests / 10000 * ctx.rate("cloudfront.ten_thousand_https_requests", GLOBAL, price_class),
            GLOBAL,
        ),
    ]


def health_check_features(inputs: Mapping[str, Any]) -> list[str]:
    """The optional, separately billed features of a Route 53 health check."""
    kind = str(inputs.get("type") or "")
    features = []
    if kind.startswith("HTTPS"):
        features.append("https")
    if kind.endswith("STR_MATCH"):
        features.append("string matching")
    if _num(inputs.get("requestInterval"), 30) < 30:
        features.append("fast interval")
    if inputs.get("measureLatency"):
        features.append("latency measurement")
    return features


@pricer("aws:route53/healthCheck:HealthCheck", global_region=True)
def _health_check(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Endpoints in AWS (an ALB, ``*.amazonaws.com``) price lower than others; each optional
    feature (HTTPS, string matching, 10-s interval, latency graphs) is billed on top."""
    target = str(r.inputs.get("fqdn") or r.inputs.get("ipAddress") or "")
    endpoint = "aws" if target.endswith(".amazonaws.com") else "non_aws"
    features = health_check_features(r.inputs)
    return [
        LineItem(
            f"health check ({endpoint.replace('_', '-')} endpoint)",
            ctx.rate("route53.health_check_month", GLOBAL, endpoint),
            GLOBAL,
        ),
        LineItem(
            f"features: {', '.join(features) or 'none'}",
            len(features) * ctx.rate("route53.health_check_feature_month", GLOBAL, endpoint),
            GLOBAL,
        ),
    ]


def _routing_policy(inputs: Mapping[str, Any]) -> str:
    for key, policy in (("latencyRoutingPolicies", "latency"), ("geolocationRoutingPolicies", "geo")):
        if inputs.get(key):
            return policy
    return "standard"


@pricer("aws:route53/record:Record", "monthly_queries", global_region=True)
def _record(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Queries of alias records to AWS resources (ALB, CloudFront...) are free; others by policy."""
    if r.inputs.get("aliases"):
        return [LineItem("alias record: queries free", 0.0, GLOBAL)]
    policy = _routing_policy(r.inputs)
    queries = u["monthly_queries"]
    return [
        LineItem(
            f"{_q(queries)} {policy} queries",
            queries / 1e6 * ctx.rate("route53.million_queries", GLOBAL, policy),
            GLOBAL,
        )
    ]


@pricer("aws:route53/zone:Zone", global_region=True)
def _zone(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    return [LineItem("hosted zone", ctx.rate("route53.hosted_zone_month", GLOBAL), GLOBAL)]

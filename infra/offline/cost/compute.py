"""Pricers of compute: the EKS control plane, node groups (EC2 instances and their gp3 root
volumes), Helm charts' persistent volumes, EKS add-ons and the secret-rotation Lambda function."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from infra.offline.cost.context import _Context, _monthly, _num, _q, gp3_volume_monthly
from infra.offline.cost.registry import pricer
from infra.offline.cost.report import LineItem
from infra.offline.harness import RecordedResource
from infra.offline.pricing import PriceError
from infra.offline.usage import Usage


@pricer("aws:eks/cluster:Cluster")
def _eks_cluster(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    return [LineItem("EKS control plane, 730 h", _monthly(ctx, "eks.cluster_hour", region), region)]


@pricer("aws:eks/nodeGroup:NodeGroup")
def _node_group(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    template = ctx.dependency(r, "launchTemplate")
    template_inputs = template.inputs if template else {}
    instance_type = template_inputs.get("instanceType") or (r.inputs.get("instanceTypes") or [None])[0]
    if not instance_type:
        raise PriceError(
            f"{r.name}: node group without an instance type (neither its launch template nor instanceTypes)"
        )
    scaling = r.inputs.get("scalingConfig") or {}
    desired = _num(scaling.get("desiredSize"), _num(scaling.get("minSize")))
    maximum = _num(scaling.get("maxSize"), desired)
    hourly = ctx.rate("ec2.instance_hour", region, instance_type)
    capacity = r.inputs.get("capacityType") or "ON_DEMAND"
    if capacity == "SPOT":
        hourly *= ctx.rate("ec2.spot_fraction", region)
    elif capacity != "ON_DEMAND":
        raise PriceError(f"{r.name}: capacityType {capacity!r} has no price (ON_DEMAND or SPOT)")
    per_node = hourly * ctx.hours
    items = [
        LineItem(
            f"{_q(desired)} x {instance_type} {capacity.lower()} (max {_q(maximum)})",
            per_node * desired,
            region,
            per_node * maximum,
        )
    ]
    disk = 0.0
    for mapping in template_inputs.get("blockDeviceMappings") or []:
        ebs = mapping.get("ebs") or {}
        volume_type = ebs.get("volumeType") or "gp3"
        if volume_type != "gp3":
            raise PriceError(f"{r.name}: node volume type {volume_type!r} has no price (gp3 only)")
        disk += gp3_volume_monthly(
            ctx, "ebs.gp3", region, _num(ebs.get("volumeSize")), _num(ebs.get("iops"), 3000),
            _num(ebs.get("throughput"), 125), (3000, 125),
        )  # fmt: skip
    if disk:
        items.append(LineItem("node root volumes gp3", disk * desired, region, disk * maximum))
    return items


_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$")
#: Kubernetes quantity suffix -> GiB.
_GIB = {"Ki": 2**-20, "Mi": 2**-10, "Gi": 1.0, "Ti": 1024.0, "K": 1e3 / 2**30, "M": 1e6 / 2**30, "G": 1e9 / 2**30}
_GIB["T"] = 1e12 / 2**30


def quantity_gib(value: str) -> float:
    """A Kubernetes storage quantity (``50Gi``, ``1T``) in GiB; PriceError for what it cannot read."""
    match = _QUANTITY.match(str(value))
    if not match:
        raise PriceError(f"storage size {value!r} is not a Kubernetes quantity cost reads (e.g. 50Gi)")
    number, suffix = float(match.group(1)), match.group(2)
    return number * _GIB[suffix] if suffix else number / 2**30


def helm_volumes(values: Any, replicas: float = 1.0) -> list[float]:
    """GiB of every persistent volume a chart's values request: ``volumeClaimTemplate`` specs (times
    the ``replicas`` of the spec holding them, chart default 1) and enabled ``persistence`` blocks."""
    found: list[float] = []
    if isinstance(values, Mapping):
        here = _num(values.get("replicas"), replicas) if "replicas" in values else replicas
        claim = values.get("volumeClaimTemplate")
        if isinstance(claim, Mapping):
            storage = ((claim.get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage")
            if storage:
                found.append(quantity_gib(storage) * here)
        persistence = values.get("persistence")
        if isinstance(persistence, Mapping) and persistence.get("enabled") and persistence.get("size"):
            found.append(quantity_gib(persistence["size"]) * here)
        for key, value in values.items():
            if key not in ("volumeClaimTemplate", "persistence"):
                found.extend(helm_volumes(value, here))
    elif isinstance(values, list):
        for value in values:
            found.extend(helm_volumes(value, replicas))
    return found


@pricer("kubernetes:helm.sh/v3:Release")
def _helm_release(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Charts run on the priced nodes; what they add is the EBS volumes their claims create."""
    gib = sum(helm_volumes(r.inputs.get("values") or {}))
    if not gib:
        return [LineItem("runs on the cluster's nodes; no persistent volumes", 0.0, region)]
    monthly = gp3_volume_monthly(ctx, "ebs.gp3", region, gib, 3000, 125, (3000, 125))
    return [LineItem(f"{_q(gib)} GiB gp3 persistent volumes", monthly, region)]


@pricer("aws:eks/addon:Addon", "monthly_observations_millions")
def _eks_addon(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """Add-ons are free, except that the CloudWatch Observability add-on turns on Container
    Insights with enhanced observability, billed per observation."""
    if r.inputs.get("addonName") != "amazon-cloudwatch-observability":
        return [LineItem("EKS add-on: no charge", 0.0, region)]
    observations = u["monthly_observations_millions"]
    return [
        LineItem(
            f"Container Insights, {_q(observations)} M observations",
            observations * ctx.rate("cloudwatch.container_insights_million_observations", region),
            region,
        )
    ]


@pricer("aws:serverlessrepository/cloudFormationStack:CloudFormationStack", "monthly_invocations",
        "average_duration_ms", "memory_mb")  # fmt: skip
def _rotation_lambda(ctx: _Context, r: RecordedResource, u: Usage, region: str) -> list[LineItem]:
    """The Serverless Application Repository stack is the secret-rotation Lambda function."""
    invocations = u["monthly_invocations"]
    gb_seconds = invocations * u["average_duration_ms"] / 1000 * u["memory_mb"] / 1024
    monthly = invocations / 1e6 * ctx.rate("lambda.million_requests", region) + gb_seconds * ctx.rate(
        "lambda.gb_second", region
    )
    return [LineItem(f"Lambda, {_q(invocations)} invocations", monthly, region)]

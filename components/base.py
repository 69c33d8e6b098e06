"""Helpers shared by every component: layered tags and child resource options."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

#: The only retention periods (days) CloudWatch Logs accepts; anything else fails at apply time.
#: Never-expire (0) is left out on purpose: logs must age out.
LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)
#: Those that keep at least a year of logs (FSBP / CIS, checkov CKV_AWS_338).
YEAR_LOG_RETENTION_DAYS = frozenset(d for d in LOG_RETENTION_DAYS if d >= 365)

#: Tag every resource carries so operators can tell code-managed resources from hand-made ones.
MANAGED_BY_TAG = {"ManagedBy": "pulumi"}


def merge_tags(name: str, *layers: Mapping[str, str] | None) -> dict[str, str]:
    """Merge tag layers, later ones winning, and set ``Name`` last so it always names the resource.

    Layers follow terraform-aws-modules: global tags first, then component tags, then
    per-resource tags. ``Name`` is what the AWS console shows, so it is never overridable.
    """
    merged: dict[str, str] = dict(MANAGED_BY_TAG)
    for layer in layers:
        if layer:
            merged.update(layer)
    merged["Name"] = name
    return merged


def child_opts(parent: pulumi.Resource, **kwargs) -> pulumi.ResourceOptions:
    """Options for a component's child: parented to the component (so it inherits its provider)."""
    return pulumi.ResourceOptions(parent=parent, **kwargs)


def stateful_opts(parent: pulumi.Resource, **kwargs) -> pulumi.ResourceOptions:
    """Options for a child that holds data: protected against deletion by ``pulumi destroy``/``up``.

    Kept separate from :func:`child_opts` so a reader sees at the call site which resources are
    guarded, and so the policy tests can assert the same set.
    """
    return pulumi.ResourceOptions(parent=parent, protect=True, **kwargs)


# The usual short forms, so ap-south-1 (aps1) and ap-southeast-1 (apse1) never collide.
_DIRECTIONS = {
    "east": "e",
    "west": "w",
    "north": "n",
    "south": "s",
    "central": "c",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}


def region_code(region: str) -> str:
    """Short, stable code of a region for physical and logical names: ``us-east-1`` -> ``use1``."""
    match = re.fullmatch(r"([a-z]{2})(-gov)?-([a-z]+)-(\d)", region)
    if not match:
        raise ValueError(f"not an AWS region name: {region!r}")
    country, gov, direction, number = match.groups()
    return f"{country}{'g' if gov else ''}{_DIRECTIONS.get(direction, direction)}{number}"


def https_egress(
    logical: str,
    security_group_id: pulumi.Input[str],
    label: str,
    description: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.vpc.SecurityGroupEgressRule:
    """Egress on 443 to any address: AWS APIs (Secrets Manager...) are public endpoints reached
    through NAT while the VPC has no interface endpoints. Port 443 only; a listed deviation."""
    return aws.vpc.SecurityGroupEgressRule(
        logical,
        security_group_id=security_group_id,
        ip_protocol="tcp",
        from_port=443,
        to_port=443,
        cidr_ipv4="0.0.0.0/0",
        description=description,
        tags=merge_tags(label, tags),
        opts=child_opts(parent),
    )  # fmt: skip

"""The regional cells (``platform:regions``) and the VPC settings they share (``platform:network``)."""

from __future__ import annotations

import difflib
import ipaddress
from typing import Annotated, Literal

from pydantic import Field, field_validator

from infra.config.atlas import AtlasNodesConfig
from infra.config.base import _REGION, AWS_REGIONS, MAX_READ_REPLICAS, _Model


class RegionConfig(_Model):
    """One regional cell.

    ``role``: ``primary`` holds the writable database (exactly one, listed first); ``active``
    serves traffic with its own cluster, cache and queues (phase 4); ``standby`` holds only the
    network and cross-region read replicas (phase 3 disaster recovery). Default: ``active``.
    ``cidr``: the cell's VPC range, a private /16 to /20. ``availabilityZoneIds``: the three
    zones of the cell's subnets by zone ID (``use1-az1``), in subnet order; required. Zone *names*
    (``us-east-1a``) map to different physical zones in each account, IDs do not, and EKS refuses
    control-plane subnets in a few IDs (``use1-az3``, ``usw1-az2``, ``cac1-az3``:
    https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html#cluster-subnets).
    ``availabilityZones``: legacy, zone names instead of IDs, for environments deployed before
    zone IDs (which used ``<region>a/b/c``); a subnet's zone forces its replacement, so such an
    environment keeps its names until it is migrated (docs/promotion.md, "Zone IDs"). Exactly
    one of the two. ``readReplicas``: PostgreSQL read replicas in this region. Default: 0.
    ``apiCertificateArn``: ACM certificate (in this region) of the API's load balancer; needed in
    serving regions when ``platform:apps.api.host`` is set. ``atlasNodes``: this region's nodes of
    the MongoDB Atlas cluster (``platform:database.engine: mongodb``, serving regions only); default
    by role, see :class:`AtlasNodesConfig`.
    """

    region: Annotated[str, Field(pattern=_REGION)]
    role: Literal["primary", "active", "standby"] = "active"
    cidr: str
    availability_zone_ids: list[str] | None = None
    #: Legacy: zone names, for environments whose subnets were placed by name.
    availability_zones: list[str] | None = None
    read_replicas: Annotated[int, Field(ge=0, le=MAX_READ_REPLICAS)] = 0
    api_certificate_arn: Annotated[str, Field(pattern=r"^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[\w-]+$")] | None = (
        None
    )
    atlas_nodes: AtlasNodesConfig | None = None

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value not in AWS_REGIONS:
            close = difflib.get_close_matches(value, sorted(AWS_REGIONS), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"not an AWS region the provider knows{hint}; e.g. us-east-1, eu-west-1")
        return value

    @field_validator("cidr")
    @classmethod
    def _private_cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value)
        except ValueError as error:
            raise ValueError(f"must be an IPv4 network in CIDR notation ({error})") from None
        rfc1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
        if not any(network.subnet_of(ipaddress.IPv4Network(r)) for r in rfc1918) or not 16 <= network.prefixlen <= 20:
            raise ValueError("must be a private (RFC 1918) network with a prefix from /16 to /20")
        return str(network)

    @property
    def zones(self) -> list[str]:
        """The cell's zones in subnet order: zone IDs, or the legacy zone names."""
        return list(self.availability_zone_ids or self.availability_zones or [])

    @property
    def zones_key(self) -> str:
        """The config key the cell's zones come from (``availabilityZoneIds`` unless legacy)."""
        return "availabilityZones" if self.availability_zones is not None else "availabilityZoneIds"


class NetworkConfig(_Model):
    """VPC settings shared by every cell.

    ``natGateways``: ``single`` (one NAT for the VPC, phase 1) or ``perAz`` (one per zone, so a
    zone outage does not cut the others off). Default: ``single``. ``flowLogRetentionDays``: days
    the flow-log files stay in the cell's S3 bucket, at least a year (FSBP / CIS). Default: 365.
    """

    nat_gateways: Literal["single", "perAz"] = "single"
    # An S3 lifecycle expiry takes any day count, not only CloudWatch's retention values.
    flow_log_retention_days: Annotated[int, Field(ge=365)] = 365

"""Rules of the cells: distinct regions, the first one primary, three zones each, CIDRs that do not
overlap."""

from __future__ import annotations

import ipaddress
import re

from components.base import region_code
from components.cluster import EKS_UNSUPPORTED_ZONE_IDS
from infra.config import ConfigError, RegionConfig, StackConfig
from infra.rules.database import _check_replica_topology


def _check_regions(config: StackConfig) -> None:
    seen: dict[str, int] = {}
    networks: list[tuple[int, ipaddress.IPv4Network]] = []
    for index, cell in enumerate(config.regions):
        path = f"platform:regions[{index}]"
        if cell.region in seen:
            raise ConfigError(
                f"{path}.region",
                cell.region,
                f"already used by platform:regions[{seen[cell.region]}]; regions must be distinct",
            )
        seen[cell.region] = index
        if (index == 0) != (cell.role == "primary"):
            raise ConfigError(
                f"{path}.role",
                cell.role,
                "the first region must be 'primary' and no other; others are 'active' or 'standby'",
            )
        _check_zones(path, cell)
        if cell.role == "standby" and cell.read_replicas < 1 and config.database.engine == "postgres":
            raise ConfigError(
                f"{path}.readReplicas", cell.read_replicas, "a standby region exists to hold read replicas: at least 1"
            )
        network = ipaddress.IPv4Network(cell.cidr)
        for other_index, other in networks:
            if network.overlaps(other):
                raise ConfigError(
                    f"{path}.cidr",
                    cell.cidr,
                    f"overlaps platform:regions[{other_index}].cidr {other}; cells must not "
                    "overlap so they can be peered",
                )
        networks.append((index, network))
    _check_replica_topology(config)


def _check_zones(path: str, cell: RegionConfig) -> None:
    """Three distinct zones per cell, by zone ID of the cell's region and never one EKS refuses;
    or, for environments deployed before zone IDs, by the legacy zone names."""
    code = region_code(cell.region)
    example = f"{code}-az1, {code}-az2, {code}-az4"
    if cell.availability_zone_ids is not None and cell.availability_zones is not None:
        raise ConfigError(
            f"{path}.availabilityZones",
            cell.availability_zones,
            "set availabilityZoneIds, or for an environment deployed by zone names the legacy "
            "availabilityZones, not both",
        )
    if cell.availability_zone_ids is None and cell.availability_zones is None:
        raise ConfigError(
            f"{path}.availabilityZoneIds",
            None,
            f"required: three distinct zone IDs of {cell.region} (e.g. {example}; `aws ec2 "
            f"describe-availability-zones --region {cell.region}` lists them). An environment "
            f"deployed before zone IDs sits in the old default {cell.region}a/b/c: set the legacy "
            f"availabilityZones to {cell.region}a, {cell.region}b, {cell.region}c to keep its subnets",
        )
    zones, key = cell.zones, f"{path}.{cell.zones_key}"
    if cell.availability_zones is not None:
        pattern = re.compile(rf"^{re.escape(cell.region)}[a-z]$")
        allowed = f"three distinct zone names of {cell.region} (e.g. {cell.region}a); prefer availabilityZoneIds"
    else:
        pattern = re.compile(rf"^{re.escape(code)}-az\d+$")
        allowed = f"three distinct zone IDs of {cell.region}, e.g. {example}"
    if len(zones) != 3 or len(set(zones)) != 3 or not all(pattern.match(z) for z in zones):
        raise ConfigError(key, zones, allowed)
    refused = sorted(set(zones) & EKS_UNSUPPORTED_ZONE_IDS)
    if refused:
        raise ConfigError(
            key,
            zones,
            f"EKS does not place cluster subnets in {', '.join(refused)} (unsupported zone IDs: "
            f"{', '.join(sorted(EKS_UNSUPPORTED_ZONE_IDS))}); pick three other zone IDs of {cell.region}",
        )

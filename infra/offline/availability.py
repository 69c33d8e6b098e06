"""Availability by design: the AWS SLAs of what a request passes through, composed.

A request passes through the load balancer, the nodes (pods), the cache and the database in
its region; each is available as the service's SLA for the way we deploy it promises. Serial
parts multiply; regions that each serve the API on their own (Route 53 sends traffic to a
healthy one) are parallel: the service is down only when all are. Writes always reach the one
primary database, so a multi-region design is capped by that primary's SLA.

Left out, with the reason:

- the EKS control plane (99.95%, https://aws.amazon.com/eks/sla/): running pods keep serving
  when the Kubernetes API is down, only scaling and deploys wait;
- NAT gateways and SQS: egress and queued jobs, not the request path (a job that cannot be
  enqueued is retried by the client); phase 1's single NAT gateway is therefore not counted;
- RDS Proxy: AWS publishes no separate SLA for it; it runs across several zones in front of the
  database and moves to the standby with it;
- the phase 3 standby region: it holds replicas for disaster recovery, promoted by hand, which
  does not count as availability by design.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple


class Sla(NamedTuple):
    """A published monthly uptime commitment, in percent, and where it is published."""

    name: str
    percent: float
    url: str


#: The SLAs the composition uses (read 2026-12 on the linked pages).
ALB_MULTI_AZ = Sla("ALB multi-AZ", 99.99, "https://aws.amazon.com/elasticloadbalancing/sla/")
ALB_SINGLE_AZ = Sla("ALB single-AZ", 99.9, "https://aws.amazon.com/elasticloadbalancing/sla/")
EC2_REGION = Sla("EC2 across 2+ AZs", 99.99, "https://aws.amazon.com/compute/sla/")
EC2_INSTANCE = Sla("EC2 in one AZ", 99.5, "https://aws.amazon.com/compute/sla/")
RDS_MULTI_AZ = Sla("RDS Multi-AZ", 99.95, "https://aws.amazon.com/rds/sla/")
RDS_SINGLE_AZ = Sla("RDS Single-AZ", 99.5, "https://aws.amazon.com/rds/sla/")
CACHE_MULTI_AZ = Sla("ElastiCache Multi-AZ", 99.99, "https://aws.amazon.com/elasticache/sla/")
CACHE_SINGLE_AZ = Sla("ElastiCache single-AZ", 99.5, "https://aws.amazon.com/elasticache/sla/")
ROUTE53 = Sla("Route 53", 100.0, "https://aws.amazon.com/route53/sla/")
#: Atlas M10+ clusters, per cluster (a multi-region cluster counts as one).
ATLAS = Sla("Atlas M10+", 99.995, "https://www.mongodb.com/legal/sla/cloud/atlas-database")


class Part(NamedTuple):
    """One factor of a composition: an availability in percent and how it was reached."""

    percent: float
    text: str


def serial(parts: Sequence[Part]) -> Part:
    """All parts are needed: availabilities multiply."""
    percent = 100 * math.prod(p.percent / 100 for p in parts)
    return Part(percent, " × ".join(p.text for p in parts))


def parallel(parts: Sequence[Part]) -> Part:
    """Any one part suffices: unavailabilities multiply."""
    if not parts:
        raise ValueError("parallel() needs at least one part")
    if len(parts) == 1:
        return parts[0]
    down = math.prod(1 - p.percent / 100 for p in parts)
    texts = {p.text for p in parts}
    inner = parts[0].text if len(texts) == 1 else " | ".join(p.text for p in parts)
    return Part(100 * (1 - down), f"any of {len(parts)} × ({inner})")


def sla(item: Sla) -> Part:
    """A single SLA as a factor."""
    return Part(item.percent, f"{item.name} {item.percent:g}")


class Cell(NamedTuple):
    """What decides one serving region's availability: its zones, its cache (None without one)
    and its own read replicas."""

    zones: int
    cache_multi_az: bool | None
    readers: int


def rds(multi_az: bool) -> Part:
    """An RDS primary instance."""
    return sla(RDS_MULTI_AZ if multi_az else RDS_SINGLE_AZ)


def cell_availability(cell: Cell, multi_region: bool) -> Part:
    """One serving region without the primary database: load balancer, nodes, cache and, in a
    multi-region design, the region's own read replicas (any one serves the region's reads; each
    is a Single-AZ instance)."""
    multi_zone = cell.zones >= 2
    parts = [sla(ALB_MULTI_AZ if multi_zone else ALB_SINGLE_AZ), sla(EC2_REGION if multi_zone else EC2_INSTANCE)]
    if cell.cache_multi_az is not None:
        parts.append(sla(CACHE_MULTI_AZ if cell.cache_multi_az else CACHE_SINGLE_AZ))
    if multi_region and cell.readers:
        parts.append(parallel([sla(RDS_SINGLE_AZ)] * cell.readers))
    return serial(parts)


def design_availability(cells: Sequence[Cell], database: Part) -> Part:
    """Availability of the API by design, ``database`` being the primary database's factor.

    One serving region: its cell and the database in series. Several: any region serves (Route 53
    health checks steer clients to a healthy one, each region reading from its own replicas),
    and writes need the one primary: ``Route 53 × any-of(regions) × database``.
    """
    if not cells:
        raise ValueError("design_availability() needs at least one serving cell")
    if len(cells) == 1:
        return serial([cell_availability(cells[0], multi_region=False), database])
    regions = parallel([cell_availability(c, multi_region=True) for c in cells])
    return serial([sla(ROUTE53), regions, database])

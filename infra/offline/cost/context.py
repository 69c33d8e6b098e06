"""What every pricer shares: the pricing context (table, plan indexes, regions) and the small
helpers turning rates into monthly figures and quantities into labels."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from infra.offline.harness import PlanResult, RecordedResource
from infra.offline.pricing import PriceTable

GLOBAL = "global"


class _Context:
    """What pricers need besides the resource: the table, the plan's indexes, regions."""

    def __init__(self, plan: PlanResult, table: PriceTable) -> None:
        self.plan = plan
        self.table = table
        self.hours = table.hours_per_month
        self.by_urn = plan.by_urn()
        self._component_regions = _component_regions(plan)

    def rate(self, item: str, region: str, size: str | None = None) -> float:
        return self.table.price(item, region, size)

    def region_of(self, resource: RecordedResource) -> str:
        """The resource's region; Kubernetes objects take the one region of their nearest component."""
        if resource.region:
            return resource.region
        parent = resource.parent
        while parent in self.by_urn:
            regions = self._component_regions.get(parent, set())
            if len(regions) == 1:
                return next(iter(regions))
            parent = self.by_urn[parent].parent
        return ""

    def dependency(self, resource: RecordedResource, key: str) -> RecordedResource | None:
        """The resource whose output flowed into ``resource``'s input ``key`` (first one)."""
        for urn in resource.property_dependencies.get(key, ()):
            if urn in self.by_urn:
                return self.by_urn[urn]
        return None


def _component_regions(plan: PlanResult) -> dict[str, set[str]]:
    by_urn = plan.by_urn()
    regions: dict[str, set[str]] = defaultdict(set)
    for resource in plan.resources:
        if resource.custom and resource.region:
            parent = resource.parent
            while parent in by_urn:
                regions[parent].add(resource.region)
                parent = by_urn[parent].parent
    return regions


def _monthly(ctx: _Context, item: str, region: str, size: str | None = None, count: float = 1.0) -> float:
    """An hourly price for ``count`` always-on units over a month."""
    return ctx.rate(item, region, size) * ctx.hours * count


def _q(value: float) -> str:
    """A quantity for a label: ``79,000,000``, ``0.65``."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _num(value: Any, default: float = 0.0) -> float:
    return default if value is None else float(value)


def gp3_volume_monthly(
    ctx: _Context, prefix: str, region: str, gb: float, iops: float, throughput: float, base: tuple[float, float]
) -> float:
    """A gp3 volume's month: GB plus the IOPS and MiB/s above the ``base`` (IOPS, MiB/s) included."""
    return (
        gb * ctx.rate(f"{prefix}.gb_month", region)
        + max(0.0, iops - base[0]) * ctx.rate(f"{prefix}.iops_month", region)
        + max(0.0, throughput - base[1]) * ctx.rate(f"{prefix}.throughput_month", region)
    )

"""The priced view of a stack: line items, resource costs, the report with its totals, and its
JSON and terminal renderings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.offline.pricing import PriceTable


@dataclass(frozen=True)
class LineItem:
    """One billed quantity of a resource: what it is, its monthly cost and the region billing it."""

    label: str
    monthly: float
    region: str
    #: The cost at the resource's maximum scale (node groups); the same as ``monthly`` otherwise.
    ceiling: float | None = None

    @property
    def at_max(self) -> float:
        """Monthly cost at maximum scale."""
        return self.monthly if self.ceiling is None else self.ceiling


@dataclass
class ResourceCost:
    """The priced line items of one resource, with where it sits in the component tree."""

    urn: str
    name: str
    type: str
    region: str
    top: str
    component: str
    items: list[LineItem]

    @property
    def monthly(self) -> float:
        """Monthly cost of the resource."""
        return sum(item.monthly for item in self.items)

    @property
    def ceiling(self) -> float:
        """Monthly cost at maximum scale."""
        return sum(item.at_max for item in self.items)


@dataclass
class CostReport:
    """Every priced resource of a stack, with the table and usage it was priced from."""

    stack: str
    table: PriceTable
    usage_file: Path
    resources: list[ResourceCost]
    free: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """Monthly total."""
        return sum(r.monthly for r in self.resources)

    @property
    def ceiling(self) -> float:
        """Monthly total with every node group at its maximum size."""
        return sum(r.ceiling for r in self.resources)

    def by_region(self) -> dict[str, float]:
        """Monthly cost per billing region (line items carry their own region)."""
        totals: dict[str, float] = defaultdict(float)
        for resource in self.resources:
            for item in resource.items:
                totals[item.region] += item.monthly
        return dict(sorted(totals.items()))

    def by_component(self) -> dict[str, float]:
        """Monthly cost per component path (``<top>/<component>``)."""
        totals: dict[str, float] = defaultdict(float)
        for resource in self.resources:
            totals[resource.component] += resource.monthly
        return dict(sorted(totals.items()))

    def by_top(self) -> dict[str, float]:
        """Monthly cost per top-level component of the stack (cells, edge, peering...)."""
        totals: dict[str, float] = defaultdict(float)
        for resource in self.resources:
            totals[resource.top] += resource.monthly
        return dict(sorted(totals.items()))

    def top_resources(self, n: int = 10) -> list[ResourceCost]:
        """The ``n`` most expensive resources."""
        return sorted(self.resources, key=lambda r: (-r.monthly, r.urn))[:n]


def to_json(report: CostReport) -> dict[str, Any]:
    """The machine view of ``report`` (figures in USD per month, rounded to cents)."""

    def cents(value: float) -> float:
        return round(value, 2)

    return {
        "stack": report.stack,
        "currency": report.table.currency,
        "price_table": {"path": str(report.table.path), "as_of": report.table.as_of.isoformat()},
        "usage_file": str(report.usage_file),
        "hours_per_month": report.table.hours_per_month,
        "total": cents(report.total),
        "total_at_max_scale": cents(report.ceiling),
        "by_region": {k: cents(v) for k, v in report.by_region().items()},
        "by_top_level": {k: cents(v) for k, v in report.by_top().items()},
        "by_component": {k: cents(v) for k, v in report.by_component().items()},
        "top": [{"name": r.name, "type": r.type, "monthly": cents(r.monthly)} for r in report.top_resources()],
        "resources": [
            {
                "urn": r.urn,
                "name": r.name,
                "type": r.type,
                "region": r.region,
                "component": r.component,
                "monthly": cents(r.monthly),
                "monthly_at_max_scale": cents(r.ceiling),
                "items": [{"label": i.label, "monthly": cents(i.monthly), "region": i.region} for i in r.items],
            }
            for r in sorted(report.resources, key=lambda r: r.urn)
        ],
        "free_resources": dict(sorted(report.free.items())),
    }


def money(value: float) -> str:
    """A monthly figure as whole dollars with thousands separators (``$12,345``)."""
    return f"${round(value):,}"


def render(report: CostReport, console: Any, top: int = 10) -> None:
    """The human view: per component and region, per region, the top resources and the totals."""
    from rich.markup import escape
    from rich.table import Table

    table = report.table
    console.print(
        f"[bold]stack {escape(report.stack)}[/bold]: monthly estimate in {table.currency}, "
        f"on-demand list prices as of {table.as_of.isoformat()} ({escape(str(table.path))}), "
        f"usage from {escape(str(report.usage_file))}; always-on at {table.hours_per_month:g} h",
        highlight=False,
    )
    components = Table(title="per component", pad_edge=False)
    for column, justify in (("component", "left"), ("region", "left"), ("monthly", "right"), ("share", "right")):
        components.add_column(column, justify=justify)  # type: ignore[arg-type]
    regions_of: dict[str, set[str]] = defaultdict(set)
    for resource in report.resources:
        regions_of[resource.component] |= {i.region for i in resource.items if i.monthly}
    total = report.total or 1.0
    for name, monthly in sorted(report.by_component().items(), key=lambda kv: -kv[1]):
        components.add_row(
            escape(name), ",".join(sorted(regions_of[name])) or "-", money(monthly), f"{100 * monthly / total:.0f}%"
        )
    console.print(components)
    regions = Table(title="per region", pad_edge=False)
    regions.add_column("region")
    regions.add_column("monthly", justify="right")
    for name, monthly in report.by_region().items():
        regions.add_row(name, money(monthly))
    console.print(regions)
    biggest = Table(title=f"top {top} resources", pad_edge=False)
    for column in ("resource", "type", "monthly", "what"):
        biggest.add_column(column, justify="right" if column == "monthly" else "left")
    for resource in report.top_resources(top):
        main = max(resource.items, key=lambda i: i.monthly)
        biggest.add_row(
            escape(resource.name), resource.type.rsplit(":", 1)[-1], money(resource.monthly), escape(main.label)
        )
    console.print(biggest)
    console.print(
        f"[bold]total {money(report.total)}/month[/bold] ({money(report.ceiling)} with every node group at its "
        f"maximum size); {len(report.resources)} priced resources, {sum(report.free.values())} free",
        highlight=False,
    )

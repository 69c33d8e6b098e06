"""The walk over a plan: every custom resource priced by its registered pricer, or counted as
free, or refused; and the entry point pricing a stack from the shipped table and its usage file."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from infra.offline.cost.context import GLOBAL, _Context
from infra.offline.cost.registry import PRICERS
from infra.offline.cost.report import CostReport, ResourceCost
from infra.offline.harness import PlanResult, RecordedResource
from infra.offline.pricing import PriceError, PriceTable
from infra.offline.usage import Usage, UsageFile


def _component_path(ctx: _Context, resource: RecordedResource) -> list[str]:
    path = []
    parent = resource.parent
    while parent in ctx.by_urn and ctx.by_urn[parent].type != "pulumi:pulumi:Stack":
        path.append(ctx.by_urn[parent].name)
        parent = ctx.by_urn[parent].parent
    return list(reversed(path))


def check_coverage(types: Iterable[str], table: PriceTable) -> None:
    """PriceError for the first type neither priced nor listed as free (or listed as both)."""
    for type_token in sorted(set(types)):
        if type_token in PRICERS and type_token in table.free:
            raise PriceError(f"resource type {type_token} is both priced and listed as free in {table.path.name}")
        if type_token not in PRICERS and type_token not in table.free:
            raise PriceError(f"resource type {type_token} has no price and is not listed as free in {table.path.name}")


def price_plan(plan: PlanResult, table: PriceTable, usage: UsageFile) -> CostReport:
    """Price every custom resource of ``plan``; PriceError / UsageError name what is missing."""
    ctx = _Context(plan, table)
    custom = [r for r in plan.resources if r.custom]
    usage.check(((r.name, r.type) for r in custom), {t: reg.keys for t, reg in PRICERS.items()})
    costs: list[ResourceCost] = []
    free: dict[str, int] = defaultdict(int)
    for resource in custom:
        registration = PRICERS.get(resource.type)
        if registration is None:
            if resource.type in table.free:
                free[resource.type] += 1
                continue
            raise PriceError(
                f"resource type {resource.type} ({resource.name}) has no price and is not listed as free "
                f"in {table.path.name}"
            )
        region = ctx.region_of(resource)
        values = Usage(usage.for_resource(resource.name, resource.type), resource.name, resource.type, usage.path)
        try:
            items = registration.fn(ctx, resource, values, region)
        except PriceError as error:
            raise PriceError(f"{resource.name} ({resource.type}): {error}") from None
        path = _component_path(ctx, resource) or [plan.stack]
        costs.append(
            ResourceCost(
                urn=resource.urn,
                name=resource.name,
                type=resource.type,
                region=GLOBAL
                if registration.global_region or any(i.region == GLOBAL for i in items)
                else region or (max(items, key=lambda i: i.monthly).region if items else ""),
                top=path[0],
                component="/".join(path[:2]),
                items=items,
            )
        )
    return CostReport(plan.stack, table, usage.path, costs, dict(free))


def stack_cost(
    stack: str, plan: PlanResult, root: Path, usage: Path | None = None, table: Path | None = None
) -> CostReport:
    """Price ``plan`` of ``stack`` with the shipped table and ``usage`` (default ``usage/<stack>.yaml``
    under ``root``)."""
    from infra.offline.pricing import DEFAULT_TABLE, load_table
    from infra.offline.usage import load_usage, usage_path

    return price_plan(plan, load_table(table or DEFAULT_TABLE), load_usage(usage or usage_path(stack, root)))

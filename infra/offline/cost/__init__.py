"""Monthly cost of a plan: every custom resource priced from the dated table and the usage file.

:func:`price_plan` walks the recorded :class:`~infra.offline.harness.PlanResult` and prices each
custom resource with the pricer registered for its type (:data:`PRICERS`); a type the table lists
as ``free`` costs nothing by design; any other type is a :class:`~infra.offline.pricing.PriceError`
naming it. Always-on resources run the table's ``hours_per_month`` (730). Node groups are priced at
their desired size, with the ceiling at their maximum size beside it. Free tiers are not applied
(the estimate is for an account that already uses them elsewhere); allowances that belong to a
resource (RDS backup storage up to 100% of the storage, 7 days of Performance Insights, gp3
baseline IOPS and throughput) are.

Services that bill no region (CloudFront, Route 53, WAF for CloudFront) show as region ``global``.
ALBs are not AWS resources of the program: the AWS Load Balancer Controller creates one per
Kubernetes Ingress group, so they are priced from the Ingress objects.

The package: :mod:`.report` (line items, resource costs, the report, its JSON and terminal views),
:mod:`.delta` (the change between two reports), :mod:`.context` (what pricers share),
:mod:`.registry` (type token -> pricer), one module of pricers per service family
(:mod:`.compute`, :mod:`.databases`, :mod:`.network`, :mod:`.storage`, :mod:`.messaging`,
:mod:`.observability`, :mod:`.security`) and :mod:`.walk` (the walk over a plan). The names below
are the interface the CLI, ``validate``, ``diff_view`` and the tests import.
"""

from __future__ import annotations

# Importing the service-family modules registers their pricers in PRICERS.
from infra.offline.cost import (  # noqa: F401
    compute,
    databases,
    messaging,
    network,
    observability,
    security,
    storage,
)
from infra.offline.cost.compute import helm_volumes, quantity_gib
from infra.offline.cost.context import GLOBAL
from infra.offline.cost.databases import cache_nodes, rds_storage_baseline
from infra.offline.cost.delta import CostDelta, cost_delta
from infra.offline.cost.network import health_check_features
from infra.offline.cost.registry import PRICERS
from infra.offline.cost.report import CostReport, LineItem, ResourceCost, money, render, to_json
from infra.offline.cost.walk import check_coverage, price_plan, stack_cost

__all__ = [
    "GLOBAL",
    "PRICERS",
    "CostDelta",
    "CostReport",
    "LineItem",
    "ResourceCost",
    "cache_nodes",
    "check_coverage",
    "cost_delta",
    "health_check_features",
    "helm_volumes",
    "money",
    "price_plan",
    "quantity_gib",
    "rds_storage_baseline",
    "render",
    "stack_cost",
    "to_json",
]

"""The stack program: validate the config, then build one cell per region plus the edge layer.

Order matters only where data flows: the edge layer (CDN, asset bucket) comes first because the
cells' apps are granted its bucket; the primary cell creates the writable database that the other
cells replicate.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.base import region_code
from components.dns import RegionEndpoint
from components.peering import VpcPeering, VpcPeeringArgs
from infra.cell import RegionalCell, regional_provider
from infra.cell_atlas import add_atlas_cluster
from infra.config import StackConfig, current_config, load_config
from infra.edge import EDGE_REGION, EdgeLayer
from infra.failfast import run_failing_fast


def build(config: StackConfig) -> dict[str, object]:
    """Register every resource of the environment described by ``config``; return the exports."""
    providers = {cell.region: regional_provider(cell.region) for cell in config.regions}
    if EDGE_REGION not in providers:
        providers[EDGE_REGION] = regional_provider(EDGE_REGION)
    primary_provider = providers[config.primary.region]
    # One invoke for the whole program: key and queue policies name the account.
    account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=primary_provider)).account_id

    edge = EdgeLayer("edge", config, account_id, primary_provider, providers[EDGE_REGION], providers=providers)
    cells: list[RegionalCell] = []
    for cell in config.regions:
        cells.append(
            RegionalCell(
                region_code(cell.region),
                config,
                cell,
                account_id,
                edge,
                primary=cells[0] if cells else None,
                opts=pulumi.ResourceOptions(provider=providers[cell.region]),
            )
        )
    primary = cells[0]
    if config.database.engine == "mongodb":
        # After every cell: the cluster waits for all regions' private endpoints.
        add_atlas_cluster(primary, config, cells)
    for cell, cell_config in zip(cells[1:], config.regions[1:], strict=True):
        # Atlas takes each region's writes through that region's own endpoint: no peering needed.
        if cell_config.role != "active" or config.database.engine == "mongodb":
            continue
        # Writes from an active region reach the primary's RDS Proxy over a private path.
        VpcPeering(
            f"{region_code(cell.region)}-peering",
            VpcPeeringArgs(
                name=f"{config.name}-{region_code(cell.region)}-to-{region_code(primary.region)}",
                requester_vpc_id=cell.network.vpc_id,
                requester_cidr=cell_config.cidr,
                requester_route_table_ids=list(cell.network.private_route_table_ids),
                accepter_vpc_id=primary.network.vpc_id,
                accepter_cidr=config.primary.cidr,
                accepter_region=primary.region,
                accepter_route_table_ids=list(primary.network.private_route_table_ids),
                accepter_provider=primary_provider,
                tags={"PlatformEnvironment": config.name, **config.tags},
            ),
            opts=pulumi.ResourceOptions(provider=providers[cell.region]),
        )
    # Global routing needs every serving cell's ALB; a standby cell (no workloads) has none.
    dns = edge.add_dns(
        [
            RegionEndpoint(cell.region, region_code(cell.region), cell.api_alb.dns_name, cell.api_alb.zone_id)
            for cell in cells
            if cell.api_alb is not None
        ]
    )
    exports: dict[str, object] = {
        "environment": config.name,
        "phase": config.phase,
        "primaryRegion": config.primary.region,
        "regions": {cell.region: cell.endpoints for cell in cells},
        "edge": edge.endpoints,
    }
    if dns is not None:
        exports["dns"] = {
            "zoneId": dns.zone_id,
            "nameServers": dns.name_servers,
            "healthCheckIds": dns.health_check_ids,
        }
    for key, value in exports.items():
        pulumi.export(key, value)
    return exports


def main() -> None:
    """Entry point of ``pulumi up``/``preview`` and of the offline harness; a failure ends the run
    at once with its message (:mod:`infra.failfast`)."""
    run_failing_fast(lambda: build(load_config(current_config())))

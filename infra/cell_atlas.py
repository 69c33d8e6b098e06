"""The MongoDB Atlas data layer of a regional cell, for ``platform:database.engine: mongodb``.

The primary cell creates the Atlas project (encryption at rest under its KMS key); every serving
cell gets a PrivateLink endpoint to it; once all cells exist, :func:`add_atlas_cluster` registers
the one cluster spanning every serving region and its alerts under the primary, then gives each
serving cell its apps' connection string and their Atlas users (their Pod Identity roles). Their
logical names do not depend on the phase, so replica set -> sharded -> multi-region are updates of
the same resources.

Kept apart from :mod:`infra.cell` so the cell reads as the list of what a region holds, one data
layer per engine (:mod:`infra.cell_postgres` is the other); the resources stay children of the
cell, so their logical names and URNs are the cell's. The Atlas components are imported where a
MongoDB stack builds them: the Atlas SDK's import would otherwise cost every PostgreSQL run about a
third of a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi

from components.atlas_topology import RegionNodes
from components.base import region_code
from infra.config import RegionConfig, StackConfig
from infra.failfast import deferred_output
from infra.naming import Names
from infra.rules import atlas_nodes

if TYPE_CHECKING:
    from components.atlas_cluster import AtlasCluster
    from components.atlas_private_endpoint import AtlasPrivateEndpoint
    from components.atlas_project import AtlasProject
    from components.atlas_users import AtlasDatabaseUsers
    from infra.cell import RegionalCell


class CellAtlas:
    """One cell's side of the Atlas deployment, registered under ``cell``.

    ``project`` is the primary's (shared by every cell); a serving cell has an ``endpoint`` and a
    ``uri`` (deferred until :func:`add_atlas_cluster` resolves it), a standby cell neither.
    """

    def __init__(
        self,
        cell: RegionalCell,
        name: str,
        config: StackConfig,
        region: RegionConfig,
        account_id: pulumi.Input[str],
        clients: list[str],
        primary: CellAtlas | None,
        tags: dict[str, str],
    ):
        self._cell = cell
        self.project: AtlasProject = (
            _create_project(cell, name, config, region, account_id, tags) if primary is None else primary.project
        )
        self.endpoint: AtlasPrivateEndpoint | None = None
        self.cluster: AtlasCluster | None = None
        self.users: AtlasDatabaseUsers | None = None
        self.uri: pulumi.Output[str] | None = None
        self._resolve_uri = None
        if cell.serving:
            self.endpoint = _create_endpoint(cell, name, config, region, clients, self.project, tags)
            # The cluster waits for every region's endpoint (so its private connection strings
            # exist), and this cell's apps need the string of theirs: the program creates the
            # cluster after all cells (add_atlas_cluster) and resolves this then.
            self.uri, self._resolve_uri = deferred_output()

    def app_config(self, config: StackConfig) -> dict[str, pulumi.Input[str]]:
        """The apps' MongoDB keys: the SRV string of this cell's own private endpoint (no credentials:
        the driver signs in as the pod's IAM role, MONGODB-AWS in ``$external``)."""
        assert self.uri is not None
        multi_region = len(atlas_nodes(config)) > 1
        return {
            "DB_ENGINE": "mongodb",
            "MONGODB_URI": self.uri,
            "MONGODB_AUTH_MECHANISM": "MONGODB-AWS",
            "MONGODB_DATABASE": config.database.database_name,
            # Reads go to the closest member (this region's, over its endpoint) when the cluster
            # spans regions; in one region they spare the primary. Writes always reach the primary.
            "MONGODB_READ_PREFERENCE": "nearest" if multi_region else "secondaryPreferred",
        }

    def attach(self, config: StackConfig, cluster: AtlasCluster) -> None:
        """This serving cell's side of the cluster: its apps' connection string (through this
        region's endpoint) and their Atlas users (their Pod Identity roles, readWrite, MONGODB-AWS)."""
        from components.atlas_users import AtlasDatabaseUsers, AtlasDatabaseUsersArgs, AtlasUserSpec

        assert self.endpoint is not None and self._resolve_uri is not None
        self.cluster = cluster
        self._resolve_uri(cluster.private_srv_for(self.endpoint.vpc_endpoint_id))
        api, worker = self._cell.workloads
        self.users = AtlasDatabaseUsers(
            f"{region_code(self._cell.region)}-atlas-users",
            AtlasDatabaseUsersArgs(
                project_id=self.project.project_id,
                cluster_name=cluster.cluster_name,
                database_name=config.database.database_name,
                users=[AtlasUserSpec("api", api.role_arn), AtlasUserSpec("worker", worker.role_arn)],
            ),
            opts=pulumi.ResourceOptions(parent=self._cell),
        )


def add_atlas_cluster(primary: RegionalCell, config: StackConfig, cells: list[RegionalCell]) -> AtlasCluster:
    """Register, under the primary cell, the Atlas cluster spanning every serving region (the primary
    first) and its alerts, once every cell's private endpoint exists; then give each serving cell
    its apps' connection string and their database users (their Pod Identity roles)."""
    from components.atlas_alerts import AtlasAlerts, AtlasAlertsArgs
    from components.atlas_cluster import AtlasCluster, AtlasClusterArgs

    atlas = config.database.atlas
    assert atlas is not None and primary.atlas is not None
    project = primary.atlas.project
    name = region_code(primary.region)
    tags = {"PlatformEnvironment": config.name, **config.tags}
    scaling = atlas.auto_scaling
    compute = (
        (scaling.min_instance_size, scaling.max_instance_size)
        if scaling.min_instance_size is not None and scaling.max_instance_size is not None
        else None
    )
    serving = [cell.atlas for cell in cells if cell.atlas is not None and cell.atlas.endpoint is not None]
    cluster = AtlasCluster(
        f"{name}-atlas-cluster",
        AtlasClusterArgs(
            project_id=project.project_id,
            cluster_name=Names(config.name).atlas_cluster(),
            cluster_type=atlas.cluster_type,
            instance_size=atlas.instance_size,
            regions=[RegionNodes(c.region, n.electable, n.read_only, n.analytics) for _, c, n in atlas_nodes(config)],
            shards=atlas.shards,
            analytics_instance_size=atlas.analytics_instance_size,
            mongo_major_version=atlas.mongo_major_version,
            disk_size_gb=atlas.disk_size_gb,
            compute_auto_scaling=compute,
            disk_auto_scaling=scaling.disk,
            backup_retention_days=atlas.backup_retention_days,
            pitr_window_days=atlas.pitr_window_days,
            encryption_at_rest=project.encryption_at_rest,
            depends_on_endpoints=[side.endpoint.ready for side in serving if side.endpoint],
            tags=tags,
        ),
        opts=pulumi.ResourceOptions(parent=primary),
    )
    alerts = atlas.alerts
    AtlasAlerts(
        f"{name}-atlas-alerts",
        AtlasAlertsArgs(
            project_id=project.project_id,
            emails=list(config.monitoring.alert_emails),
            cpu_percent=alerts.cpu_percent,
            connections_percent=alerts.connections_percent,
            replication_lag_seconds=alerts.replication_lag_seconds,
            disk_percent=alerts.disk_percent,
            query_targeting_ratio=alerts.query_targeting_ratio,
        ),
        opts=pulumi.ResourceOptions(parent=primary),
    )
    for side in serving:
        side.attach(config, cluster)
    return cluster


def _create_project(
    cell: RegionalCell,
    name: str,
    config: StackConfig,
    region: RegionConfig,
    account_id: pulumi.Input[str],
    tags: dict[str, str],
) -> AtlasProject:
    """The Atlas project, with encryption at rest under this (the primary) cell's KMS key."""
    from components.atlas_project import AtlasProject, AtlasProjectArgs

    atlas = config.database.atlas
    assert atlas is not None
    sharded_across_regions = atlas.cluster_type == "SHARDED" and len(atlas_nodes(config)) > 1
    return AtlasProject(
        f"{name}-atlas-project",
        AtlasProjectArgs(
            org_id=atlas.org_id,
            project_name=Names(config.name).atlas_project(),
            account_id=account_id,
            # The key's ARN in KMS's documented form (arn:aws:kms:<region>:<account>:key/<id>, what
            # key.arn is), from its ID: Atlas is given the ID, the role's policy the ARN.
            kms_key_arn=pulumi.Output.concat("arn:aws:kms:", region.region, ":", account_id, ":key/", cell.key.key_id),
            kms_region=region.region,
            # A multi-region sharded cluster is reached over PrivateLink only in regionalized mode.
            regionalized_private_endpoints=sharded_across_regions,
            tags=tags,
        ),
        opts=pulumi.ResourceOptions(parent=cell),
    )


def _create_endpoint(
    cell: RegionalCell,
    name: str,
    config: StackConfig,
    region: RegionConfig,
    clients: list[str],
    project: AtlasProject,
    tags: dict[str, str],
) -> AtlasPrivateEndpoint:
    """This cell's PrivateLink endpoint to the Atlas project, in the app subnets, open to them only."""
    from components.atlas_private_endpoint import AtlasPrivateEndpoint, AtlasPrivateEndpointArgs

    return AtlasPrivateEndpoint(
        f"{name}-atlas-endpoint",
        AtlasPrivateEndpointArgs(
            project_id=project.project_id,
            region=region.region,
            name=Names(config.name).atlas_endpoint(region.region),
            vpc_id=cell.network.vpc_id,
            subnet_ids=list(cell.network.private_subnet_ids),
            client_cidr_blocks=clients,
            tags=tags,
        ),
        opts=pulumi.ResourceOptions(parent=cell),
    )

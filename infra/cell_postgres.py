"""The PostgreSQL data layer of a regional cell: the writable RDS instance (primary cell), the cell's
read replicas of it, the apps' connection keys and the instances the cell's monitoring watches.

Kept apart from :mod:`infra.cell` so the cell reads as the list of what a region holds, one data
layer per engine (:mod:`infra.cell_atlas` is the other); the resources stay children of the cell,
so their logical names and URNs are the cell's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi

from components.monitoring import DbTarget
from components.network import subnet_layout
from components.postgres import Postgres, PostgresArgs
from components.postgres_replicas import PostgresReplicas, PostgresReplicasArgs, replica_identifier
from infra.config import RegionConfig, StackConfig
from infra.naming import Names

if TYPE_CHECKING:
    from infra.cell import RegionalCell


def writer_connections(config: StackConfig) -> int:
    """``max_connections`` of the primary and every replica: ``platform:database.maxConnections``.

    One value for the whole chain and every phase: a PostgreSQL hot standby refuses to replay WAL
    from a primary with a higher limit, a new replica first runs on RDS's default group (the
    config keeps the value within its memory-derived limit), and a changed value would apply at
    reboots whose order nobody controls.
    """
    return config.database.max_connections


class CellPostgres:
    """One cell's side of the PostgreSQL chain, registered under ``cell``.

    ``database`` is the writable instance, in the primary cell only (it needs that cell's VPC);
    ``writer`` is the instance every cell's apps write to (the primary's); ``replicas`` are this
    cell's read replicas of it (cross-region outside the primary).
    """

    def __init__(
        self,
        cell: RegionalCell,
        name: str,
        config: StackConfig,
        region: RegionConfig,
        clients: list[str],
        primary: CellPostgres | None,
        tags: dict[str, str],
    ):
        self._cell = cell
        names = Names(config.name)
        self.database = _create_primary(cell, name, config, region, clients, tags) if primary is None else None
        source = primary.database if primary is not None else self.database
        assert source is not None
        self.writer: Postgres = source
        self.replicas = PostgresReplicas(
            f"{name}-db-replicas",
            PostgresReplicasArgs(
                identifier_prefix=names.replicas(region.region),
                count=region.read_replicas,
                source_db_arn=source.arn,
                cross_region=primary is not None,
                instance_class=config.database.replica_class,
                engine_version=config.database.engine_version,
                kms_key_arn=cell.key.arn,
                vpc_id=cell.network.vpc_id,
                subnet_ids=cell.network.isolated_subnet_ids,
                client_cidr_blocks=clients,
                monitoring_role_arn=source.monitoring_role_arn,
                performance_insights_retention_days=config.database.performance_insights_retention_days,
                monitoring_interval_seconds=config.database.monitoring_interval_seconds,
                slow_query_ms=config.database.slow_query_ms,
                max_allocated_storage_gb=config.database.max_allocated_storage_gb,
                max_connections=writer_connections(config),
                log_retention_days=config.monitoring.log_retention_days,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=cell),
        )

    def app_config(self, config: StackConfig) -> dict[str, pulumi.Input[str]]:
        """The apps' PostgreSQL keys: the writer's proxy, this region's replicas, the IAM logins."""
        db = config.database
        return {
            # IAM tokens are signed for the host's region: the writer proxy lives in the primary's.
            "DB_WRITER_ENDPOINT": self.writer.proxy_endpoint,
            "DB_WRITER_REGION": self._cell.writer_region,
            "DB_READER_ENDPOINTS": pulumi.Output.all(*self.replicas.endpoints).apply(",".join),
            "DB_READER_REGION": self._cell.region,
            "DB_PORT": "5432",
            "DB_NAME": db.database_name,
            "DB_USER": db.app_username,
            "DB_READER_USER": db.reader_username,
        }

    def monitoring_targets(self, config: StackConfig, region: RegionConfig) -> list[DbTarget]:
        """The instances this cell's monitoring alarms on: the writer where it lives, then the replicas."""
        db = config.database
        names = Names(config.name)
        targets = []
        if self.database is not None:
            targets.append(DbTarget(names.primary_db(), writer_connections(config), db.allocated_storage_gb, False))
        targets += [
            DbTarget(
                replica_identifier(names.replicas(region.region), index),
                writer_connections(config),
                db.allocated_storage_gb,
                True,
            )
            for index in range(region.read_replicas)
        ]
        return targets

    def endpoints(self) -> dict[str, Any]:
        """The cell's PostgreSQL endpoints, for its exported ``endpoints``."""
        return {
            "dbProxyEndpoint": self.writer.proxy_endpoint,
            "dbWriterRegion": self._cell.writer_region,
            "dbReaderEndpoints": self.replicas.endpoints,
        }


def _create_primary(
    cell: RegionalCell, name: str, config: StackConfig, region: RegionConfig, clients: list[str], tags: dict[str, str]
) -> Postgres:
    db = config.database
    # Active regions' apps write through this proxy over their VPC peering (see program.py).
    clients = clients + [
        cidr
        for other in config.regions
        if other.role == "active"
        for cidr in subnet_layout(other.cidr, len(other.zones)).private
    ]
    return Postgres(
        f"{name}-db",
        PostgresArgs(
            identifier=Names(config.name).primary_db(),
            region=region.region,
            vpc_id=cell.network.vpc_id,
            subnet_ids=cell.network.isolated_subnet_ids,
            proxy_subnet_ids=cell.network.private_subnet_ids,
            client_cidr_blocks=clients,
            kms_key_arn=cell.key.arn,
            engine_version=db.engine_version,
            instance_class=db.instance_class,
            allocated_storage_gb=db.allocated_storage_gb,
            max_allocated_storage_gb=db.max_allocated_storage_gb,
            backup_retention_days=db.backup_retention_days,
            database_name=db.database_name,
            master_username=db.master_username,
            app_username=db.app_username,
            password_rotation_days=db.password_rotation_days,
            performance_insights_retention_days=db.performance_insights_retention_days,
            monitoring_interval_seconds=db.monitoring_interval_seconds,
            slow_query_ms=db.slow_query_ms,
            proxy_max_connections_percent=db.proxy.max_connections_percent,
            proxy_max_idle_connections_percent=db.proxy.max_idle_connections_percent,
            proxy_idle_client_timeout_seconds=db.proxy.idle_client_timeout_seconds,
            max_connections=writer_connections(config),
            log_retention_days=config.monitoring.log_retention_days,
            tags=tags,
        ),
        opts=pulumi.ResourceOptions(parent=cell),
    )

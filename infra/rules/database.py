"""Rules of the data stores: which engine's keys apply, the PostgreSQL replica topology and
connection limit, storage, the cache, OpenSearch, and the PostgreSQL phase targets."""

from __future__ import annotations

import math

from components.postgres import max_connections
from infra.config import CACHE_ENGINE_VERSIONS, MAX_READ_REPLICAS, ConfigError, DatabaseConfig, StackConfig
from infra.rules.targets import PHASE_MIN_BACKUP_DAYS, PHASE_MIN_READERS, PHASE_MIN_STORAGE_GB, PHASE_QUERIES


def replica_fan_out(config: StackConfig) -> dict[str, int]:
    """Direct read replicas of each source instance, keyed ``"primary"`` or the remote region.

    The topology the cells build: the primary's region reads from replicas of the primary; every
    other region gets one cross-region replica of the primary (its cascade head) and its other
    replicas replicate from that head.
    """
    remote = [cell for cell in config.regions[1:] if cell.read_replicas > 0]
    fan_out = {"primary": config.primary.read_replicas + len(remote)}
    fan_out.update({cell.region: cell.read_replicas - 1 for cell in remote})
    return fan_out


def _check_replica_topology(config: StackConfig) -> None:
    # RDS allows 15 read replicas per source (USER_PostgreSQL.Replication.ReadReplicas) and
    # guarantees five cross-region ones (USER_ReadRepl.XRgn); StackConfig's five regions at most
    # leave four remote cascade heads, so only the first limit can be reached from config.
    direct = replica_fan_out(config)["primary"]
    if direct > MAX_READ_REPLICAS:
        raise ConfigError(
            "platform:regions[0].readReplicas",
            config.primary.read_replicas,
            f"the primary would feed {direct} replicas (its own plus one head per remote region); "
            f"RDS allows {MAX_READ_REPLICAS} per source",
        )


#: ``platform:database`` keys both engines use; every other key of the section is PostgreSQL's.
_SHARED_DATABASE_KEYS = frozenset({"engine", "database_name", "atlas"})


def _check_engine(config: StackConfig) -> None:
    """Each engine's keys only with that engine: a PostgreSQL key under MongoDB (or the Atlas
    section under PostgreSQL) would be silently ignored, and the reader would believe it applied."""
    database = config.database
    if database.engine == "postgres":
        if database.atlas is not None:
            raise ConfigError(
                "platform:database.atlas",
                "{...}",
                "only with platform:database.engine: mongodb (the engine is postgres)",
            )
        for index, cell in enumerate(config.regions):
            if cell.atlas_nodes is not None:
                raise ConfigError(
                    f"platform:regions[{index}].atlasNodes",
                    cell.atlas_nodes.model_dump(by_alias=True),
                    "only with platform:database.engine: mongodb (the engine is postgres)",
                )
        if config.apps.db_bootstrap is None:
            raise ConfigError(
                "platform:apps.dbBootstrap",
                None,
                "required with PostgreSQL: psqlImage and awsCliImage of the Job that creates the database roles",
                missing=True,
            )
        return
    if database.atlas is None:
        raise ConfigError(
            "platform:database.atlas",
            None,
            "required with platform:database.engine: mongodb: at least orgId, the Atlas organisation (24 hex digits)",
            missing=True,
        )
    fields = DatabaseConfig.model_fields
    for name in sorted(database.model_fields_set - _SHARED_DATABASE_KEYS):
        raise ConfigError(
            f"platform:database.{fields[name].alias}",
            getattr(database, name) if not hasattr(getattr(database, name), "model_dump") else "{...}",
            "PostgreSQL only; with platform:database.engine: mongodb size the cluster in platform:database.atlas",
        )
    for index, cell in enumerate(config.regions):
        if cell.read_replicas:
            raise ConfigError(
                f"platform:regions[{index}].readReplicas",
                cell.read_replicas,
                "PostgreSQL read replicas; with MongoDB Atlas set platform:regions[N].atlasNodes (0 here)",
            )
    if config.apps.db_bootstrap is not None:
        raise ConfigError(
            "platform:apps.dbBootstrap",
            "{...}",
            "PostgreSQL only (the Job creates PostgreSQL roles); Atlas database users come from the API: remove it",
        )


def _check_database(config: StackConfig) -> None:
    database = config.database
    if database.engine != "postgres":
        return
    # Alarm thresholds derive from the class's connection limit, so the class must be one we size.
    for key, value in (("instanceClass", database.instance_class), ("replicaInstanceClass", database.replica_class)):
        try:
            max_connections(value)
        except ValueError as error:
            raise ConfigError(f"platform:database.{key}", value, str(error)) from None
    smallest = min((database.instance_class, database.replica_class), key=max_connections)
    if database.max_connections > max_connections(smallest):
        raise ConfigError(
            "platform:database.maxConnections",
            database.max_connections,
            f"a new replica starts on RDS's default parameter group, whose limit for {smallest} is about "
            f"{max_connections(smallest)}, and a hot standby cannot run below its primary's: at most "
            f"{max_connections(smallest)}, or a larger class",
        )
    minimum = math.ceil(database.allocated_storage_gb * 1.1)
    if database.max_allocated_storage_gb < minimum:
        raise ConfigError(
            "platform:database.maxAllocatedStorageGb",
            database.max_allocated_storage_gb,
            f"storage autoscaling needs at least 10% above allocatedStorageGb "
            f"({database.allocated_storage_gb}): {minimum} or more",
        )


def _check_cache(config: StackConfig) -> None:
    cache = config.cache
    if cache.shards > 1 and not cache.cluster_mode:
        raise ConfigError(
            "platform:cache.shards", cache.shards, "more than one shard needs platform:cache.clusterMode = true"
        )
    allowed = CACHE_ENGINE_VERSIONS[cache.engine]
    if cache.engine_version not in allowed:
        raise ConfigError(
            "platform:cache.engineVersion",
            cache.engine_version,
            f"ElastiCache {cache.engine} versions in standard support: {', '.join(allowed)}",
        )


def _check_postgres_phase(config: StackConfig, serving: list, standby: list) -> None:
    phase = config.phase
    if phase == 3 and not standby:
        raise ConfigError(
            "platform:regions",
            [c.region for c in config.regions],
            "phase 3 adds cross-region read replicas: add a region with role 'standby'",
        )
    minimum = PHASE_MIN_READERS[phase]
    for index, cell in serving:
        if cell.read_replicas < minimum:
            raise ConfigError(
                f"platform:regions[{index}].readReplicas",
                cell.read_replicas,
                f"phase {phase} needs at least {minimum} read replica(s) in each serving region",
            )
    if config.database.backup_retention_days < PHASE_MIN_BACKUP_DAYS[phase]:
        raise ConfigError(
            "platform:database.backupRetentionDays",
            config.database.backup_retention_days,
            f"phase {phase} keeps at least {PHASE_MIN_BACKUP_DAYS[phase]} days of backups/PITR",
        )
    if config.database.allocated_storage_gb < PHASE_MIN_STORAGE_GB[phase]:
        raise ConfigError(
            "platform:database.allocatedStorageGb",
            config.database.allocated_storage_gb,
            f"phase {phase} serves {PHASE_QUERIES[phase]:,} queries/s: RDS gp3 gives 12,000 IOPS from 400 GiB "
            f"(3,000 below), so at least {PHASE_MIN_STORAGE_GB[phase]}",
        )


def _check_search(config: StackConfig) -> None:
    """SPEC §3: OpenSearch from phase 3; gp3 IOPS and throughput within what EBS provisions."""
    search = config.search
    if config.phase >= 3 and not search.enabled:
        raise ConfigError("platform:search.enabled", search.enabled, f"phase {config.phase} runs OpenSearch: true")
    # gp3: at most 500 IOPS per GiB and 0.25 MiB/s per IOPS (EBS User Guide, gp3 volumes).
    if search.iops > 500 * search.volume_size_gb:
        raise ConfigError(
            "platform:search.iops", search.iops, f"gp3 allows 500 IOPS per GiB: at most {500 * search.volume_size_gb}"
        )
    if search.throughput_mibps > search.iops // 4:
        raise ConfigError(
            "platform:search.throughputMibps",
            search.throughput_mibps,
            f"gp3 allows 0.25 MiB/s per IOPS: at most {search.iops // 4} with iops {search.iops}",
        )

"""Cross-field rules of the stack config, and the phase targets of SPEC §3.

Each rule raises :class:`~infra.config.ConfigError` naming the one key a user has to change.
Schema-level checks (types, ranges, unknown keys) live in the pydantic model; what needs more
than one field lives here.

The rules are spread over modules by concern: ``targets`` (the SPEC §3 tables and the platform
pods' requests), ``network`` (regions, zones, CIDRs), ``database`` (engine keys, PostgreSQL replica
topology and connections, cache, search), ``atlas`` (MongoDB Atlas), ``edge`` (assets, DNS),
``messaging`` (queues, events), ``cluster`` (apps, node capacity, the platform's phase targets) and
``check`` (:func:`check_rules`, which runs them in the order that decides which error wins).
Import from ``infra.rules``, not from the modules.
"""

from infra.rules.atlas import atlas_nodes
from infra.rules.check import check_rules
from infra.rules.cluster import platform_reserve
from infra.rules.database import replica_fan_out
from infra.rules.targets import (
    PHASE_API_REPLICAS,
    PHASE_ATLAS_ANALYTICS,
    PHASE_ATLAS_SHARDED,
    PHASE_AVAILABILITY,
    PHASE_BUDGET,
    PHASE_CONCURRENT_USERS,
    PHASE_HEADROOM_USERS,
    PHASE_MIN_ATLAS_SIZE,
    PHASE_MIN_BACKUP_DAYS,
    PHASE_MIN_READERS,
    PHASE_MIN_STORAGE_GB,
    PHASE_POOLED_CONNECTIONS,
    PHASE_QUERIES,
    PHASE_SERVING_REGIONS,
    PLATFORM_PODS,
    PROMETHEUS_PODS,
    TRACING_PODS,
)

__all__ = [
    "PHASE_API_REPLICAS",
    "PHASE_ATLAS_ANALYTICS",
    "PHASE_ATLAS_SHARDED",
    "PHASE_AVAILABILITY",
    "PHASE_BUDGET",
    "PHASE_CONCURRENT_USERS",
    "PHASE_HEADROOM_USERS",
    "PHASE_MIN_ATLAS_SIZE",
    "PHASE_MIN_BACKUP_DAYS",
    "PHASE_MIN_READERS",
    "PHASE_MIN_STORAGE_GB",
    "PHASE_POOLED_CONNECTIONS",
    "PHASE_QUERIES",
    "PHASE_SERVING_REGIONS",
    "PLATFORM_PODS",
    "PROMETHEUS_PODS",
    "TRACING_PODS",
    "atlas_nodes",
    "check_rules",
    "platform_reserve",
    "replica_fan_out",
]

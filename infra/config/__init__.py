"""The stack configuration: one pydantic model for every key under the ``platform:`` namespace.

All defaults live here. ``load_config`` turns the engine's flat string map into a validated
:class:`StackConfig` or raises :class:`ConfigError` (a ``pulumi.RunError``, so the CLI shows a
one-line message instead of a traceback) naming the key path, the bad value and what is allowed.
It runs before any resource is registered.

The one model is spread over modules by concern, each section next to its own tables and
validators: ``base`` (namespaces, limits, :class:`ConfigError`, the sections' base model),
``regions`` (cells and network), ``atlas`` (MongoDB Atlas), ``data`` (PostgreSQL, cache, search),
``messaging`` (queues, events, streaming), ``edge`` (assets, DNS), ``monitoring``, ``compute``
(EKS and the apps), ``capacity`` (capacity assumptions, budget) and ``stack`` (:class:`StackConfig`
and its loading). Import from ``infra.config``, not from the modules.
"""

from infra.config.atlas import (
    ATLAS_MAX_SHARDS,
    AtlasAlertsConfig,
    AtlasAutoScalingConfig,
    AtlasConfig,
    AtlasNodesConfig,
    AtlasSize,
)
from infra.config.base import (
    AWS_REGIONS,
    EKS_STANDARD_SUPPORT_ENDS,
    K8S_MIN_SUPPORT_DAYS,
    MAX_CROSS_REGION_REPLICAS,
    MAX_READ_REPLICAS,
    MAX_REGIONS,
    NAMESPACE,
    OTHER_NAMESPACES,
    ConfigError,
)
from infra.config.capacity import BudgetConfig, CapacityConfig
from infra.config.compute import (
    ApiConfig,
    AppConfig,
    AppsConfig,
    ClusterConfig,
    DbBootstrapConfig,
    NodeGroupConfig,
    PinnedImage,
    WorkerConfig,
    kubernetes_version_in_support,
)
from infra.config.data import (
    CACHE_ENGINE_VERSIONS,
    POSTGRES_MAJOR_VERSIONS,
    SEARCH_ENGINE_VERSIONS,
    SEARCH_INSTANCE_TYPES,
    CacheConfig,
    DatabaseConfig,
    ProxyConfig,
    SearchConfig,
)
from infra.config.edge import AssetsConfig, DnsConfig
from infra.config.messaging import EventsConfig, QueueConfig, StreamingConfig, SubscriptionConfig, TopicConfig
from infra.config.monitoring import MonitoringConfig, ThresholdsConfig
from infra.config.regions import NetworkConfig, RegionConfig
from infra.config.stack import StackConfig, current_config, load_config, parse_value, raw_namespace

__all__ = [
    "ATLAS_MAX_SHARDS",
    "AWS_REGIONS",
    "CACHE_ENGINE_VERSIONS",
    "EKS_STANDARD_SUPPORT_ENDS",
    "K8S_MIN_SUPPORT_DAYS",
    "MAX_CROSS_REGION_REPLICAS",
    "MAX_READ_REPLICAS",
    "MAX_REGIONS",
    "NAMESPACE",
    "OTHER_NAMESPACES",
    "POSTGRES_MAJOR_VERSIONS",
    "SEARCH_ENGINE_VERSIONS",
    "SEARCH_INSTANCE_TYPES",
    "ApiConfig",
    "AppConfig",
    "AppsConfig",
    "AssetsConfig",
    "AtlasAlertsConfig",
    "AtlasAutoScalingConfig",
    "AtlasConfig",
    "AtlasNodesConfig",
    "AtlasSize",
    "BudgetConfig",
    "CacheConfig",
    "CapacityConfig",
    "ClusterConfig",
    "ConfigError",
    "DatabaseConfig",
    "DbBootstrapConfig",
    "DnsConfig",
    "EventsConfig",
    "MonitoringConfig",
    "NetworkConfig",
    "NodeGroupConfig",
    "PinnedImage",
    "ProxyConfig",
    "QueueConfig",
    "RegionConfig",
    "SearchConfig",
    "StackConfig",
    "StreamingConfig",
    "SubscriptionConfig",
    "ThresholdsConfig",
    "TopicConfig",
    "WorkerConfig",
    "current_config",
    "kubernetes_version_in_support",
    "load_config",
    "parse_value",
    "raw_namespace",
]

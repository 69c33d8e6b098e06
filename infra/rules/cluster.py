"""Rules of the cluster and its apps: replica and memory ranges, certificates, what the node groups
can hold, and the platform's phase targets (NAT, HPA ranges, monitoring, events, streaming, cache)."""

from __future__ import annotations

from components.cluster import fits, node_capacity
from infra.config import ConfigError, StackConfig
from infra.rules.targets import PHASE_API_REPLICAS, PLATFORM_PODS, PROMETHEUS_PODS, TRACING_PODS


def _check_apps(config: StackConfig) -> None:
    apps = config.apps
    for key, app in (("api", apps.api), ("worker", apps.worker)):
        path = f"platform:apps.{key}"
        if app.max_replicas < app.min_replicas:
            raise ConfigError(f"{path}.maxReplicas", app.max_replicas, f"at least minReplicas ({app.min_replicas})")
        if app.memory_limit_mib < app.memory_request_mib:
            raise ConfigError(
                f"{path}.memoryLimitMib", app.memory_limit_mib, f"at least memoryRequestMib ({app.memory_request_mib})"
            )
    queues = [q.name for q in config.queues]
    if apps.worker.queue not in queues:
        raise ConfigError("platform:apps.worker.queue", apps.worker.queue, f"one of platform:queues: {queues}")
    if apps.api.host:
        for index, cell in enumerate(config.regions):
            arn = cell.api_certificate_arn
            if cell.role != "standby" and (not arn or f":acm:{cell.region}:" not in arn):
                raise ConfigError(
                    f"platform:regions[{index}].apiCertificateArn",
                    arn,
                    f"an ACM certificate in {cell.region} for {apps.api.host} (platform:apps.api.host is set)",
                )


def platform_reserve(config: StackConfig) -> tuple[int, int]:
    """Requests (millicores, MiB) of the platform's own pods in each cluster of ``config``."""
    cpu, memory = PLATFORM_PODS
    if config.monitoring.prometheus:
        cpu, memory = cpu + PROMETHEUS_PODS[0], memory + PROMETHEUS_PODS[1]
    if config.monitoring.tracing:
        cpu, memory = cpu + TRACING_PODS[0], memory + TRACING_PODS[1]
    return cpu, memory


def _check_capacity(config: StackConfig) -> None:
    """Every HPA at its maximum, plus the platform's pods, must fit the node groups at their maximum."""
    nodes = config.cluster.nodes
    if nodes.max_per_az < nodes.min_per_az:
        raise ConfigError(
            "platform:cluster.nodes.maxPerAz", nodes.max_per_az, f"at least minPerAz ({nodes.min_per_az})"
        )
    instance_type = nodes.instance_type
    try:
        # Zones are three per region (checked above); node groups are one per zone.
        capacity = node_capacity(instance_type, nodes.max_per_az * 3)
    except ValueError as error:
        raise ConfigError("platform:cluster.nodes.instanceType", instance_type, str(error)) from None
    api, worker = config.apps.api, config.apps.worker
    reserve_cpu, reserve_memory = platform_reserve(config)
    need_cpu = api.cpu_request_m * api.max_replicas + worker.cpu_request_m * worker.max_replicas + reserve_cpu
    need_memory = (
        api.memory_request_mib * api.max_replicas + worker.memory_request_mib * worker.max_replicas + reserve_memory
    )
    if not fits(need_cpu, need_memory, 1, capacity):
        raise ConfigError(
            "platform:cluster.nodes.maxPerAz",
            nodes.max_per_az,
            f"{nodes.max_per_az * 3} x {instance_type} give {capacity.cpu_millicores}m CPU / {capacity.memory_mib} MiB "
            f"for pods, but api and worker at maxReplicas plus the platform's pods request {need_cpu}m / "
            f"{need_memory} MiB: raise maxPerAz, pick a larger instance type or lower the maxima",
        )


def _check_platform_phase(config: StackConfig) -> None:
    phase = config.phase
    if phase >= 2 and config.network.nat_gateways != "perAz":
        raise ConfigError(
            "platform:network.natGateways",
            config.network.nat_gateways,
            f"phase {phase} targets >= 99.7% availability: 'perAz', so one zone's outage does not cut the others off",
        )
    api_min, api_max = PHASE_API_REPLICAS[phase]
    if config.apps.api.max_replicas < api_max:
        raise ConfigError(
            "platform:apps.api.maxReplicas",
            config.apps.api.max_replicas,
            f"phase {phase} scales the api to at least {api_max} pods per region",
        )
    if config.apps.api.min_replicas < api_min:
        raise ConfigError(
            "platform:apps.api.minReplicas",
            config.apps.api.min_replicas,
            f"phase {phase} keeps at least {api_min} api pods per region",
        )
    if phase >= 2 and config.apps.worker.scaling != "queue":
        raise ConfigError(
            "platform:apps.worker.scaling",
            config.apps.worker.scaling,
            f"phase {phase} scales workers on queue depth: 'queue'",
        )
    if phase >= 3 and not config.monitoring.prometheus:
        raise ConfigError("platform:monitoring.prometheus", False, f"phase {phase} runs Prometheus/Grafana: true")
    if phase >= 4 and not config.monitoring.tracing:
        raise ConfigError("platform:monitoring.tracing", False, "phase 4 traces every request: true")
    if phase >= 3 and not config.events.topics:
        raise ConfigError(
            "platform:events.topics", [], f"phase {phase} fans events out through SNS: at least one topic"
        )
    if phase >= 4 and config.streaming is None:
        raise ConfigError(
            "platform:streaming", None, "phase 4 streams events (Kinesis): set platform:streaming", missing=True
        )
    if phase >= 3 and config.cache.shards < 2:
        raise ConfigError(
            "platform:cache.shards",
            config.cache.shards,
            f"phase {phase} runs the cache in cluster mode with several shards: at least 2",
        )

"""``check_rules``: every rule of the package, in the order that decides which error a config
with several problems gets."""

from __future__ import annotations

from infra.config import ConfigError, StackConfig
from infra.rules.atlas import _check_atlas, _check_atlas_phase
from infra.rules.cluster import _check_apps, _check_capacity, _check_platform_phase
from infra.rules.database import _check_cache, _check_database, _check_engine, _check_postgres_phase, _check_search
from infra.rules.edge import _check_assets, _check_dns, _check_edge_phase
from infra.rules.messaging import _check_events, _check_queues
from infra.rules.network import _check_regions
from infra.rules.targets import PHASE_SERVING_REGIONS


def check_rules(config: StackConfig) -> None:
    """Raise ConfigError for the first cross-field rule ``config`` breaks."""
    _check_engine(config)
    _check_regions(config)
    _check_database(config)
    _check_atlas(config)
    _check_cache(config)
    _check_assets(config)
    _check_dns(config)
    _check_queues(config)
    _check_events(config)
    _check_apps(config)
    _check_capacity(config)
    _check_phase(config)
    _check_search(config)
    _check_edge_phase(config)


def _check_phase(config: StackConfig) -> None:
    phase = config.phase
    serving = [(i, c) for i, c in enumerate(config.regions) if c.role != "standby"]
    standby = [(i, c) for i, c in enumerate(config.regions) if c.role == "standby"]
    wanted = PHASE_SERVING_REGIONS[phase]
    if len(serving) != wanted:
        raise ConfigError(
            "platform:regions",
            [c.region for _, c in serving],
            f"phase {phase} serves from exactly {wanted} region(s) (primary + active); "
            "add or remove regions, or mark extra ones 'standby'",
        )
    if standby and phase < 3:
        index, cell = standby[0]
        raise ConfigError(
            f"platform:regions[{index}].role",
            cell.role,
            f"cross-region standby replicas start in phase 3; phase {phase} has one region",
        )
    if config.database.engine == "mongodb":
        _check_atlas_phase(config)
    else:
        _check_postgres_phase(config, serving, standby)
    _check_platform_phase(config)

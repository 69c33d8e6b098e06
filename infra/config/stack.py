"""The whole namespace (:class:`StackConfig`) and its loading: the engine's flat map parsed,
validated, and pydantic's errors turned into :class:`ConfigError`."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from infra.config.base import MAX_REGIONS, NAMESPACE, OTHER_NAMESPACES, ConfigError, _Model
from infra.config.capacity import BudgetConfig, CapacityConfig
from infra.config.compute import AppsConfig, ClusterConfig
from infra.config.data import CacheConfig, DatabaseConfig, SearchConfig
from infra.config.edge import AssetsConfig, DnsConfig
from infra.config.messaging import EventsConfig, QueueConfig, StreamingConfig
from infra.config.monitoring import MonitoringConfig
from infra.config.regions import NetworkConfig, RegionConfig


class StackConfig(_Model):
    """The whole ``platform:`` namespace of one stack.

    ``name``: the environment's name and the root of every physical name (``acme-prod``); it
    must stay the same across phases, which is what makes promotion an in-place update.
    ``phase``: the scaling phase (1-4) whose targets the config must meet. ``tags``: added to
    every resource. Other keys: see each section's model.
    """

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$", min_length=3, max_length=20)]
    phase: Annotated[int, Field(ge=1, le=4)]
    regions: Annotated[list[RegionConfig], Field(min_length=1, max_length=MAX_REGIONS)]
    tags: dict[Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]] = {}
    network: NetworkConfig = NetworkConfig()
    database: DatabaseConfig = DatabaseConfig()
    cache: CacheConfig = CacheConfig()
    assets: AssetsConfig = AssetsConfig()
    queues: list[QueueConfig] = [QueueConfig(name="jobs")]
    events: EventsConfig = EventsConfig()
    streaming: StreamingConfig | None = None
    monitoring: MonitoringConfig = MonitoringConfig()
    search: SearchConfig = SearchConfig()
    cluster: ClusterConfig
    apps: AppsConfig
    dns: DnsConfig | None = None
    capacity: CapacityConfig = CapacityConfig()
    budget: BudgetConfig = BudgetConfig()

    @field_validator("tags")
    @classmethod
    def _user_tags(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if key.lower().startswith("aws:"):
                raise ValueError(f"tag key {key!r}: the aws: prefix is reserved for AWS")
        return value

    @property
    def primary(self) -> RegionConfig:
        """The cell holding the writable database."""
        return self.regions[0]


def _key_path(loc: tuple) -> str:
    path = f"{NAMESPACE}:{loc[0]}" if loc else NAMESPACE
    for part in loc[1:]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _allowed_keys(model: type[BaseModel]) -> str:
    return ", ".join(sorted(field.alias or name for name, field in model.model_fields.items()))


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The config section model inside a field annotation (``X``, ``X | None``, ``list[X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The section model that owns the key at ``loc`` (for 'unknown key' messages)."""
    model: type[BaseModel] | None = StackConfig
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        model = _submodel(field.annotation) if field else None
    return model


def _from_validation_error(error: ValidationError) -> ConfigError:
    first = error.errors()[0]
    loc = first["loc"]
    if first["type"] == "extra_forbidden":
        owner = _model_at(loc)
        allowed = f"unknown key; allowed keys: {_allowed_keys(owner)}" if owner else "unknown key"
        return ConfigError(_key_path(loc), first["input"], allowed)
    if first["type"] == "missing":
        return ConfigError(_key_path(loc), None, "required; see the section's docs in infra/config/", missing=True)
    message = first["msg"].removeprefix("Value error, ")
    return ConfigError(_key_path(loc), first.get("input"), message)


def parse_value(raw: str) -> Any:
    """Decode one engine config value: objects and lists arrive as JSON text, scalars as text."""
    text = raw.strip()
    if text[:1] in "{[":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return raw
    return raw


def raw_namespace(flat: Mapping[str, str]) -> dict[str, Any]:
    """Pick the ``platform:`` keys out of the engine's flat config map, values decoded."""
    prefix = f"{NAMESPACE}:"
    return {key[len(prefix) :]: parse_value(value) for key, value in flat.items() if key.startswith(prefix)}


def load_config(flat: Mapping[str, str]) -> StackConfig:
    """Validate a stack's flat config map (``{"platform:name": "acme-prod", ...}``).

    Raises ConfigError for the first problem found: a schema error, or a cross-field rule
    from :mod:`infra.rules`.
    """
    from infra.rules import check_rules

    _check_namespaces(flat)
    try:
        config = StackConfig.model_validate(raw_namespace(flat))
    except ValidationError as error:
        raise _from_validation_error(error) from None
    check_rules(config)
    return config


def _check_namespaces(flat: Mapping[str, str]) -> None:
    """Refuse keys of any namespace but ours and the providers' (a typo would be silently ignored)."""
    allowed = (NAMESPACE, *OTHER_NAMESPACES)
    for key in sorted(flat):
        namespace = key.split(":", 1)[0]
        if namespace not in allowed:
            close = difflib.get_close_matches(namespace, allowed, n=1)
            hint = f" (did you mean {close[0]}:?)" if close else ""
            raise ConfigError(
                key, flat[key], f"unknown config namespace {namespace!r}{hint}; allowed: {', '.join(allowed)}"
            )


def current_config() -> dict[str, str]:
    """The flat config map of the running Pulumi program (engine-provided or mocked)."""
    from pulumi.runtime import config as runtime_config

    flat = dict(runtime_config.get_config_env())
    flat.update(runtime_config.CONFIG.get())
    return {key: value for key, value in flat.items() if isinstance(value, str)}

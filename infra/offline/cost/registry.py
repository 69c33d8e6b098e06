"""The registry mapping resource type tokens to their pricers and the usage keys each reads.

The service-family modules (compute, databases, network, storage, messaging, observability,
security) fill it with :func:`pricer` when the package imports them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from infra.offline.cost.context import _Context
from infra.offline.cost.report import LineItem
from infra.offline.harness import RecordedResource
from infra.offline.usage import Usage

Pricer = Callable[[_Context, RecordedResource, Usage, str], list[LineItem]]


@dataclass(frozen=True)
class _Registration:
    fn: Pricer
    keys: frozenset[str]
    global_region: bool


#: Resource type -> its pricer and the usage keys it may read.
PRICERS: dict[str, _Registration] = {}


def pricer(type_token: str, *keys: str, global_region: bool = False) -> Callable[[Pricer], Pricer]:
    """Register ``fn`` as the pricer of ``type_token``, reading the usage ``keys``."""

    def register(fn: Pricer) -> Pricer:
        PRICERS[type_token] = _Registration(fn, frozenset(keys), global_region)
        return fn

    return register

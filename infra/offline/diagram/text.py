"""Small text helpers the labels and the title share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from infra.offline.harness import RecordedResource


def _int(value: Any) -> Any:
    """A whole double as an int (the wire protocol carries every number as a double)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def span(low: Any, high: Any) -> str:
    """``2–6``; a single number when both ends are equal."""
    low, high = _int(low), _int(high)
    return f"{low}" if low == high else f"{low}–{high}"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _short(resource: RecordedResource, component: str) -> str:
    """A resource's logical name without its component's prefix (``use1-queues-jobs`` -> ``jobs``)."""
    name = resource.name
    return name[len(component) + 1 :] if name.startswith(component + "-") else name


def _of(resources: Iterable[RecordedResource], *types: str) -> list[RecordedResource]:
    return [r for r in resources if r.type in types]

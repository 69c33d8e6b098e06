"""The dated price table behind ``cost``: loading, validation and look-ups that fail loudly.

The table (``infra/offline/data/aws-prices.yaml``) holds on-demand list prices in USD with the date
they were taken (``as_of``) and, per item, where they come from. An item is priced either the same
in every region (``price: 0.10``), per region (``price: {us-east-1: ..., ...}``), per size
(``sizes: {m7g.large: {us-east-1: ...}}``) or once for a global service (``global: true``). Every
look-up of a region, a size or an item the table does not hold raises :class:`PriceError` naming
it: an unknown price is never zero. Resource types that cost nothing are listed under ``free``
with a one-word reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml

#: The table shipped with the tools.
DEFAULT_TABLE = Path(__file__).resolve().parent / "data" / "aws-prices.yaml"
#: The reason classes a free resource type may give (kept short so the table reads as a list).
FREE_REASONS = frozenset(
    {"identity", "network", "config", "kubernetes", "provider", "local", "policy", "events", "template", "atlas"}
)


class PriceError(pulumi.RunError):
    """A price the table does not hold, or a table that is not well formed (names the key)."""


@dataclass(frozen=True)
class PriceItem:
    """One priced unit: ``unit`` (what one price buys), ``source`` and the prices themselves."""

    name: str
    unit: str
    source: str
    is_global: bool
    #: region -> price for flat items; size -> region -> price for sized items.
    prices: Mapping[str, Any]
    sized: bool


@dataclass(frozen=True)
class PriceTable:
    """The validated table: items, per-class attributes (vCPUs...), free types and metadata."""

    as_of: datetime.date
    currency: str
    hours_per_month: float
    regions: tuple[str, ...]
    items: Mapping[str, PriceItem]
    attributes: Mapping[str, Mapping[str, float]]
    free: Mapping[str, str]
    path: Path

    def price(self, item: str, region: str, size: str | None = None) -> float:
        """The price of ``item`` in ``region`` (``size`` for sized items); PriceError when unknown."""
        entry = self.items.get(item)
        if entry is None:
            raise PriceError(f"price table {self.path.name} has no item {item!r}")
        if entry.sized != (size is not None):
            raise PriceError(f"price item {item!r} is {'' if entry.sized else 'not '}priced by size")
        by_region: Any = entry.prices
        if entry.sized:
            if size not in entry.prices:
                known = ", ".join(sorted(entry.prices))
                raise PriceError(f"price table {self.path.name} has no {item} price for {size!r} (it has: {known})")
            by_region = entry.prices[size]
        if entry.is_global:
            return float(by_region)
        if region not in self.regions:
            raise PriceError(
                f"price table {self.path.name} has no prices for region {region!r} "
                f"(needed for {item}{f' {size}' if size else ''}; it has: {', '.join(self.regions)})"
            )
        return float(by_region[region])

    def attribute(self, name: str, key: str) -> float:
        """A per-class attribute such as ``rds_vcpus`` of ``db.m7g.large``; PriceError when unknown."""
        values = self.attributes.get(name)
        if values is None:
            raise PriceError(f"price table {self.path.name} has no attribute table {name!r}")
        if key not in values:
            raise PriceError(
                f"price table {self.path.name} has no {name} for {key!r} (it has: {', '.join(sorted(values))})"
            )
        return float(values[key])

    def source(self, item: str) -> str:
        """Where the price of ``item`` comes from."""
        return self.items[item].source


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise PriceError(f"{where}: must be a non-negative number, got {value!r}")
    return float(value)


def _region_prices(value: Any, regions: tuple[str, ...], where: str) -> dict[str, float]:
    """A per-region mapping covering exactly ``regions``, or one number meaning 'the same in all'."""
    if not isinstance(value, Mapping):
        number = _number(value, where)
        return {region: number for region in regions}
    missing, extra = set(regions) - set(value), set(value) - set(regions)
    if missing or extra:
        raise PriceError(
            f"{where}: regions must be exactly {', '.join(regions)}"
            + (f"; missing {', '.join(sorted(missing))}" if missing else "")
            + (f"; not in 'regions': {', '.join(sorted(extra))}" if extra else "")
        )
    return {region: _number(price, f"{where}.{region}") for region, price in value.items()}


def _item(name: str, raw: Any, regions: tuple[str, ...], where: str) -> PriceItem:
    if not isinstance(raw, Mapping):
        raise PriceError(f"{where}: must be a mapping with unit, source and price or sizes")
    for key in ("unit", "source"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise PriceError(f"{where}.{key}: required text")
    unknown = set(raw) - {"unit", "source", "price", "sizes", "global", "note"}
    if unknown:
        raise PriceError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    if ("price" in raw) == ("sizes" in raw):
        raise PriceError(f"{where}: needs exactly one of 'price' or 'sizes'")
    is_global = bool(raw.get("global", False))
    if "price" in raw:
        price = raw["price"]
        prices: Any = (
            _number(price, f"{where}.price") if is_global else _region_prices(price, regions, f"{where}.price")
        )
        return PriceItem(name, raw["unit"], raw["source"], is_global, prices, sized=False)
    sizes = raw["sizes"]
    if not isinstance(sizes, Mapping) or not sizes:
        raise PriceError(f"{where}.sizes: must be a non-empty mapping of size: price")
    prices = {
        str(size): _number(value, f"{where}.sizes.{size}")
        if is_global
        else _region_prices(value, regions, f"{where}.sizes.{size}")
        for size, value in sizes.items()
    }
    return PriceItem(name, raw["unit"], raw["source"], is_global, prices, sized=True)


def parse_table(document: Any, path: Path) -> PriceTable:
    """Validate a loaded table document; PriceError naming the first bad key."""
    name = path.name
    if not isinstance(document, Mapping):
        raise PriceError(f"{name}: must be a mapping")
    unknown = set(document) - {"as_of", "currency", "hours_per_month", "regions", "items", "attributes", "free"}
    if unknown:
        raise PriceError(f"{name}: unknown top-level keys {', '.join(sorted(unknown))}")
    as_of = document.get("as_of")
    if not isinstance(as_of, datetime.date):
        raise PriceError(f"{name}.as_of: required date (YYYY-MM-DD)")
    regions = document.get("regions")
    if not isinstance(regions, list) or not regions or not all(isinstance(r, str) for r in regions):
        raise PriceError(f"{name}.regions: required list of region names")
    regions_t = tuple(regions)
    items_raw = document.get("items")
    if not isinstance(items_raw, Mapping):
        raise PriceError(f"{name}.items: required mapping")
    items = {key: _item(key, raw, regions_t, f"{name}.items.{key}") for key, raw in items_raw.items()}
    attributes: dict[str, dict[str, float]] = {}
    for key, values in (document.get("attributes") or {}).items():
        if not isinstance(values, Mapping) or "source" not in values:
            raise PriceError(f"{name}.attributes.{key}: must be a mapping with a source and key: number")
        attributes[key] = {k: _number(v, f"{name}.attributes.{key}.{k}") for k, v in values.items() if k != "source"}
    free = document.get("free") or {}
    if not isinstance(free, Mapping):
        raise PriceError(f"{name}.free: must be a mapping of resource type: reason")
    for type_token, reason in free.items():
        if reason not in FREE_REASONS:
            raise PriceError(
                f"{name}.free.{type_token}: reason {reason!r} is not one of {', '.join(sorted(FREE_REASONS))}"
            )
    return PriceTable(
        as_of=as_of,
        currency=str(document.get("currency", "USD")),
        hours_per_month=_number(document.get("hours_per_month"), f"{name}.hours_per_month"),
        regions=regions_t,
        items=items,
        attributes=attributes,
        free=dict(free),
        path=path,
    )


def load_table(path: Path = DEFAULT_TABLE) -> PriceTable:
    """Read and validate the price table at ``path``."""
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise PriceError(f"{path.name}: not valid YAML: {str(error).splitlines()[0]}") from None
    return parse_table(document, path)

"""The promotion diff's data: URN helpers, and the :class:`Change`, :class:`Refusal` and :class:`PromotionDiff`
it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Actions in the order reports list them.
ACTIONS = ("create", "update", "replace", "delete", "same")
_URN_PREFIX = "urn:pulumi:"


def parse_urn(urn: str) -> tuple[str, str, str, str]:
    """Split ``urn:pulumi:STACK::PROJECT::TYPE::NAME`` into its four parts (the name may hold ``::``)."""
    if not urn.startswith(_URN_PREFIX):
        raise ValueError(f"not a Pulumi URN: {urn!r}")
    parts = urn[len(_URN_PREFIX) :].split("::", 3)
    if len(parts) != 4:
        raise ValueError(f"not a Pulumi URN: {urn!r}")
    return parts[0], parts[1], parts[2], parts[3]


def stackless_urn(urn: str) -> str:
    """``urn:pulumi:STACK::PROJECT::TYPE::NAME`` -> ``PROJECT::TYPE::NAME``: the identity across stacks."""
    _, project, type_, name = parse_urn(urn)
    return f"{project}::{type_}::{name}"


@dataclass(frozen=True)
class Change:
    """What the target program does to one custom resource (or explicit provider)."""

    urn: str
    type: str
    name: str
    action: str
    changed: list[str] = field(default_factory=list)
    forcing: list[str] = field(default_factory=list)
    stateful: bool = False
    protect: bool = False
    old_urn: str = ""
    #: Changed leaf paths -> [old, new] (secrets masked; absent = None).
    values: dict[str, list[Any]] = field(default_factory=dict)
    region: str = ""
    #: The component the resource belongs to (the cell's child it sits under, e.g. ``use1-db``).
    component: str = ""
    #: Names of replaced resources whose new IDs flow into the changed inputs (the cascade).
    cause: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Refusal:
    """A change promotion must not make: why, and the way out."""

    change: Change
    reason: str
    remedy: str


@dataclass
class PromotionDiff:
    """Every change, and the subset that would destroy data (``unsafe``)."""

    changes: list[Change]
    unsafe: list[Refusal]

    @property
    def is_safe(self) -> bool:
        """True when nothing stateful or protected would be replaced or deleted."""
        return not self.unsafe

    def counts(self) -> dict[str, int]:
        """Number of changes per action, every action present, in :data:`ACTIONS` order."""
        return {action: sum(c.action == action for c in self.changes) for action in ACTIONS}

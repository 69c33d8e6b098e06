"""The stack as cross-resource rules see it: resources linked by the engine's dependency graph.

Physical ids and ARNs of resources being created are unknown in a real preview; the dependency
graph is not, so rules link resources through it. The tests build these from the offline plan,
``pack.py`` from the policy engine's ``StackValidationArgs``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StackResource:
    """What a stack rule needs of one resource: type, URN, inputs, the URNs it depends on, per
    input the URNs whose outputs flowed into it, and its region."""

    type: str
    urn: str
    props: Mapping[str, Any]
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: Region of the resource's explicit provider; empty when not known.
    region: str = ""

"""The monthly cost change between two stacks' reports (``diff`` and ``promote`` show it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.offline.cost.report import CostReport


@dataclass(frozen=True)
class CostDelta:
    """The monthly cost change from one stack to another, total and per component."""

    source: str
    target: str
    source_total: float
    target_total: float
    components: dict[str, tuple[float, float]]

    @property
    def delta(self) -> float:
        """target total - source total."""
        return self.target_total - self.source_total

    def to_json(self) -> dict[str, Any]:
        """JSON-safe view (USD per month)."""
        return {
            "from": {"stack": self.source, "total": round(self.source_total, 2)},
            "to": {"stack": self.target, "total": round(self.target_total, 2)},
            "delta": round(self.delta, 2),
            "components": {
                name: {"from": round(a, 2), "to": round(b, 2), "delta": round(b - a, 2)}
                for name, (a, b) in self.components.items()
            },
        }


def cost_delta(before: CostReport, after: CostReport) -> CostDelta:
    """Per component path: (before, after) for every component whose monthly cost changes."""
    old, new = before.by_component(), after.by_component()
    changed = {
        name: (old.get(name, 0.0), new.get(name, 0.0))
        for name in sorted(set(old) | set(new))
        if round(old.get(name, 0.0), 2) != round(new.get(name, 0.0), 2)
    }
    return CostDelta(before.stack, after.stack, before.total, after.total, changed)

"""The operator's view of a promotion diff: a table grouped by region and component, and JSON.

Values are the diff's own (secrets already masked by :mod:`infra.offline.diff`); here they are shortened
to fit a 100-column terminal, and every piece of user data is escaped, so ``[...]`` in a name or a
value is printed, never taken as rich markup.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from itertools import groupby
from typing import Any

from rich.markup import escape
from rich.table import Table

from infra.offline.cost import CostDelta, money
from infra.offline.diff import ACTIONS, Change, PromotionDiff

#: The width the table is laid out for (``diff`` output fits a 100-column terminal).
WIDTH = 100
_STYLES = {"create": "green", "update": "yellow", "replace": "bold magenta", "delete": "bold red", "same": "dim"}
_VALUE_CHARS = 24
_LINES_PER_RESOURCE = 6


def short_type(type_token: str) -> str:
    """``aws:ec2/subnet:Subnet`` -> ``ec2/subnet``; ``kubernetes:apps/v1:Deployment`` -> ``k8s Deployment``."""
    if type_token.startswith("pulumi:providers:"):
        return f"provider {type_token.rsplit(':', 1)[-1]}"
    package, module, kind = (type_token.split(":") + ["", ""])[:3]
    if package == "kubernetes":
        return f"k8s {kind}"
    return f"{package}:{module}" if package not in ("aws",) else module


def show(value: Any, limit: int = _VALUE_CHARS) -> str:
    """One value as compact JSON (strings bare), cut to ``limit`` characters with an ellipsis."""
    if value is None:
        return "∅"
    if value == "":
        return '""'
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pair(old: Any, new: Any) -> str:
    if isinstance(old, list) and isinstance(new, list):
        # Lists that grew or shrank: what left and what came, not two identical-looking heads.
        gone, came = [v for v in old if v not in new], [v for v in new if v not in old]
        return " ".join(filter(None, (gone and f"−{show(gone)}", came and f"+{show(came)}"))) or "reordered"
    return f"{show(old)} → {show(new)}"


def _change_lines(change: Change) -> list[str]:
    lines = [f"{path}: {_pair(old, new)}" for path, (old, new) in change.values.items()]
    if len(lines) > _LINES_PER_RESOURCE:
        lines = lines[: _LINES_PER_RESOURCE - 1] + [f"… and {len(lines) - _LINES_PER_RESOURCE + 1} more"]
    if change.forcing:
        lines.append(f"forces: {', '.join(change.forcing)}")
    if change.cause:
        lines.append(f"via replaced: {', '.join(change.cause)}")
    return lines


def _group_key(change: Change) -> tuple[str, str]:
    return (change.region or "global", change.component or "(stack)")


def render_table(diff: PromotionDiff, *, show_same: bool = False) -> Table:
    """A rich table of the changes, grouped by region and component (unchanged rows only if ``show_same``)."""
    counts = ", ".join(f"{n} {a}" for a, n in diff.counts().items() if n)
    table = Table(
        title="Promotion diff",
        caption=f"{counts}; {'safe' if diff.is_safe else 'UNSAFE'}",
        width=WIDTH,
        show_lines=False,
        pad_edge=False,
    )
    table.add_column("action", width=7, no_wrap=True)
    table.add_column("resource", ratio=2, overflow="fold")
    table.add_column("old → new", ratio=3, overflow="fold")
    table.add_column("guard", width=9)
    order = {action: index for index, action in enumerate(ACTIONS)}
    shown = sorted(
        (c for c in diff.changes if show_same or c.action != "same"),
        key=lambda c: (_group_key(c), order[c.action], c.type, c.name),
    )
    refused = {r.change.urn for r in diff.unsafe}
    for index, ((region, component), rows) in enumerate(groupby(shown, key=_group_key)):
        if index:
            table.add_section()
        table.add_row("", f"[bold]{escape(region)} · {escape(component)}[/]", "", "")
        for change in rows:
            flags = (("stateful", change.stateful), ("protected", change.protect))
            guard = " ".join(label for label, on in flags if on)
            if change.urn in refused:
                guard = "[red]REFUSED[/]"
            style = _STYLES[change.action]
            table.add_row(
                f"[{style}]{change.action}[/]",
                f"{escape(short_type(change.type))} [bold]{escape(change.name)}[/]",
                escape("\n".join(_change_lines(change))),
                guard,
            )
    return table


def verdict(diff: PromotionDiff) -> str:
    """The one-line conclusion (plain text)."""
    counts = ", ".join(f"{n} {a}" for a, n in diff.counts().items() if n and a != "same")
    if diff.is_safe:
        return f"verdict: SAFE to promote ({counts or 'no changes'})"
    return f"verdict: UNSAFE, {len(diff.unsafe)} refused; nothing may be moved ({counts})"


def to_json(diff: PromotionDiff) -> dict[str, Any]:
    """A JSON-safe view of ``diff`` (what ``diff --json`` prints); ``values`` holds old/new per path."""
    return {
        "safe": diff.is_safe,
        "counts": diff.counts(),
        "changes": [asdict(c) for c in diff.changes],
        "unsafe": [
            {
                "urn": r.change.urn,
                "type": r.change.type,
                "action": r.change.action,
                "reason": r.reason,
                "remedy": r.remedy,
            }
            for r in diff.unsafe
        ],
    }


def render_cost_delta(delta: CostDelta | str) -> Table | str:
    """The monthly cost change of a promotion (or why it could not be priced): a table of the
    total and of every component whose cost changes, figures as whole dollars."""
    if isinstance(delta, str):
        return f"monthly cost: not estimated ({escape(delta)})"
    table = Table(
        title=f"Monthly cost {delta.source} → {delta.target}",
        caption=f"total {money(delta.source_total)} → {money(delta.target_total)} ({_signed(delta.delta)})",
        width=WIDTH,
        pad_edge=False,
    )
    table.add_column("component", ratio=3)
    table.add_column(delta.source, justify="right")
    table.add_column(delta.target, justify="right")
    table.add_column("change", justify="right")
    for name, (before, after) in sorted(delta.components.items(), key=lambda kv: -abs(kv[1][1] - kv[1][0])):
        table.add_row(escape(name), money(before), money(after), _signed(after - before))
    return table


def _signed(value: float) -> str:
    return ("+" if round(value) > 0 else "-" if round(value) < 0 else "±") + money(abs(value))

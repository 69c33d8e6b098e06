"""The operator's views of a promotion diff, kept in :mod:`infra.offline.diff_view`.

That module imports this package, so it is imported when a view is asked for.
"""

from __future__ import annotations

from typing import Any

from infra.offline.diff.model import PromotionDiff


def render_table(diff: PromotionDiff, *, show_same: bool = False):
    """A rich table of the changes (see :func:`infra.offline.diff_view.render_table`)."""
    from infra.offline.diff_view import render_table as render

    return render(diff, show_same=show_same)


def to_json(diff: PromotionDiff) -> dict[str, Any]:
    """A JSON-safe view of ``diff`` (see :func:`infra.offline.diff_view.to_json`)."""
    from infra.offline.diff_view import to_json as view

    return view(diff)

"""Pure formatting of the plan inventory."""

from __future__ import annotations

import pytest

from infra.offline.inventory import count_range


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [(2.0, 6.0, "2–6"), (2, 6, "2–6"), (3.0, 3.0, "3"), (1.5, 2.0, "1.5–2")],
)
def test_count_ranges_print_as_integers(low, high, text):
    assert count_range(low, high) == text

"""Facts about the shipped price table that a wrong unit would silently break."""

from __future__ import annotations

import pytest

from infra.offline.pricing import load_table

TABLE = load_table()


@pytest.mark.parametrize(("size", "replica_set_hourly"), [("M10", 0.08), ("M30", 0.54), ("M60", 3.95)])
def test_an_atlas_node_is_a_third_of_the_quoted_three_node_replica_set(size, replica_set_hourly):
    # Atlas's pricing page quotes each dedicated tier per hour for a three-node replica set.
    assert 3 * TABLE.price("atlas.node_hour", "us-east-1", size) == pytest.approx(replica_set_hourly, abs=0.001)

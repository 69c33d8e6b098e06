"""The capacity formulas (infra/offline/capacity.py, infra/offline/availability.py), without mocks."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.cluster import node_capacity
from components.postgres import INSTANCE_MEMORY_GIB, max_connections
from infra.offline import availability
from infra.offline import capacity as f


def test_max_connections_is_the_rds_formula_on_class_memory_less_the_os_share():
    # LEAST({DBInstanceClassMemory/9531392}, 5000), DBInstanceClassMemory taken as 90% of the class.
    assert max_connections("db.m7g.large") == int(8 * 2**30 * 0.9 // 9531392) == 811
    assert max_connections("db.r7g.large") == 1622
    assert max_connections("db.r7g.4xlarge") == 5000  # 128 GiB would give 12,977: capped
    for instance_class, gib in INSTANCE_MEMORY_GIB.items():
        assert max_connections(instance_class) <= min(gib * 2**30 // 9531392, 5000)


def test_a_pinned_max_connections_replaces_the_class_default():
    assert f.effective_max_connections(800, 5000) == 800
    assert f.effective_max_connections(None, 1622) == 1622


def test_proxy_pools_its_percentage_of_max_connections_and_multiplexes_clients_over_it():
    assert f.proxy_pool(800, 90) == 720
    assert f.proxy_pool(811, 50) == 405
    assert f.proxy_client_connections(720, 10) == 7200
    assert f.app_client_connections(10, 16) == 160
    with pytest.raises(ValueError, match="1-100"):
        f.proxy_pool(800, 0)


def test_hpa_maximum_times_per_pod_throughput():
    assert f.per_pod_rps(250, 200) == 50
    assert f.per_pod_rps(1500, 100) == 150
    assert f.api_pods(6, 38) == (6, "HPA maxReplicas")
    assert f.api_pods(50, 20) == (20, "node room")
    with pytest.raises(ValueError):
        f.per_pod_rps(0, 200)


def test_node_room_leaves_the_platform_and_the_other_workload_their_requests():
    room = node_capacity("m7g.large", 6)
    # 6 nodes x (2000 - 70 kube-reserved - 450 DaemonSets) m; memory is not the scarce one here.
    assert room.cpu_millicores == 6 * 1480
    fit = f.pods_in_node_room(tuple(room), (1300, 2560), (1000, 2048), (250, 512))
    assert fit == (6 * 1480 - 1300 - 1000) // 250
    assert f.pods_in_node_room((1000, 1000), (2000, 0), (0, 0), (250, 512)) == 0


def test_users_follow_think_time_and_requests_per_action():
    assert f.rps_per_user(30, 5) == pytest.approx(1 / 6)
    assert f.users_for_rps(200, 30, 5) == pytest.approx(1200)
    assert f.rps_for_users(1200, 30, 5) == pytest.approx(200)


def test_reads_split_across_replicas_and_writes_load_the_writer():
    # No readers: the writer serves everything.
    assert f.db_queries(2, [], 1000, 0.8) == (2000, "writer CPU (no readers)")
    # 2 vCPU writer, one 2 vCPU reader, 80% reads: the reader fills first at 2000 / 0.8.
    assert f.db_queries(2, [2], 1000, 0.8) == (pytest.approx(2500), "readers' CPU")
    # 16 vCPU writer, nine 8 vCPU readers: writes fill the writer first at 16000 / 0.2.
    assert f.db_queries(16, [8] * 9, 1000, 0.8) == (pytest.approx(80000), "writer CPU")
    assert f.db_queries(2, [2], 1000, 1.0).value == 2000
    with pytest.raises(ValueError):
        f.db_queries(2, [2], 1000, 1.5)


def test_cache_memory_and_ops_add_up_over_shards():
    assert f.cache_memory_gib(13.07, 25, 4) == pytest.approx(13.07 * 0.75 * 4)
    assert f.cache_ops(50000, 3) == 150000


def test_sqs_standard_is_unlimited_and_fifo_is_batched_300_calls():
    assert math.isinf(f.queue_throughput(fifo=False))
    assert f.queue_throughput(fifo=True) == 3000
    assert f.worker_throughput(10, 10) == 100


def test_atlas_connections_per_node_or_per_mongos():
    # Atlas's own example: an M10 (1,500 per node) keeps 10 per node.
    assert f.atlas_connections(1500, 3) == 3 * 1490
    # Sharded: one mongos per replica-set node of every shard.
    assert f.atlas_connections(32000, 5, shards=2, sharded=True) == 10 * 31990
    assert f.atlas_ops(16, 3, 1, 2000, 0.8) == (pytest.approx(64000 / 0.8), "readers' CPU")
    with pytest.raises(ValueError):
        f.atlas_connections(1500, 0)


@given(st.integers(0, 15), st.integers(0, 15), st.floats(0.05, 0.95))
def test_queries_never_drop_when_readers_are_added(readers, more, share):
    fewer = f.db_queries(4, [4] * readers, 1000, share).value
    assert f.db_queries(4, [4] * (readers + more), 1000, share).value >= fewer - 1e-6


@given(st.integers(1, 60), st.integers(0, 60))
def test_node_room_never_shrinks_with_more_nodes(nodes, more):
    def fit(n: int) -> int:
        return f.pods_in_node_room(tuple(node_capacity("m7g.xlarge", n)), (2800, 6656), (250, 512), (500, 1024))

    assert fit(nodes + more) >= fit(nodes)


@given(st.integers(1, 50), st.integers(0, 50), st.sampled_from(sorted(INSTANCE_MEMORY_GIB)))
def test_cache_and_atlas_capacity_grow_with_shards(shards, more, _):
    assert f.cache_memory_gib(6.38, 25, shards + more) >= f.cache_memory_gib(6.38, 25, shards)
    assert f.cache_ops(50000, shards + more) >= f.cache_ops(50000, shards)
    assert f.atlas_connections(3000, 3, shards + more, True) >= f.atlas_connections(3000, 3, shards, True)


def test_single_region_availability_is_the_serial_product_of_the_slas():
    cell = availability.Cell(zones=3, cache_multi_az=True, readers=1)
    design = availability.design_availability([cell], availability.rds(multi_az=True))
    assert design.percent == pytest.approx(100 * 0.9999 * 0.9999 * 0.9999 * 0.9995)
    assert "RDS Multi-AZ 99.95" in design.text
    single = availability.design_availability([cell], availability.rds(multi_az=False))
    assert single.percent < 99.5


def test_multi_region_availability_is_capped_by_the_single_writer():
    cells = [availability.Cell(3, True, 3)] * 3
    design = availability.design_availability(cells, availability.rds(multi_az=True))
    assert design.percent <= 99.95
    assert round(design.percent, 2) == 99.95
    assert design.text.startswith("Route 53 100 × any of 3")
    atlas = availability.design_availability(cells, availability.sla(availability.ATLAS))
    assert atlas.percent > design.percent


def test_parallel_needs_a_part_and_a_single_part_is_itself():
    part = availability.sla(availability.EC2_REGION)
    assert availability.parallel([part]) == part
    with pytest.raises(ValueError):
        availability.parallel([])

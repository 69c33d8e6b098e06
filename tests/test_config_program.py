"""Property: a config that validates also builds. Every rule a component enforces is caught by the
config model first, so bad input never fails half-way through registering resources."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from infra.config import ConfigError, load_config, raw_namespace
from infra.offline.harness import run_stack, stack_config
from tests.test_config import _flat

_BASE = raw_namespace(stack_config("phase1"))

# (path in the raw config, strategy for its new value): the knobs a platform engineer turns.
_KNOBS = [
    (("database", "allocatedStorageGb"), st.integers(20, 3000)),
    (("database", "maxAllocatedStorageGb"), st.integers(22, 65536)),
    (("database", "backupRetentionDays"), st.integers(0, 40)),
    (("database", "instanceClass"), st.sampled_from(["db.m7g.large", "db.r7g.4xlarge", "db.x2g.large"])),
    (("database", "slowQueryMs"), st.integers(-1, 70000)),
    (("database", "performanceInsightsRetentionDays"), st.sampled_from([7, 31, 62, 93, 731, 30, 365])),
    (("cache", "shards"), st.integers(1, 8)),
    (("cache", "replicasPerShard"), st.integers(0, 6)),
    (("cache", "clusterMode"), st.booleans()),
    (("cache", "snapshotRetentionDays"), st.integers(0, 36)),
    (("cache", "nodeType"), st.sampled_from(["cache.t4g.small", "cache.r7g.large", "cache.m7g.xlarge"])),
    (("monitoring", "logRetentionDays"), st.sampled_from([30, 365, 400, 731, 1000, 3653])),
    (("network", "flowLogRetentionDays"), st.sampled_from([90, 365, 545, 2000])),
    (("apps", "api", "maxReplicas"), st.integers(2, 120)),
    (("apps", "api", "cpuRequestM"), st.integers(10, 4000)),
    (("apps", "worker", "memoryRequestMib"), st.integers(16, 8192)),
    (("apps", "worker", "memoryLimitMib"), st.integers(16, 8192)),
    (("cluster", "nodes", "maxPerAz"), st.integers(1, 12)),
    (("cluster", "nodes", "minPerAz"), st.integers(1, 4)),
    (("cluster", "nodes", "instanceType"), st.sampled_from(["m7g.large", "r7g.2xlarge", "m6i.large"])),
    (("regions", 0, "cidr"), st.sampled_from(["10.0.0.0/16", "172.16.0.0/18", "192.168.0.0/20", "10.1.0.0/21"])),
    (("assets", "transitionToIaDays"), st.integers(1, 400)),
    (("assets", "wafRateLimit"), st.integers(10, 10**6)),
]  # fmt: skip


def _set(raw: dict, path: tuple, value) -> None:
    target = raw
    for part in path[:-1]:
        target = target.setdefault(part, {}) if isinstance(part, str) else target[part]
    target[path[-1]] = value


def _knob(path: tuple) -> int:
    return next(i for i, (p, _) in enumerate(_KNOBS) if p == path)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.integers(0, len(_KNOBS) - 1), min_size=1, max_size=4, unique=True).flatmap(
    lambda indexes: st.tuples(*(st.tuples(st.just(i), _KNOBS[i][1]) for i in indexes))
))  # fmt: skip
# Values that once passed the model but failed inside a component:
@example(edits=((_knob(("database", "instanceClass")), "db.x2g.large"),))
@example(edits=((_knob(("network", "flowLogRetentionDays")), 2000),))
def test_a_config_that_validates_builds_without_errors(edits):
    raw = copy.deepcopy(_BASE)
    for index, value in edits:
        _set(raw, _KNOBS[index][0], value)
    flat = _flat(raw)
    try:
        config = load_config(flat)
    except ConfigError:
        return
    plan = run_stack("phase1", config=flat)
    (cache,) = plan.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    assert cache.inputs["nodeType"] == config.cache.node_type
    (primary,) = [r for r in plan.of_type("aws:rds/instance:Instance") if not r.inputs.get("replicateSourceDb")]
    assert primary.inputs["instanceClass"] == config.database.instance_class

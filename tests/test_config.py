"""The config model: defaults, cross-field rules, and errors that always name the key."""

from __future__ import annotations

import copy
import json

import pulumi
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from infra.config import ConfigError, StackConfig, load_config, raw_namespace, region_code
from infra.harness import stack_config

PHASES = ["phase1", "phase2", "phase3", "phase4"]


def _flat(raw: dict) -> dict[str, str]:
    """Back to the engine's flat map: objects as JSON text, scalars as text."""
    return {f"platform:{k}": json.dumps(v) if isinstance(v, (dict, list)) else str(v) for k, v in raw.items()}


def _raw(stack: str) -> dict:
    return raw_namespace(stack_config(stack))


def _error(raw: dict) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(_flat(raw))
    return caught.value


@pytest.mark.parametrize("stack", PHASES)
def test_every_phase_config_is_valid(stack):
    config = load_config(stack_config(stack))
    assert config.phase == int(stack[-1])
    assert config.name == "acme-prod"


def test_config_error_is_a_pulumi_run_error_so_users_see_a_message_not_a_traceback():
    assert issubclass(ConfigError, pulumi.RunError)


def test_defaults_live_in_the_model():
    config = StackConfig.model_validate(
        {
            "name": "acme",
            "phase": 1,
            "regions": [{"region": "us-east-1", "role": "primary", "cidr": "10.0.0.0/16"}],
            "cluster": {"adminRoleArns": ["arn:aws:iam::123456789012:role/admin"]},
            "apps": {
                "api": {"image": "registry.example.com/acme/api:1.0"},
                "worker": {"image": "registry.example.com/acme/worker:1.0", "livenessCommand": ["/bin/true"]},
            },
        }
    )
    assert config.database.backup_retention_days == 7
    assert config.database.replica_class == "db.m7g.large"
    assert config.cache.cluster_mode is True
    assert config.monitoring.log_retention_days == 365
    assert config.primary.zones == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert [q.name for q in config.queues] == ["jobs"]
    assert config.cluster.kubernetes_version == "1.35" and config.cluster.nodes.instance_type == "m7g.large"
    assert (config.apps.api.min_replicas, config.apps.api.max_replicas, config.apps.api.host) == (2, 4, None)
    assert config.apps.worker.scaling == "cpu" and config.monitoring.prometheus is False


def test_unknown_key_is_named_with_the_allowed_ones():
    raw = _raw("phase1")
    raw["cache"]["nodeTyp"] = "cache.t4g.small"
    error = _error(raw)
    assert error.path == "platform:cache.nodeTyp"
    assert "unknown key" in str(error) and "nodeType" in str(error)


def test_unknown_top_level_key():
    raw = _raw("phase1")
    raw["databse"] = {}
    assert _error(raw).path == "platform:databse"


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (
            lambda r: r["regions"].append(dict(r["regions"][0], role="standby")),
            "platform:regions[1].region",
            "distinct",
        ),
        (lambda r: r["regions"][0].update(role="active"), "platform:regions[0].role", "primary"),
        (lambda r: r["regions"][0].update(cidr="10.10.0.0/24"), "platform:regions[0].cidr", "/16 to /20"),
        (
            lambda r: r["regions"][0].update(availabilityZones=["us-east-1a", "us-west-2b", "us-east-1c"]),
            "platform:regions[0].availabilityZones",
            "three distinct zones",
        ),
        (lambda r: r["database"].update(maxAllocatedStorageGb=52), "platform:database.maxAllocatedStorageGb", "10%"),
        (lambda r: r["cache"].update(clusterMode=False, shards=2), "platform:cache.shards", "clusterMode"),
        (lambda r: r.update(assets={"aliases": ["cdn.example.com"]}), "platform:assets.certificateArn", "required"),
        (lambda r: r["queues"].append({"name": "jobs"}), "platform:queues[1].name", "distinct"),
        (
            lambda r: r["monitoring"].update(logRetentionDays=90),
            "platform:monitoring.logRetentionDays",
            "at least a year",
        ),
        (lambda r: r["regions"][0].update(readReplicas=16), "platform:regions[0].readReplicas", "15"),
        (lambda r: r.update(phase=2), "platform:regions[0].readReplicas", "phase 2"),
    ],
)
def test_rule_violations_name_the_key(mutate, path, fragment):
    raw = _raw("phase1")
    mutate(raw)
    error = _error(raw)
    assert error.path == path
    assert fragment in str(error)


def test_phase_4_needs_three_distinct_serving_regions():
    raw = _raw("phase4")
    raw["regions"] = raw["regions"][:2]
    error = _error(raw)
    assert error.path == "platform:regions"
    assert "exactly 3 region" in str(error)


def test_phase_3_needs_a_standby_region_and_overlapping_cidrs_are_refused():
    raw = _raw("phase3")
    raw["regions"][1]["cidr"] = "10.10.0.0/17"
    assert _error(raw).path == "platform:regions[1].cidr"
    raw["regions"] = raw["regions"][:1]
    assert "standby" in str(_error(raw))


def test_total_replicas_within_the_rds_limit():
    raw = _raw("phase4")
    for cell in raw["regions"]:
        cell["readReplicas"] = 6
    error = _error(raw)
    assert error.path == "platform:regions" and "15" in str(error)


@pytest.mark.parametrize(
    ("region", "code"),
    [("us-east-1", "use1"), ("ap-south-1", "aps1"), ("ap-southeast-1", "apse1"), ("us-gov-west-1", "usgw1")],
)
def test_region_codes_are_short_and_distinct(region, code):
    assert region_code(region) == code


# --- property-based: every invalid input ends in ConfigError naming a platform: key ----------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _leaf_paths(value, prefix=()):
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaf_paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _leaf_paths(child, (*prefix, index))
    yield prefix


_BASE = {stack: _raw(stack) for stack in PHASES}


@settings(max_examples=300, deadline=None)
@given(stack=st.sampled_from(PHASES), data=st.data(), value=_json_values)
def test_any_value_anywhere_is_accepted_or_refused_with_a_config_error(stack, data, value):
    raw = copy.deepcopy(_BASE[stack])
    paths = [p for p in _leaf_paths(raw) if p]
    path = data.draw(st.sampled_from(paths))
    target = raw
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    try:
        load_config(_flat(raw))
    except ConfigError as error:
        assert error.path.startswith("platform:")
        assert str(error).startswith(f"invalid config {error.path} = ")


@settings(max_examples=200, deadline=None)
@given(
    key=st.sampled_from(["name", "phase", "regions", "network", "database", "cache", "queues"]),
    text=st.text(max_size=40),
)
def test_any_raw_text_for_a_key_is_refused_cleanly(key, text):
    flat = stack_config("phase2")
    flat[f"platform:{key}"] = text
    try:
        json.loads(text)
    except ValueError:
        well_formed = False
    else:
        well_formed = True
    try:
        load_config(flat)
    except ConfigError as error:
        assert error.path.startswith("platform:")
        if not well_formed:
            # Text that is not even a JSON value is blamed on its own key, not on a later cross-check.
            assert error.path == f"platform:{key}" or error.path.startswith((f"platform:{key}.", f"platform:{key}["))


@settings(max_examples=100, deadline=None)
@given(
    section=st.sampled_from(["network", "database", "cache", "assets", "monitoring"]),
    key=st.from_regex(r"\A[a-z][A-Za-z]{2,15}\Z"),
)
def test_unknown_keys_in_any_section_are_named(section, key):
    raw = copy.deepcopy(_BASE["phase4"])
    known = set(StackConfig.model_fields[section].annotation.model_fields)
    known |= {f.alias for f in StackConfig.model_fields[section].annotation.model_fields.values()}
    assume(key not in known)
    raw.setdefault(section, {})[key] = 1
    error = _error(raw)
    assert error.path == f"platform:{section}.{key}"

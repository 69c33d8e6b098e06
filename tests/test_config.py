"""The config model: defaults, cross-field rules, and errors that always name the key."""

from __future__ import annotations

import copy
import json

import pulumi
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from components.base import region_code
from infra.config import ConfigError, StackConfig, load_config, raw_namespace
from infra.offline.harness import stack_config

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
            "regions": [
                {
                    "region": "us-east-1",
                    "role": "primary",
                    "cidr": "10.0.0.0/16",
                    "availabilityZoneIds": ["use1-az1", "use1-az2", "use1-az4"],
                }
            ],
            "cluster": {"adminRoleArns": ["arn:aws:iam::123456789012:role/admin"]},
            "apps": {
                "api": {"image": "registry.example.com/acme/api:1.0"},
                "worker": {"image": "registry.example.com/acme/worker:1.0", "livenessCommand": ["/bin/true"]},
                "dbBootstrap": {
                    "psqlImage": "registry.example.com/mirror/postgres:17.6",
                    "awsCliImage": "registry.example.com/mirror/aws-cli:2.27.0",
                },
            },
        }
    )
    assert config.database.backup_retention_days == 7
    assert config.database.replica_class == "db.m7g.large"
    assert config.cache.cluster_mode is True
    assert config.monitoring.log_retention_days == 365
    assert config.primary.zones == ["use1-az1", "use1-az2", "use1-az4"]
    assert config.primary.zones_key == "availabilityZoneIds" and config.primary.availability_zones is None
    assert [q.name for q in config.queues] == ["jobs"]
    assert config.cluster.kubernetes_version == "1.35" and config.cluster.nodes.instance_type == "m7g.large"
    assert (config.apps.api.min_replicas, config.apps.api.max_replicas, config.apps.api.host) == (2, 4, None)
    assert config.apps.worker.scaling == "cpu" and config.monitoring.prometheus is False
    db = config.database
    assert (db.master_username, db.app_username, db.reader_username, db.app_schema) == (
        "app_admin",
        "app",
        "app_reader",
        "app",
    )
    assert (db.max_connections, db.password_rotation_days, db.engine_version) == (800, 30, "16")


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
            lambda r: r["regions"][0].update(availabilityZoneIds=["use1-az1", "usw2-az2", "use1-az4"]),
            "platform:regions[0].availabilityZoneIds",
            "three distinct zone IDs of us-east-1",
        ),
        (
            lambda r: r["regions"][0].update(availabilityZoneIds=["use1-az1", "use1-az1", "use1-az4"]),
            "platform:regions[0].availabilityZoneIds",
            "three distinct zone IDs",
        ),
        (
            # A zone name where an ID belongs.
            lambda r: r["regions"][0].update(availabilityZoneIds=["us-east-1a", "us-east-1b", "us-east-1c"]),
            "platform:regions[0].availabilityZoneIds",
            "e.g. use1-az1",
        ),
        (
            lambda r: r["regions"][0].update(availabilityZoneIds=["use1-az1", "use1-az3", "use1-az4"]),
            "platform:regions[0].availabilityZoneIds",
            "EKS does not place cluster subnets in use1-az3",
        ),
        (
            lambda r: r["regions"][0].pop("availabilityZoneIds"),
            "platform:regions[0].availabilityZoneIds",
            "availabilityZones to us-east-1a, us-east-1b, us-east-1c",
        ),
        (
            lambda r: r["regions"][0].update(availabilityZones=["us-east-1a", "us-east-1b", "us-east-1c"]),
            "platform:regions[0].availabilityZones",
            "not both",
        ),
        (
            lambda r: (
                r["regions"][0].pop("availabilityZoneIds")
                and r["regions"][0].update(availabilityZones=["us-east-1a", "us-west-2b", "us-east-1c"])
            ),
            "platform:regions[0].availabilityZones",
            "three distinct zone names",
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


def test_replicas_per_source_within_the_rds_limit():
    # 14 local replicas + one cascade head per remote region = 16 direct replicas of the primary.
    raw = _raw("phase4")
    raw["regions"][0]["readReplicas"] = 14
    error = _error(raw)
    assert error.path == "platform:regions[0].readReplicas" and "16 replicas" in str(error) and "15" in str(error)
    # Cascaded replicas do not count against the primary: 13 + 2 heads is fine, whatever the remote counts.
    raw["regions"][0]["readReplicas"] = 13
    for cell in raw["regions"][1:]:
        cell["readReplicas"] = 15
    assert load_config(_flat(raw)).primary.read_replicas == 13


def test_cross_region_replicas_per_source_stay_within_five():
    from infra.rules import replica_fan_out

    config = load_config(stack_config("phase4"))
    # The primary feeds its 4 local replicas and one cascade head per remote region (2 cross-region).
    assert replica_fan_out(config) == {"primary": 6, "us-west-2": 3, "eu-west-1": 3}
    raw = _raw("phase4")
    raw["regions"] += [
        {
            "region": r,
            "role": "active",
            "cidr": f"10.{40 + i}.0.0/16",
            "readReplicas": 1,
            "availabilityZoneIds": [f"{code}-az1", f"{code}-az2", f"{code}-az3"],
        }
        for i, (r, code) in enumerate(
            [("eu-central-1", "euc1"), ("ap-southeast-1", "apse1"), ("ap-northeast-1", "apne1")]
        )
    ]
    # Six regions would make five remote cascade heads plus room for more: the model caps regions
    # at five (one primary, four heads), inside RDS's five guaranteed cross-region replicas.
    error = _error(raw)
    assert error.path == "platform:regions" and "5" in str(error)


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (lambda r: r["database"].update(engineVersion="13"), "platform:database.engineVersion", "14, 15, 16, 17, 18"),
        (lambda r: r["database"].update(engineVersion="19"), "platform:database.engineVersion", "standard support"),
        (lambda r: r["cache"].update(engineVersion="7.0"), "platform:cache.engineVersion", "7.2, 8.0, 8.1, 8.2"),
        (
            lambda r: r["cache"].update(engine="redis", engineVersion="6.2"),
            "platform:cache.engineVersion",
            "7.0, 7.1",
        ),
        (
            lambda r: r["database"].update(instanceClass="db.t4g.medium"),
            "platform:database.maxConnections",
            "db.t4g.medium",
        ),
        (lambda r: r["database"].update(maxConnections=1700), "platform:database.maxConnections", "at most 1622"),
        (
            lambda r: r["apps"]["dbBootstrap"].update(psqlImage="postgres:latest"),
            "platform:apps.dbBootstrap.psqlImage",
            "",
        ),
        (lambda r: r["database"].update(passwordRotationDays=0), "platform:database.passwordRotationDays", ""),
    ],
)
def test_versions_and_the_connection_limit_aws_would_refuse_name_the_key(mutate, path, fragment):
    raw = _raw("phase1")
    mutate(raw)
    error = _error(raw)
    assert error.path == path
    assert fragment in str(error)


def test_phase_3_sizes_storage_for_gp3s_12000_iops():
    raw = _raw("phase3")
    raw["database"]["allocatedStorageGb"] = 399
    error = _error(raw)
    assert error.path == "platform:database.allocatedStorageGb" and "12,000 IOPS" in str(error)


def test_the_connection_limit_is_the_same_in_every_phase_and_fits_every_class():
    """Promotion never changes max_connections (no reboot order to get wrong), and a fresh replica
    on RDS's default group always has at least the primary's pinned limit."""
    from components.postgres import max_connections

    configs = [load_config(stack_config(stack)) for stack in PHASES]
    assert {c.database.max_connections for c in configs} == {1500}
    for config in configs:
        for instance_class in (config.database.instance_class, config.database.replica_class):
            assert max_connections(instance_class) >= config.database.max_connections


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
        assert str(error).startswith((f"invalid config {error.path} = ", f"missing config {error.path}: "))


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


@pytest.mark.parametrize(
    ("stack", "mutate", "path", "fragment"),
    [
        ("phase2", lambda a: a.pop("aliases"), "platform:assets.aliases", "own domain"),
        ("phase2", lambda a: a.pop("signingPublicKeyPem"), "platform:assets.signingPublicKeyPem", "signs"),
        ("phase2", lambda a: a.update(signingPublicKeyPem="not a key"), "platform:assets.signingPublicKeyPem", "PEM"),
        (
            "phase2",
            lambda a: a.update(minimumProtocolVersion="TLSv1.2_2019"),
            "platform:assets.minimumProtocolVersion",
            "TLSv1.2_2021",
        ),
        ("phase2", lambda a: a.update(uploadsPathPattern="uploads"), "platform:assets.uploadsPathPattern", "pattern"),
    ],
)
def test_edge_settings_are_validated_and_required_by_phase(stack, mutate, path, fragment):
    raw = _raw(stack)
    mutate(raw["assets"])
    error = _error(raw)
    assert error.path == path
    assert fragment in str(error)


def test_phase_3_needs_the_api_host_for_edge_caching_and_phase_1_needs_no_signing_key():
    raw = _raw("phase3")
    raw["apps"]["api"].pop("host")
    error = _error(raw)
    assert error.path == "platform:apps.api.host" and "caches public API GETs" in str(error)
    raw = _raw("phase1")
    raw["assets"].pop("aliases")
    raw["assets"].pop("certificateArn")
    assert load_config(_flat(raw)).assets.signing_public_key_pem is None

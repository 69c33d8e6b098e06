"""Hostile input, as a new user types it: one line naming the key, never a traceback, hang or silent typo."""

from __future__ import annotations

import copy
import datetime
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.cli import EXIT_CONFIG_ERROR, EXIT_CRASH, EXIT_REFUSED
from infra.cli import main as cli_main
from infra.config import ConfigError, kubernetes_version_in_support, load_config, raw_namespace
from infra.offline.harness import ROOT, run_stack, stack_config

_BASE = raw_namespace(stack_config("phase1"))


def _flat(raw: dict) -> dict[str, str]:
    return {f"platform:{k}": json.dumps(v) if isinstance(v, (dict, list)) else str(v) for k, v in raw.items()}


def _leaves(value, prefix=()):
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaves(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _leaves(child, (*prefix, index))
    else:
        yield prefix


_PATHS = [p for p in _leaves(_BASE) if p]
#: What users actually mistype: near-miss names, world-open and host-bit CIDRs, sizes AWS lacks.
_HOSTILE = st.sampled_from(
    [
        "us-esat-1",
        "0.0.0.0/0",
        "203.0.113.10/24",
        "not-a-cidr",
        "cache.r7g.huge",
        "db.r7g.huge",
        "m7g.huge",
        "1.36",
        "1.33",
        "13",
        "7.0",
        "",
        "latest",
        -1,
        0,
        10**9,
        None,
        [],
        {},
        "[red]x[/red]",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(_PATHS), value=_HOSTILE)
def test_a_hostile_value_anywhere_is_refused_by_the_config_or_builds(path, value):
    """If the model accepts a value, the whole program builds with it: no component may be the
    first to refuse (that would mean a late, keyless error after resources were registered)."""
    raw = copy.deepcopy(_BASE)
    target = raw
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    flat = _flat(raw)
    try:
        load_config(flat)
    except ConfigError as error:
        assert error.path.startswith("platform:") and "\n" not in str(error)
        return
    run_stack("phase1", config=flat)


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("platform:regions", [{"region": "us-esat-1", "role": "primary", "cidr": "10.0.0.0/16"}], "us-east-1"),
        ("platform:cache", {"nodeType": "cache.r7g.huge"}, "cache.r7g.large"),
        ("platform:tags", {"aws:owner": "me"}, "reserved"),
    ],
)
def test_typical_typos_name_the_key_and_what_is_allowed(key, value, fragment):
    flat = {**stack_config("phase1"), key: json.dumps(value)}
    with pytest.raises(ConfigError) as caught:
        load_config(flat)
    assert caught.value.path.startswith(key) and fragment in str(caught.value)


def test_a_foreign_namespace_is_an_error_not_ignored():
    flat = {**stack_config("phase1"), "platfrom:cache": '{"nodeType": "cache.t4g.small"}'}
    with pytest.raises(ConfigError) as caught:
        load_config(flat)
    assert caught.value.path == "platfrom:cache" and "did you mean platform:?" in str(caught.value)
    assert load_config({**stack_config("phase1"), "aws:region": "us-east-1"}).name == "acme-prod"


def test_kubernetes_versions_follow_the_dated_eks_table():
    assert kubernetes_version_in_support("1.35", datetime.date(2026, 12, 1)) == "1.35"
    with pytest.raises(ValueError, match="ends 2026-12-02; use one of 1.35"):
        kubernetes_version_in_support("1.34", datetime.date(2026, 12, 1))
    with pytest.raises(ValueError, match="not in our EKS release table"):
        kubernetes_version_in_support("1.36", datetime.date(2026, 12, 1))
    with pytest.raises(ValueError, match="none"):
        kubernetes_version_in_support("1.35", datetime.date(2027, 3, 1))


def test_a_missing_required_key_is_named_not_its_parent():
    raw = copy.deepcopy(_BASE)
    del raw["apps"]["dbBootstrap"]["psqlImage"]
    with pytest.raises(ConfigError) as caught:
        load_config(_flat(raw))
    assert str(caught.value).startswith("missing config platform:apps.dbBootstrap.psqlImage: required")
    assert "awsCliImage" not in str(caught.value)


def test_a_yaml_syntax_error_names_file_line_and_column(tmp_path, capsys):
    (tmp_path / "Pulumi.broken.yaml").write_text("config:\n  platform:name: acme\n  platform:phase: [1\n")
    assert cli_main(["--project-dir", str(tmp_path), "plan", "broken"]) == EXIT_CONFIG_ERROR
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Pulumi.broken.yaml:4:1: not valid YAML") and "\n" not in err
    assert "Traceback" not in err


def test_brackets_in_errors_survive_the_terminal(tmp_path, capsys):
    document = (ROOT / "Pulumi.phase1.yaml").read_text().replace("name: jobs", "name: '[jobs]'")
    (tmp_path / "Pulumi.phase1.yaml").write_text(document)
    assert cli_main(["--project-dir", str(tmp_path), "plan", "phase1"]) == EXIT_CONFIG_ERROR
    assert '"[jobs]"' in capsys.readouterr().err


def test_exit_codes_mean_one_thing_each(tmp_path, capsys, monkeypatch):
    other = (ROOT / "Pulumi.phase2.yaml").read_text().replace("acme-prod", "other-env")
    (tmp_path / "Pulumi.phase2.yaml").write_text(other)
    (tmp_path / "Pulumi.phase1.yaml").write_text((ROOT / "Pulumi.phase1.yaml").read_text())
    assert cli_main(["--project-dir", str(tmp_path), "diff", "phase1", "phase2"]) == EXIT_REFUSED
    import infra.cli

    def crash(*args, **kwargs):
        raise KeyError("bug")

    monkeypatch.setattr(infra.cli, "run_stack", crash)
    assert cli_main(["plan", "phase1"]) == EXIT_CRASH
    assert "Traceback" in capsys.readouterr().err

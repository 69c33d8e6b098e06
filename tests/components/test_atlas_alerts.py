"""Atlas alerts: the seeds' thresholds on Atlas's metric names, e-mailed."""

import pytest

from components.atlas_alerts import AtlasAlerts, AtlasAlertsArgs, alert_specs
from infra.offline.harness import run_program

EMAILS = ["oncall@acme.example", "db@acme.example"]


def _args(**overrides) -> AtlasAlertsArgs:
    return AtlasAlertsArgs(**{"project_id": "0123456789abcdef01234567", "emails": EMAILS, **overrides})


@pytest.fixture(scope="module")
def plan():
    return run_program(lambda: AtlasAlerts("db-alerts", _args(cpu_percent=75)))


def _metric(plan, kind):
    return plan.named(f"db-alerts-{kind}").inputs


def test_metric_alerts_use_atlas_metric_names_units_and_thresholds(plan):
    expected = {
        "cpu": ("NORMALIZED_SYSTEM_CPU_USER", 75, "RAW"),
        "connections": ("CONNECTIONS_PERCENT", 80, "RAW"),
        "replication-lag": ("OPLOG_SLAVE_LAG_MASTER_TIME", 60, "SECONDS"),
        "disk": ("DISK_PARTITION_SPACE_USED_DATA", 80, "RAW"),
        "query-targeting": ("QUERY_TARGETING_SCANNED_OBJECTS_PER_RETURNED", 1000, "RAW"),
    }
    for kind, (metric, threshold, units) in expected.items():
        inputs = _metric(plan, kind)
        assert inputs["eventType"] == "OUTSIDE_METRIC_THRESHOLD" and inputs["enabled"] is True
        assert inputs["metricThresholdConfig"] == {
            "metricName": metric,
            "operator": "GREATER_THAN",
            "threshold": threshold,
            "units": units,
            "mode": "AVERAGE",
        }


def test_replication_lag_is_matched_to_secondaries_and_the_oplog_window_alerts_below_a_day(plan):
    assert _metric(plan, "replication-lag")["matchers"] == [
        {"fieldName": "TYPE_NAME", "operator": "EQUALS", "value": "SECONDARY"}
    ]
    oplog = _metric(plan, "oplog-window")
    assert oplog["eventType"] == "REPLICATION_OPLOG_WINDOW_RUNNING_OUT"
    assert oplog["thresholdConfig"] == {"operator": "LESS_THAN", "threshold": 24, "units": "HOURS"}


def test_every_alert_emails_every_address(plan):
    alerts = plan.of_type("mongodbatlas:index/alertConfiguration:AlertConfiguration")
    assert len(alerts) == len(alert_specs(_args())) == 6
    for alert in alerts:
        notes = alert.inputs["notifications"]
        assert [n["emailAddress"] for n in notes] == EMAILS
        assert all(n["typeName"] == "EMAIL" and n["intervalMin"] >= 5 for n in notes)


@pytest.mark.parametrize(
    "overrides",
    [{"emails": []}, {"emails": ["oncall"]}, {"cpu_percent": 0}, {"disk_percent": 101}, {"query_targeting_ratio": 1}],
)
def test_refuses_thresholds_atlas_cannot_alert_on(overrides):
    with pytest.raises(ValueError):
        _args(**overrides)

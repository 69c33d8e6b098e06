"""The pricing math of ``cost``, on hand-built plans (no program run): each rule once, the errors,
and sums that hypothesis checks over many shapes."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.offline.cost import (
    GLOBAL,
    PRICERS,
    cache_nodes,
    check_coverage,
    cost_delta,
    health_check_features,
    helm_volumes,
    price_plan,
    quantity_gib,
    rds_storage_baseline,
)
from infra.offline.harness import PlanResult, RecordedResource
from infra.offline.pricing import DEFAULT_TABLE, PriceError, load_table, parse_table
from infra.offline.usage import UsageError, parse_usage

TABLE = load_table()
HOURS = 730.0
STACK_URN = "urn:pulumi:test::platform::pulumi:pulumi:Stack::platform-test"


def _r(
    type_token: str, name: str, inputs: dict, region: str = "us-east-1", parent: str = "", **extra
) -> RecordedResource:
    return RecordedResource(
        urn=f"urn:pulumi:test::platform::{type_token}::{name}",
        type=type_token,
        name=name,
        parent=parent or STACK_URN,
        custom=True,
        provider="",
        inputs=inputs,
        protect=False,
        delete_before_replace=False,
        retain_on_delete=False,
        ignore_changes=[],
        replace_on_changes=[],
        aliases=[],
        dependencies=[],
        region=region,
        **extra,
    )


def _component(type_token: str, name: str, parent: str = STACK_URN) -> RecordedResource:
    return dataclasses.replace(_r(type_token, name, {}, "", parent), custom=False)


def _plan(*resources: RecordedResource) -> PlanResult:
    stack = dataclasses.replace(
        _r("pulumi:pulumi:Stack", "platform-test", {}, ""), urn=STACK_URN, parent="", custom=False
    )
    return PlanResult("test", [stack, *resources])


def _usage(defaults: dict | None = None, resources: dict | None = None):
    return parse_usage({"defaults": defaults or {}, "resources": resources or {}}, Path("usage/test.yaml"))


def _price(*resources: RecordedResource, defaults: dict | None = None, resources_usage: dict | None = None):
    return price_plan(_plan(*resources), TABLE, _usage(defaults, resources_usage))


def _rate(item: str, region: str = "us-east-1", size: str | None = None) -> float:
    return TABLE.price(item, region, size)


RDS = "aws:rds/instance:Instance"
RDS_USAGE = {RDS: {"storage_gb": 0, "backup_gb": 0}}


def _db(name: str = "db", **inputs) -> RecordedResource:
    values = {"instanceClass": "db.m7g.large", "engine": "postgres", "allocatedStorage": 100, "storageType": "gp3"}
    return _r(RDS, name, {**values, **inputs})


def test_always_on_resources_run_730_hours():
    report = _price(_r("aws:eks/cluster:Cluster", "eks", {}))
    assert report.total == pytest.approx(_rate("eks.cluster_hour") * HOURS)
    assert TABLE.hours_per_month == HOURS


def test_multi_az_doubles_the_instance_and_its_storage():
    single = _price(_db(), defaults=RDS_USAGE).total
    multi = _price(_db(multiAz=True), defaults=RDS_USAGE).total
    assert multi == pytest.approx(2 * single)
    assert single == pytest.approx(
        _rate("rds.postgres_instance_hour", size="db.m7g.large") * HOURS + 100 * _rate("rds.gp3.gb_month")
    )


def test_gp3_iops_and_throughput_are_billed_only_above_the_baseline():
    assert rds_storage_baseline(100) == (3000, 125) and rds_storage_baseline(400) == (12000, 500)
    base = _price(_db(), defaults=RDS_USAGE).total
    within = _price(_db(iops=3000, storageThroughput=125), defaults=RDS_USAGE).total
    above = _price(_db(iops=5000, storageThroughput=200), defaults=RDS_USAGE).total
    assert within == pytest.approx(base)
    assert above - base == pytest.approx(2000 * _rate("rds.gp3.iops_month") + 75 * _rate("rds.gp3.throughput_month"))
    # From 400 GB the baseline is 12,000 IOPS: the same 5,000 costs nothing extra.
    big = {RDS: {"storage_gb": 0, "backup_gb": 0}}
    assert _price(_db(allocatedStorage=400, iops=5000), defaults=big).total == pytest.approx(
        _price(_db(allocatedStorage=400), defaults=big).total
    )


def test_backups_are_billed_beyond_100_percent_of_storage_and_only_with_retention():
    no_backups = _price(_db(), defaults={RDS: {"storage_gb": 0, "backup_gb": 400}}).total
    kept = _price(_db(backupRetentionPeriod=7), defaults={RDS: {"storage_gb": 0, "backup_gb": 400}}).total
    assert kept - no_backups == pytest.approx(300 * _rate("rds.backup_gb_month"))
    inside = _price(_db(backupRetentionPeriod=7), defaults={RDS: {"storage_gb": 0, "backup_gb": 80}}).total
    assert inside == pytest.approx(no_backups)


def test_storage_growth_from_usage_replaces_the_allocated_size_when_larger():
    grown = _price(_db(), defaults={RDS: {"storage_gb": 250, "backup_gb": 0}}).total
    assert grown - _price(_db(), defaults=RDS_USAGE).total == pytest.approx(150 * _rate("rds.gp3.gb_month"))


def test_performance_insights_is_free_for_7_days_then_per_vcpu():
    free = _price(_db(performanceInsightsEnabled=True, performanceInsightsRetentionPeriod=7), defaults=RDS_USAGE)
    paid = _price(
        _db(instanceClass="db.r7g.2xlarge", performanceInsightsEnabled=True, performanceInsightsRetentionPeriod=31),
        defaults=RDS_USAGE,
    )
    assert not any("Performance Insights" in i.label for i in free.resources[0].items)
    (item,) = [i for i in paid.resources[0].items if "Performance Insights" in i.label]
    assert item.monthly == pytest.approx(8 * _rate("rds.performance_insights_vcpu_month"))


def test_a_replica_takes_its_sources_storage_and_pays_cross_region_replication():
    primary = _db("primary", allocatedStorage=300)
    local = _r(
        RDS,
        "local",
        {"instanceClass": "db.m7g.large", "replicateSourceDb": "arn"},
        "us-east-1",
        property_dependencies={"replicateSourceDb": [primary.urn]},
    )
    remote = _r(
        RDS,
        "remote",
        {"instanceClass": "db.m7g.large", "replicateSourceDb": "arn"},
        "us-west-2",
        property_dependencies={"replicateSourceDb": [primary.urn]},
    )
    report = _price(
        primary, local, remote, defaults=RDS_USAGE, resources_usage={"remote": {"monthly_replication_gb": 100}}
    )
    costs = {r.name: r for r in report.resources}
    assert costs["local"].monthly == pytest.approx(costs["primary"].monthly)
    (replication,) = [i for i in costs["remote"].items if i.label.startswith("replication")]
    assert replication.monthly == pytest.approx(100 * _rate("transfer.inter_region_gb"))
    assert replication.region == "us-east-1"  # billed where the bytes leave


def test_rds_proxy_bills_the_target_vcpus_with_a_minimum_of_two():
    db = _db(instanceClass="db.r7g.4xlarge", identifier="acme")
    proxy = _r("aws:rds/proxy:Proxy", "proxy", {"name": "acme-proxy"})
    target = _r(
        "aws:rds/proxyTarget:ProxyTarget",
        "target",
        {"dbProxyName": "acme-proxy"},
        property_dependencies={"dbProxyName": [proxy.urn], "dbInstanceIdentifier": [db.urn]},
    )
    report = _price(db, proxy, target, defaults=RDS_USAGE)
    (cost,) = [r for r in report.resources if r.name == "proxy"]
    assert cost.monthly == pytest.approx(16 * _rate("rds.proxy_vcpu_hour") * HOURS)
    small = _db(instanceClass="db.t4g.micro")
    target = dataclasses.replace(
        target, property_dependencies={"dbProxyName": [proxy.urn], "dbInstanceIdentifier": [small.urn]}
    )
    (cost,) = [r for r in _price(small, proxy, target, defaults=RDS_USAGE).resources if r.name == "proxy"]
    assert cost.monthly == pytest.approx(2 * _rate("rds.proxy_vcpu_hour") * HOURS)


def test_elasticache_bills_shards_times_replicas_plus_one():
    assert cache_nodes({"numNodeGroups": 4, "replicasPerNodeGroup": 2}) == 12
    assert cache_nodes({"numCacheClusters": 2}) == 2
    group = _r(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "cache",
        {"engine": "valkey", "nodeType": "cache.r7g.large", "numNodeGroups": 3, "replicasPerNodeGroup": 1},
    )
    assert _price(group).total == pytest.approx(
        6 * _rate("elasticache.valkey_node_hour", size="cache.r7g.large") * HOURS
    )
    assert _rate("elasticache.valkey_node_hour", size="cache.r7g.large") < _rate(
        "elasticache.redis_node_hour", size="cache.r7g.large"
    )


def test_regions_price_differently_and_an_unknown_region_names_itself():
    nat = "aws:ec2/natGateway:NatGateway"
    usage = {nat: {"monthly_gb": 1000}}
    east = _price(_r(nat, "nat", {}, "us-east-1"), defaults=usage).total
    ireland = _price(_r(nat, "nat", {}, "eu-west-1"), defaults=usage).total
    assert ireland > east == pytest.approx(_rate("vpc.nat_hour") * HOURS + 1000 * _rate("vpc.nat_gb"))
    with pytest.raises(PriceError, match="region 'ap-south-1'"):
        _price(_r(nat, "nat", {}, "ap-south-1"), defaults=usage)


def test_unknown_sizes_types_and_usage_keys_are_errors_naming_them():
    with pytest.raises(PriceError, match="db.m5.huge"):
        _price(_db(instanceClass="db.m5.huge"), defaults=RDS_USAGE)
    with pytest.raises(PriceError, match=r"aws:ec2/madeUp:Thing \(thing\)"):
        _price(_r("aws:ec2/madeUp:Thing", "thing", {}))
    with pytest.raises(UsageError, match=r"'storage_gb' missing for db .*test.yaml"):
        _price(_db(), defaults={RDS: {"backup_gb": 0}})
    with pytest.raises(UsageError, match="matches no resource"):
        _price(_db(), defaults=RDS_USAGE, resources_usage={"nothing-*": {"storage_gb": 1}})
    with pytest.raises(UsageError, match="monthly_gb not used"):
        _price(
            _db(),
            defaults={**RDS_USAGE, "aws:ec2/natGateway:NatGateway": {"monthly_gb": 1}},
            resources_usage={"db": {"monthly_gb": 1}},
        )


def test_node_groups_at_desired_size_with_the_ceiling_and_spot():
    template = _r(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "lt",
        {"instanceType": "m7g.large", "blockDeviceMappings": [{"ebs": {"volumeSize": 50, "volumeType": "gp3"}}]},
    )

    def group(capacity: str):
        return _r(
            "aws:eks/nodeGroup:NodeGroup",
            "nodes",
            {"capacityType": capacity, "scalingConfig": {"desiredSize": 2, "minSize": 2, "maxSize": 5}},
            property_dependencies={"launchTemplate": [template.urn]},
        )

    report = _price(template, group("ON_DEMAND"))
    node = _rate("ec2.instance_hour", size="m7g.large") * HOURS + 50 * _rate("ebs.gp3.gb_month")
    assert report.total == pytest.approx(2 * node) and report.ceiling == pytest.approx(5 * node)
    spot = _price(template, group("SPOT")).total
    assert spot == pytest.approx(
        2
        * (
            _rate("ec2.instance_hour", size="m7g.large") * _rate("ec2.spot_fraction") * HOURS
            + 50 * _rate("ebs.gp3.gb_month")
        )
    )


def test_one_alb_per_ingress_group_with_lcus_transfer_and_public_addresses():
    def ingress(name: str, group: str | None):
        annotations = {"alb.ingress.kubernetes.io/scheme": "internet-facing"}
        if group:
            annotations["alb.ingress.kubernetes.io/group.name"] = group
        return _r(
            "kubernetes:networking.k8s.io/v1:Ingress",
            name,
            {
                "metadata": {"name": name, "namespace": "api", "annotations": annotations},
                "spec": {"ingressClassName": "alb"},
            },
        )

    subnets = [_r("aws:ec2/subnet:Subnet", f"public-{i}", {"tags": {"kubernetes.io/role/elb": "1"}}) for i in range(3)]
    usage = {"kubernetes:networking.k8s.io/v1:Ingress": {"average_lcus": 2, "monthly_gb_out": 100}}
    one = (
        _rate("elb.alb_hour") * HOURS
        + 2 * _rate("elb.alb_lcu_hour") * HOURS
        + 100 * _rate("transfer.internet_gb_out")
        + 3 * _rate("vpc.public_ipv4_hour") * HOURS
    )
    grouped = _price(*subnets, ingress("a", "shared"), ingress("b", "shared"), defaults=usage)
    assert grouped.total == pytest.approx(one)
    apart = _price(*subnets, ingress("a", None), ingress("b", None), defaults=usage)
    assert apart.total == pytest.approx(2 * one)


def test_kubernetes_objects_take_the_region_of_their_component():
    cell = _component("platform:stack:Cell", "use1")
    network = _r("aws:ec2/vpc:Vpc", "vpc", {}, "eu-west-1", parent=cell.urn)
    release = _r(
        "kubernetes:helm.sh/v3:Release",
        "prom",
        {
            "values": {
                "prometheusSpec": {
                    "replicas": 2,
                    "storageSpec": {"volumeClaimTemplate": {"spec": {"resources": {"requests": {"storage": "50Gi"}}}}},
                }
            }
        },
        "",
        parent=cell.urn,
    )
    report = _price(cell, network, release, defaults={"aws:ec2/vpc:Vpc": {"monthly_inter_az_gb": 0}})
    (cost,) = [r for r in report.resources if r.name == "prom"]
    assert cost.region == "eu-west-1" and cost.component == "use1"
    assert cost.monthly == pytest.approx(100 * _rate("ebs.gp3.gb_month", "eu-west-1"))


def test_helm_volumes_and_quantities():
    assert quantity_gib("50Gi") == 50 and quantity_gib("1Ti") == 1024
    assert helm_volumes({"grafana": {"persistence": {"enabled": False, "size": "10Gi"}}}) == []
    assert helm_volumes(
        {
            "a": {
                "replicas": 3,
                "storage": {"volumeClaimTemplate": {"spec": {"resources": {"requests": {"storage": "5Gi"}}}}},
            }
        }
    ) == [15]
    with pytest.raises(PriceError, match="lots"):
        quantity_gib("lots")


def test_route53_health_check_features_and_alias_queries():
    assert health_check_features({"type": "HTTPS_STR_MATCH", "requestInterval": 10, "measureLatency": True}) == [
        "https",
        "string matching",
        "fast interval",
        "latency measurement",
    ]
    check = _r("aws:route53/healthCheck:HealthCheck", "hc", {"type": "HTTPS", "fqdn": "x.us-east-1.elb.amazonaws.com"})
    report = _price(check)
    assert report.resources[0].region == GLOBAL
    assert report.total == pytest.approx(
        _rate("route53.health_check_month", GLOBAL, "aws") + _rate("route53.health_check_feature_month", GLOBAL, "aws")
    )
    outside = _price(dataclasses.replace(check, inputs={"type": "HTTPS_STR_MATCH", "fqdn": "example.com"})).total
    assert outside == pytest.approx(
        _rate("route53.health_check_month", GLOBAL, "non_aws")
        + 2 * _rate("route53.health_check_feature_month", GLOBAL, "non_aws")
    )
    alias = _r("aws:route53/record:Record", "rec", {"aliases": [{"name": "d.cloudfront.net"}]})
    assert _price(alias).total == 0


def test_usage_items_scale_linearly():
    queue = _r("aws:sqs/queue:Queue", "q", {})
    assert _price(queue, defaults={"aws:sqs/queue:Queue": {"monthly_requests": 5e6}}).total == pytest.approx(
        5 * _rate("sqs.standard_million_requests")
    )
    acl = _r(
        "aws:wafv2/webAcl:WebAcl",
        "acl",
        {
            "scope": "CLOUDFRONT",
            "rules": [{"statement": {"managedRuleGroupStatement": {"name": "AWSManagedRulesBotControlRuleSet"}}}],
        },
    )
    report = _price(acl, defaults={"aws:wafv2/webAcl:WebAcl": {"monthly_requests": 2e6}})
    assert report.resources[0].region == GLOBAL
    assert report.total == pytest.approx(5 + 1 + 2 * 0.60 + 10)
    with pytest.raises(PriceError, match="AWSManagedRulesMadeUp"):
        _price(
            dataclasses.replace(
                acl, inputs={"rules": [{"statement": {"managedRuleGroupStatement": {"name": "AWSManagedRulesMadeUp"}}}]}
            ),
            defaults={"aws:wafv2/webAcl:WebAcl": {"monthly_requests": 0}},
        )


def test_atlas_nodes_per_region_and_backup():
    spec = {
        "electableSpecs": {"instanceSize": "M30", "nodeCount": 3},
        "analyticsSpecs": {"instanceSize": "M30", "nodeCount": 1},
    }
    cluster = _r(
        "mongodbatlas:index/advancedCluster:AdvancedCluster",
        "atlas",
        {
            "backupEnabled": True,
            "replicationSpecs": [
                {
                    "regionConfigs": [
                        {"providerName": "AWS", "regionName": "US_EAST_1", "priority": 7, **spec},
                        {
                            "providerName": "AWS",
                            "regionName": "EU_WEST_1",
                            "priority": 0,
                            "readOnlySpecs": {"instanceSize": "M30", "nodeCount": 2},
                        },
                    ]
                }
            ]
            * 2,
        },
        "",
    )
    report = _price(cluster, resources_usage={"atlas": {"backup_gb": 100}})
    regions = report.by_region()
    assert regions["us-east-1"] == pytest.approx(
        2 * 4 * _rate("atlas.node_hour", size="M30") * HOURS + 100 * _rate("atlas.backup_gb_month")
    )
    assert regions["eu-west-1"] == pytest.approx(2 * 2 * _rate("atlas.node_hour", "eu-west-1", "M30") * HOURS)
    with pytest.raises(PriceError, match="M5000"):
        _price(
            dataclasses.replace(
                cluster,
                inputs={
                    "replicationSpecs": [
                        {
                            "regionConfigs": [
                                {"regionName": "US_EAST_1", "electableSpecs": {"instanceSize": "M5000", "nodeCount": 3}}
                            ]
                        }
                    ]
                },
            )
        )


def test_a_type_both_free_and_priced_or_neither_is_refused():
    check_coverage(["aws:eks/cluster:Cluster", "aws:iam/role:Role"], TABLE)
    with pytest.raises(PriceError, match="aws:made/up:Type"):
        check_coverage(["aws:made/up:Type"], TABLE)
    both = dataclasses.replace(TABLE, free={**TABLE.free, "aws:eks/cluster:Cluster": "config"})
    with pytest.raises(PriceError, match="both priced and listed as free"):
        check_coverage(["aws:eks/cluster:Cluster"], both)


def test_the_table_is_dated_sourced_and_validated():
    assert TABLE.as_of == datetime.date(2026, 12, 1)
    assert all(item.source for item in TABLE.items.values())
    assert not set(TABLE.free) & set(PRICERS)
    document = {
        "as_of": datetime.date(2026, 12, 1),
        "hours_per_month": 730,
        "regions": ["us-east-1", "eu-west-1"],
        "items": {"x": {"unit": "u", "source": "s", "price": {"us-east-1": 1}}},
    }
    with pytest.raises(PriceError, match="missing eu-west-1"):
        parse_table(document, DEFAULT_TABLE)
    with pytest.raises(PriceError, match="reason 'cheap'"):
        parse_table({**document, "items": {}, "free": {"aws:iam/role:Role": "cheap"}}, DEFAULT_TABLE)


def test_cost_delta_lists_the_components_that_change():
    cell = _component("platform:stack:Cell", "use1")
    eks = _r("aws:eks/cluster:Cluster", "eks", {}, parent=cell.urn)
    before, after = _price(cell), _price(cell, eks)
    delta = cost_delta(before, after)
    assert delta.delta == pytest.approx(after.total) and list(delta.components) == ["use1"]


_shapes = st.lists(
    st.tuples(st.sampled_from(["us-east-1", "us-west-2", "eu-west-1"]), st.integers(1, 6), st.integers(0, 3)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=40, deadline=None)
@given(_shapes)
def test_totals_are_the_sum_of_resources_regions_and_components(shapes):
    cells = [_component("platform:stack:Cell", f"cell{i}") for i in range(len(shapes))]
    groups = [
        _r(
            "aws:elasticache/replicationGroup:ReplicationGroup",
            f"cache{i}",
            {
                "engine": "valkey",
                "nodeType": "cache.t4g.small",
                "numNodeGroups": shards,
                "replicasPerNodeGroup": replicas,
            },
            region,
            parent=cells[i].urn,
        )
        for i, (region, shards, replicas) in enumerate(shapes)
    ]
    report = _price(*cells, *groups)
    assert report.total == pytest.approx(sum(r.monthly for r in report.resources))
    assert report.total == pytest.approx(sum(report.by_region().values()))
    assert report.total == pytest.approx(sum(report.by_component().values()))
    assert report.total == pytest.approx(sum(report.by_top().values()))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 20), st.integers(0, 20), st.sampled_from(["c7g.large", "m7g.xlarge", "r7g.2xlarge", "t4g.small"]))
def test_more_nodes_never_cost_less(low, extra, instance_type):
    template = _r("aws:ec2/launchTemplate:LaunchTemplate", "lt", {"instanceType": instance_type})

    def cost(nodes: int) -> float:
        group = _r(
            "aws:eks/nodeGroup:NodeGroup",
            "nodes",
            {"scalingConfig": {"desiredSize": nodes, "maxSize": nodes + extra}},
            property_dependencies={"launchTemplate": [template.urn]},
        )
        return _price(template, group).total

    assert cost(low + extra) >= cost(low)
    assert cost(low + extra) == pytest.approx(
        cost(low) + extra * _rate("ec2.instance_hour", size=instance_type) * HOURS
    )

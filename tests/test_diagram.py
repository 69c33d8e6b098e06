"""The architecture picture: what the model of each phase shows (no Graphviz needed), then one
render per format (needs Graphviz's ``dot``: missing, the render tests fail saying so)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

import infra.cli
from infra.config import load_config
from infra.offline.diagram import (
    ATLAS_CLUSTER,
    CONTAINER_TYPES,
    GLOBAL_CLUSTER,
    USERS,
    DiagramModel,
    Edge,
    atlas_region,
    build_diagram_model,
    span,
)
from infra.offline.diagram_render import render
from infra.offline.harness import PlanResult, RecordedResource, stack_config
from tests.conftest import PHASES, atlas_plan_of, plan_of


def model_of(stack: str) -> DiagramModel:
    return build_diagram_model(plan_of(stack))


def _top_components(plan: PlanResult) -> dict[str, list[RecordedResource]]:
    """Components directly under the stack, a cell or the edge layer, with their cloud resources."""
    by_urn = plan.by_urn()
    stack = next(r.urn for r in plan.resources if r.type == "pulumi:pulumi:Stack")
    tops = {
        r.urn: r
        for r in plan.resources
        if r.is_component
        and r.type not in CONTAINER_TYPES
        and r.urn != stack
        and (r.parent == stack or by_urn[r.parent].type in CONTAINER_TYPES)
    }
    owned: dict[str, list[RecordedResource]] = {top.name: [] for top in tops.values()}
    for r in plan.resources:
        parent = r.parent
        while parent and parent not in tops:
            parent = by_urn[parent].parent if parent in by_urn else ""
        if parent and r.custom:
            owned[tops[parent].name].append(r)
    return owned


def _edges(model: DiagramModel, source_kind: str, target_kind: str) -> list[Edge]:
    kinds = {n.id: n.kind for n in model.nodes} | {USERS: USERS}
    return [e for e in model.edges if kinds[e.source] == source_kind and kinds[e.target] == target_kind]


@pytest.mark.parametrize("stack", PHASES)
def test_every_top_component_is_in_the_picture(stack):
    model, owned = model_of(stack), _top_components(plan_of(stack))
    drawn = {c for n in model.nodes for c in n.components}
    assert {name for name, resources in owned.items() if resources} == drawn
    # Only a component that registers nothing (phase 1's zero read replicas) is left out, and said.
    assert set(model.empty_components) == {name for name, resources in owned.items() if not resources}


@pytest.mark.parametrize("stack", PHASES)
def test_one_cluster_per_region_plus_the_global_one(stack):
    model, plan = model_of(stack), plan_of(stack)
    regions = {cell.region for cell in load_config(stack_config(stack)).regions}
    outer = [c for c in model.clusters if c.parent is None]
    assert {c.id for c in outer} - {GLOBAL_CLUSTER} == {f"r_{r.replace('-', '_')}" for r in regions}
    assert len({c.id for c in model.clusters}) == len(model.clusters)
    for node in model.nodes:
        # Each node sits in its own region's box (global services in the global one), and every
        # resource it stands for lives in that region.
        expected = f"r_{node.region.replace('-', '_')}" if node.region else GLOBAL_CLUSTER
        assert model.cluster_of(node).id == expected, node
    sections = [c for c in model.clusters if c.parent is not None]
    assert sections and all(c.parent in {o.id for o in outer} for c in sections)
    assert {r.region for r in plan.resources if r.custom and r.region} >= regions


@pytest.mark.parametrize("stack", PHASES)
def test_the_main_flows_are_edges(stack):
    model, config = model_of(stack), load_config(stack_config(stack))
    serving = [cell.region for cell in config.regions if cell.role != "standby"]
    assert len(_edges(model, USERS, "route53")) == 1
    assert len(_edges(model, "route53", "cloudfront")) == 1
    assert {model.node(e.target).region for e in _edges(model, "route53", "alb")} == set(serving)
    for source, target in [
        ("alb", "pods"),
        ("pods", "rds-proxy"),
        ("pods", "cache"),
        ("pods", "sqs"),
        ("sqs", "worker"),
        ("worker", "rds-proxy"),
    ]:
        assert {model.node(e.source).region for e in _edges(model, source, target)} == set(serving), (source, target)
    assert len(_edges(model, "rds-proxy", "rds-primary")) == 1
    assert _edges(model, "cloudfront", "s3") and _edges(model, "waf-edge", "cloudfront")
    # Every region's replicas are fed by the one primary, across regions too.
    replicas = model.of_kind("rds-replicas")
    assert {e.target for e in _edges(model, "rds-primary", "rds-replicas")} == {n.id for n in replicas}
    assert all(e.style == "replication" for e in _edges(model, "rds-primary", "rds-replicas"))
    assert sum(cell.read_replicas > 0 for cell in config.regions) == len(replicas)
    assert bool(_edges(model, "sns", "sqs")) == bool(config.events.topics)
    assert bool(_edges(model, "kinesis", "worker")) == (config.streaming is not None)
    assert bool(_edges(model, "pods", "opensearch")) == config.search.enabled


@pytest.mark.parametrize("stack", PHASES)
def test_labels_carry_the_sizing_as_integers(stack):
    model, config = model_of(stack), load_config(stack_config(stack))
    labels = "\n".join(n.label for n in model.nodes)
    # A whole number printed as a double ("2.0"), not part of an address or a version ("10.10.0.0/16").
    assert not re.search(r"(?<![\d.])\d+\.0(?![\d./])", labels), labels
    api = config.apps.api
    for node in model.of_kind("pods"):
        assert f"{api.min_replicas}–{api.max_replicas} pods" in node.label
    (primary,) = model.of_kind("rds-primary")
    assert config.database.instance_class in primary.label and "Multi-AZ" in primary.label
    for cache in model.of_kind("cache"):
        assert config.cache.node_type in cache.label
    for node in model.of_kind("eks"):
        assert config.cluster.nodes.instance_type in node.label


def test_the_model_is_deterministic():
    assert build_diagram_model(plan_of("phase4")) == model_of("phase4")


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_span_prints_integers(low, high):
    assert span(float(low), float(high)) == (f"{low}" if low == high else f"{low}–{high}")


def _resource(urn_name: str, type_: str, parent: str, inputs: dict | None = None, custom: bool = True, **extra):
    urn = f"urn:pulumi:atlas::platform::{type_}::{urn_name}"
    return RecordedResource(
        urn, type_, urn_name, parent, custom, "", inputs or {}, False, False, False, [], [], [], [], **extra
    )


def test_atlas_clusters_are_drawn_with_tier_shards_regions_and_endpoints():
    stack = _resource("atlas", "pulumi:pulumi:Stack", "", custom=False)
    cell = _resource("use1", "platform:stack:Cell", stack.urn, custom=False)
    vpc = _resource("use1-network-vpc", "aws:ec2/vpc:Vpc", cell.urn, {"cidrBlock": "10.10.0.0/16"}, region="us-east-1")
    component = _resource("use1-atlas", "platform:data:AtlasCluster", cell.urn, custom=False)
    spec = {
        "regionConfigs": [
            {"regionName": "US_EAST_1", "electableSpecs": {"instanceSize": "M60", "nodeCount": 3.0}},
        ]
    }
    cluster = _resource(
        "use1-atlas-cluster",
        "mongodbatlas:index/advancedCluster:AdvancedCluster",
        component.urn,
        {"clusterType": "SHARDED", "replicationSpecs": [spec, spec]},
    )
    link = _resource("use1-atlas-link", "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint", component.urn)
    endpoint = _resource(
        "use1-atlas-endpoint",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        component.urn,
        {"vpcEndpointType": "Interface", "serviceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0123"},
        region="us-east-1",
    )
    service = replace(
        link, name="use1-atlas-service", urn=link.urn + "-service", property_dependencies={"x": [endpoint.urn]}
    )
    plan = PlanResult("atlas", [stack, cell, vpc, component, cluster, link, endpoint, service])
    model = build_diagram_model(plan)
    (atlas,) = model.of_kind("atlas")
    assert model.cluster_of(atlas).id == ATLAS_CLUSTER
    assert "M60" in atlas.label and "2 shards × 3 nodes" in atlas.label and "us-east-1" in atlas.label
    assert "2 private endpoints" in atlas.label
    (private_link,) = model.of_kind("atlas-endpoint")
    assert model.cluster_of(private_link).id == "r_us_east_1"
    assert atlas_region("EU_WEST_1") == "eu-west-1"


@pytest.mark.parametrize("stack", PHASES)
def test_the_atlas_variant_draws_its_cluster_and_endpoints(stack):
    plan = atlas_plan_of(stack)
    model, owned = build_diagram_model(plan), _top_components(plan)
    assert {c for n in model.nodes for c in n.components} == {name for name, rs in owned.items() if rs}
    (atlas,) = model.of_kind("atlas")
    assert model.cluster_of(atlas).id == ATLAS_CLUSTER and "MongoDB Atlas M" in atlas.label
    assert not model.of_kind("rds-primary")
    # Every serving region's apps reach Atlas, through their region's private endpoint.
    endpoints = model.of_kind("atlas-endpoint")
    reaching = {model.node(e.source).region for e in _edges(model, "pods", "atlas")}
    assert reaching == {n.region for n in endpoints} == {n.region for n in model.of_kind("pods")}
    assert {model.node(e.target).region for e in _edges(model, "pods", "atlas-endpoint")} == reaching


# --- rendering (Graphviz) -----------------------------------------------------------------------


def test_png_render(tmp_path):
    out = render(model_of("phase1"), tmp_path / "phase1.png")
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_cli_writes_a_self_contained_svg(tmp_path, cached_cli_stacks, capsys):
    out = tmp_path / "phase4.svg"
    assert infra.cli.main(["diagram", "phase4", "-o", str(out)]) == 0
    root = ET.fromstring(out.read_bytes())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    hrefs = [v for e in root.iter() for k, v in e.attrib.items() if k.endswith("href")]
    # Every icon is inlined: the file opens on a machine without this virtualenv.
    assert hrefs and all(h.startswith("data:image/png;base64,") for h in hrefs)
    text = "".join(root.itertext())
    assert "us-west-2 (active)" in text and "50–200 pods" in text
    assert "phase4.svg" in capsys.readouterr().out


def test_cli_refuses_other_formats(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        infra.cli.main(["diagram", "phase1", "-o", str(tmp_path / "x.jpg")])
    assert exit_.value.code == 2 and ".png or .svg" in capsys.readouterr().err

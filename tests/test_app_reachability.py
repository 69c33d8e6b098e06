"""Every destination an app is configured to reach is allowed by its NetworkPolicies, and nothing else.

The destinations come from each app's ConfigMap (the endpoints it is told to use) plus what every
pod needs (DNS, the Pod Identity agent, AWS APIs over HTTPS). Endpoints are DNS names: a data
store in a VPC resolves to an address of that VPC's CIDR (the writer's proxy to the primary's
VPC; replicas, cache and the MongoDB Atlas private endpoint to the cell's), an AWS API to a
public address; an in-cluster Service is reached through its ClusterIP, which the VPC CNI lets
through only for a rule naming the pods behind it (see :mod:`components.network_policies`), so it
is checked as a pod destination.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest

from components.atlas_private_endpoint import PRIVATE_ENDPOINT_PORTS
from components.network_policies import DNS_LABELS, DNS_NAMESPACE, Destination, egress_allows
from infra.offline.manifests import objects_by_cluster
from tests.conftest import PHASES, atlas_plan_of, plan_of

#: Every stack whose apps are checked: the phases on PostgreSQL, and on MongoDB Atlas.
STACKS = [*PHASES, *(f"atlas-{stack}" for stack in PHASES)]


def _plan(stack: str):
    return atlas_plan_of(stack.removeprefix("atlas-")) if stack.startswith("atlas-") else plan_of(stack)


#: How the opentelemetry-collector chart labels the pods its Service selects, per ``mode``.
_OTEL_COMPONENT = {"deployment": "standalone-collector", "daemonset": "agent-collector"}
PUBLIC_AWS_ADDRESS = "52.94.133.131"  # an address of an AWS regional API range


def _vpc_cidrs(plan) -> dict[str, str]:
    return {r.region: r.inputs["cidrBlock"] for r in plan.of_type("aws:ec2/vpc:Vpc")}


def _in(cidr: str) -> str:
    return str(next(ipaddress.ip_network(cidr).hosts()) + 100)


def _collector_pods(plan, cluster: str, service_host: str) -> tuple[str, dict[str, str]]:
    """Namespace and pod labels behind ``<release>.<namespace>.svc...``, read from the chart release."""
    name, namespace = service_host.split(".")[:2]
    (release,) = [
        r
        for r in plan.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["name"] == name and r.inputs["namespace"] == namespace and f"::{cluster}::" in r.provider
    ]
    labels = {
        "app.kubernetes.io/name": release.inputs["chart"],
        "app.kubernetes.io/instance": release.inputs["name"],
        "component": _OTEL_COMPONENT[release.inputs["values"]["mode"]],
    }
    return namespace, labels


def _expected(plan, cluster: str, data: dict[str, str], region: str) -> list[Destination]:
    cidrs = _vpc_cidrs(plan)
    cell = cidrs[region]
    wanted = [
        Destination(53, "UDP", namespace=DNS_NAMESPACE, pod_labels=DNS_LABELS),
        Destination(53, "TCP", namespace=DNS_NAMESPACE, pod_labels=DNS_LABELS),
        Destination(80, ip="169.254.170.23"),  # EKS Pod Identity agent
        Destination(int(data["CACHE_PORT"]), ip=_in(cell)),  # CACHE_ENDPOINT
        Destination(443, ip=PUBLIC_AWS_ADDRESS),  # SQS, S3, Secrets Manager, STS
    ]
    if "MONGODB_URI" in data:
        # The cell's Atlas private endpoint: an interface endpoint in its VPC, one port per node
        # from the endpoint service's range.
        wanted += [Destination(port, ip=_in(cell)) for port in PRIVATE_ENDPOINT_PORTS]
    else:
        writer = cidrs[data["DB_WRITER_REGION"]]
        wanted.append(Destination(int(data["DB_PORT"]), ip=_in(writer)))  # DB_WRITER_ENDPOINT (RDS Proxy)
    if data.get("DB_READER_ENDPOINTS"):
        wanted.append(Destination(int(data["DB_PORT"]), ip=_in(cell)))
    if "OTEL_EXPORTER_OTLP_ENDPOINT" in data:
        url = urlsplit(data["OTEL_EXPORTER_OTLP_ENDPOINT"])
        namespace, labels = _collector_pods(plan, cluster, url.hostname)
        wanted += [Destination(port, namespace=namespace, pod_labels=labels) for port in (url.port, 4318)]
    return wanted


def _unwanted() -> list[Destination]:
    collector = {"app.kubernetes.io/name": "opentelemetry-collector", "component": "standalone-collector"}
    return [
        Destination(80, ip=PUBLIC_AWS_ADDRESS),  # plain HTTP to the internet
        Destination(25, ip=PUBLIC_AWS_ADDRESS),
        Destination(80, ip="169.254.169.254"),  # instance metadata: credentials come from Pod Identity
        Destination(5432, ip="10.99.0.10"),  # a private network that is none of ours
        Destination(8080, namespace=DNS_NAMESPACE, pod_labels=DNS_LABELS),
        Destination(4319, namespace="opentelemetry", pod_labels=collector),
        Destination(3000, namespace="monitoring", pod_labels={"app.kubernetes.io/name": "grafana"}),
        Destination(53, "UDP", namespace="default", pod_labels={"app": "dns"}),
        Destination(443, namespace="keda", pod_labels={"app": "keda-operator"}),
    ]


def _apps(plan):
    """(cluster, region, app, pod labels, its NetworkPolicies, its ConfigMap data) for api and worker."""
    cells = {r.name.removesuffix("-network-vpc"): r.region for r in plan.of_type("aws:ec2/vpc:Vpc")}
    for cluster, objects in objects_by_cluster(plan).items():
        region = cells[cluster.split("-", 1)[0]]
        for app in ("api", "worker"):
            (deployment,) = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["namespace"] == app]
            (config,) = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["namespace"] == app]
            policies = [o for o in objects if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == app]
            labels = deployment["spec"]["template"]["metadata"]["labels"]
            yield cluster, region, app, labels, policies, config["data"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_configured_destination_is_allowed(stack):
    plan = _plan(stack)
    for cluster, region, app, labels, policies, data in _apps(plan):
        for destination in _expected(plan, cluster, data, region):
            assert egress_allows(policies, labels, destination), f"{stack} {cluster} {app} cannot reach {destination}"


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_else_is_allowed(stack):
    plan = _plan(stack)
    for cluster, _region, app, labels, policies, data in _apps(plan):
        unwanted = _unwanted()
        if "OTEL_EXPORTER_OTLP_ENDPOINT" not in data:
            collector = {
                "app.kubernetes.io/name": "opentelemetry-collector",
                "app.kubernetes.io/instance": "otel-collector",
                "component": "standalone-collector",
            }
            unwanted.append(Destination(4317, namespace="opentelemetry", pod_labels=collector))
        for destination in unwanted:
            assert not egress_allows(policies, labels, destination), f"{stack} {cluster} {app} may reach {destination}"


def test_phase_4_apps_may_send_traces_to_the_collectors_pods():
    plan = plan_of("phase4")
    found = 0
    for _cluster, _region, _app, _labels, policies, data in _apps(plan):
        assert data["OTEL_EXPORTER_OTLP_ENDPOINT"].endswith(":4317")
        (egress,) = [p for p in policies if p["metadata"]["name"].endswith("-allow-egress")]
        collector = [r for r in egress["spec"]["egress"] if "opentelemetry" in str(r.get("to"))]
        assert [r["ports"] for r in collector] == [
            [{"protocol": "TCP", "port": 4317}, {"protocol": "TCP", "port": 4318}]
        ]
        found += 1
    assert found == 6  # api and worker in three regions

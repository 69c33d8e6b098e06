"""Keda on its own: a pinned chart in a restricted namespace, and a Pod Identity role that can only
read the depth of the listed queues."""

import asyncio
import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime import rpc

from components.cluster_addons import pod_identity_trust_policy
from components.keda import KEDA_CHART_VERSION, Keda, KedaArgs, keda_values, queue_reader_policy
from tests.readable import run_program

QUEUES = [
    "arn:aws:sqs:us-west-2:111122223333:acme-jobs",
    "arn:aws:sqs:us-west-2:111122223333:acme-emails",
]


def _program(**overrides):
    def program():
        aws_provider = aws.Provider("usw2", region="us-west-2")
        k8s_provider = k8s.Provider("cluster", kubeconfig="{}")
        gate = k8s.core.v1.ConfigMap(
            "addons-ready", metadata={"name": "gate"}, opts=pulumi.ResourceOptions(provider=k8s_provider)
        )
        values = {
            "cluster_name": "acme-prod-usw2",
            "k8s_provider": k8s_provider,
            "queue_arns": QUEUES,
            "depends_on": [gate],
            "tags": {"Team": "platform"},
            **overrides,
        }
        keda = Keda("keda", KedaArgs(**values), opts=pulumi.ResourceOptions(provider=aws_provider))
        pulumi.export("keda", {"namespace": keda.namespace, "role": keda.role_arn, "release": keda.release_name})

    return program


@pytest.fixture(scope="module")
def plan():
    return run_program(_program())


def test_namespace_enforces_the_restricted_pod_security_standard(plan):
    namespace = plan.named("keda-namespace")
    assert namespace.inputs["metadata"]["name"] == "keda"
    labels = namespace.inputs["metadata"]["labels"]
    assert all(labels[f"pod-security.kubernetes.io/{m}"] == "restricted" for m in ("enforce", "audit", "warn"))
    assert plan.named("addons-ready").urn in namespace.dependencies


def test_chart_is_pinned_and_uses_pod_identity_not_irsa(plan):
    release = plan.named("keda-release")
    assert (release.inputs["chart"], release.inputs["version"]) == ("keda", KEDA_CHART_VERSION)
    assert release.inputs["repositoryOpts"] == {"repo": "https://kedacore.github.io/charts"}
    assert release.inputs["namespace"] == "keda" and release.inputs["name"] == "keda"
    assert release.inputs["atomic"] is True
    values = release.inputs["values"]
    assert values["podIdentity"] == {"aws": {"irsa": {"enabled": False}}}
    assert values["serviceAccount"]["operator"]["name"] == "keda-operator"
    # The chart's restricted-compatible security contexts are kept, not overridden.
    assert "securityContext" not in values and "podSecurityContext" not in values
    for component in ("operator", "metricServer", "webhooks"):
        resources = values["resources"][component]
        assert set(resources["requests"]) == {"cpu", "memory"} and "memory" in resources["limits"]
    assert plan.named("keda-identity").urn in release.dependencies


def test_chart_version_is_configurable():
    release = run_program(_program(chart_version="2.19.0")).named("keda-release")
    assert release.inputs["version"] == "2.19.0"


def test_role_reads_only_the_depth_of_exactly_the_listed_queues(plan):
    role = plan.named("keda-role")
    assert role.inputs["name"] == "acme-prod-usw2-keda-operator"
    assert json.loads(role.inputs["assumeRolePolicy"]) == json.loads(
        pod_identity_trust_policy("acme-prod-usw2", "keda", "keda-operator")
    )
    assert role.inputs["tags"] == {"ManagedBy": "pulumi", "Team": "platform", "Name": "acme-prod-usw2-keda-operator"}
    (statement,) = json.loads(plan.named("keda-role-policy").inputs["policy"])["Statement"]
    assert statement == {
        "Sid": "ReadQueueDepth",
        "Effect": "Allow",
        "Action": "sqs:GetQueueAttributes",
        "Resource": QUEUES,
    }


def test_pod_identity_association_binds_the_operator_service_account(plan):
    association = plan.named("keda-identity")
    assert association.inputs == {
        "clusterName": "acme-prod-usw2",
        "namespace": "keda",
        "serviceAccount": "keda-operator",
        "roleArn": "arn:aws:iam:us-west-2:123456789012:keda-role",
        "tags": {"ManagedBy": "pulumi", "Team": "platform", "Name": "acme-prod-usw2-keda-operator"},
    }
    assert association.region == "us-west-2"
    assert plan.named("addons-ready").urn in association.dependencies


def test_children_use_the_given_providers_and_outputs_are_concrete(plan):
    (component,) = plan.of_type("platform:k8s:Keda")
    provider = plan.named("cluster")
    children = plan.children_of(component.urn)
    k8s_children = [r for r in children if r.type.startswith("kubernetes:")]
    assert {r.name for r in k8s_children} == {"keda-namespace", "keda-release"}
    assert all(r.provider.startswith(provider.urn + "::") for r in k8s_children)
    aws_children = [r for r in children if r.type.startswith("aws:")]
    assert {r.name for r in aws_children} == {"keda-role", "keda-role-policy", "keda-identity"}
    assert all(r.region == "us-west-2" for r in aws_children)
    assert plan.outputs["keda"] == {
        "namespace": "keda",
        "role": "arn:aws:iam:us-west-2:123456789012:keda-role",
        "release": "keda",
    }


def test_an_operator_replica_stands_by_and_spreads_across_zones():
    values = keda_values()
    assert values["operator"]["replicaCount"] == 2
    assert values["podDisruptionBudget"]["operator"] == {"minAvailable": 1}
    (spread,) = values["topologySpreadConstraints"]["operator"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"


def test_no_queue_means_no_policy():
    with pytest.raises(ValueError, match="at least one queue"):
        queue_reader_policy([])
    with pytest.raises(ValueError, match="at least one queue"):
        Keda("keda", KedaArgs(cluster_name="c", k8s_provider=None, queue_arns=[]))


def test_role_name_must_fit_iam():
    with pytest.raises(ValueError, match="64 characters"):
        Keda("keda", KedaArgs(cluster_name="c" * 60, k8s_provider=None, queue_arns=QUEUES))


def test_the_charts_cpu_limit_is_deleted_not_merged_into_ours():
    # Helm merges values over the chart's (2.20.2: limits.cpu: 1 for every component); only a
    # null deletes a default key. The SDK sends it as a protobuf null (the mocks drop nulls, so
    # this checks the values and their serialisation rather than the recorded inputs).
    values = keda_values()
    for component in ("operator", "metricServer", "webhooks"):
        limits = values["resources"][component]["limits"]
        assert "cpu" in limits and limits["cpu"] is None
    struct = struct_pb2.Struct()
    loop = asyncio.new_event_loop()  # not asyncio.run: it would unset the loop the mocks run on
    try:
        struct.update(loop.run_until_complete(rpc.serialize_property(values["resources"], [], None)))
    finally:
        loop.close()
    assert struct["operator"]["limits"].fields["cpu"].null_value == struct_pb2.NULL_VALUE

"""ClusterObservability on its own: encrypted default storage always; Prometheus/Grafana and the
OpenTelemetry collector only when asked, with pinned charts, no password in values and a Pod
Identity role that may only write traces."""

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from pulumi.runtime import rpc

from components.cluster_addons import pod_identity_trust_policy
from components.observability import (
    OTEL_CHART,
    PROMETHEUS_CHART,
    ClusterObservability,
    ClusterObservabilityArgs,
    ebs_key_policy,
    otel_collector_values,
    prometheus_values,
    xray_write_policy,
)
from tests.readable import run_program

KEY = "arn:aws:kms:us-west-2:111122223333:key/obs"
COMPONENT = "platform:k8s:Observability"


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
            "kms_key_arn": KEY,
            "region": "us-west-2",
            "account_id": "111122223333",
            "depends_on": [gate],
            "tags": {"Team": "platform"},
            **overrides,
        }
        obs = ClusterObservability(
            "obs", ClusterObservabilityArgs(**values), opts=pulumi.ResourceOptions(provider=aws_provider)
        )
        pulumi.export(
            "obs",
            {"storage": obs.storage_class_name, "prometheus": obs.prometheus_namespace, "otel": obs.otel_endpoint},
        )

    return program


@pytest.fixture(scope="module")
def full():
    return run_program(_program(prometheus=True, tracing=True, retention_days=30, storage_gb=100))


@pytest.fixture(scope="module")
def minimal():
    return run_program(_program())


def test_default_storage_class_is_gp3_encrypted_with_the_key_and_retained(minimal):
    (storage,) = minimal.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert storage.inputs["metadata"]["name"] == "gp3-encrypted"
    assert storage.inputs["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert storage.inputs["provisioner"] == "ebs.csi.aws.com"
    parameters = storage.inputs["parameters"]
    assert (parameters["type"], parameters["encrypted"], parameters["kmsKeyId"]) == ("gp3", "true", KEY)
    assert parameters["tagSpecification_1"] == "ManagedBy=pulumi"
    assert "Name=acme-prod-usw2-volume" in parameters.values() and "Team=platform" in parameters.values()
    assert storage.inputs["reclaimPolicy"] == "Retain"
    assert storage.inputs["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage.inputs["allowVolumeExpansion"] is True
    assert minimal.named("addons-ready").urn in storage.dependencies


def test_ebs_csi_driver_may_use_the_key_only_through_ec2_in_this_account(minimal):
    grant = minimal.named("obs-ebs-csi-kms")
    assert grant.inputs["role"] == "acme-prod-usw2-ebs-csi"
    policy = json.loads(grant.inputs["policy"])
    assert policy == ebs_key_policy(KEY, "us-west-2", "111122223333")
    for statement in policy["Statement"]:
        assert statement["Resource"] == KEY
        assert statement["Condition"]["StringEquals"] == {
            "kms:ViaService": "ec2.us-west-2.amazonaws.com",
            "kms:CallerAccount": "111122223333",
        }
    assert policy["Statement"][0]["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert grant.urn in minimal.named("obs-gp3").dependencies


def test_prometheus_and_tracing_are_off_by_default(minimal):
    assert not minimal.of_type("kubernetes:helm.sh/v3:Release")
    assert not minimal.of_type("kubernetes:core/v1:Namespace")
    assert not minimal.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert minimal.outputs["obs"] == {"storage": "gp3-encrypted", "prometheus": "", "otel": ""}


def test_prometheus_stack_is_pinned_persistent_on_the_encrypted_class(full):
    release = full.named("obs-prometheus")
    chart, repo, version = PROMETHEUS_CHART
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["namespace"]) == (
        "kube-prometheus-stack",
        version,
        "monitoring",
    )
    assert release.inputs["repositoryOpts"] == {"repo": repo}
    spec = release.inputs["values"]["prometheus"]["prometheusSpec"]
    assert (spec["retention"], spec["retentionSize"]) == ("30d", "85GB")
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3-encrypted"
    assert claim["resources"]["requests"]["storage"] == "100Gi"
    assert spec["resources"]["requests"] and spec["resources"]["limits"]["memory"]
    alertmanager = release.inputs["values"]["alertmanager"]["alertmanagerSpec"]
    assert alertmanager["storage"]["volumeClaimTemplate"]["spec"]["storageClassName"] == "gp3-encrypted"
    assert {full.named("obs-gp3").urn, full.named("obs-grafana-admin").urn} <= set(release.dependencies)


def test_grafana_password_is_generated_into_a_secret_never_into_values(full):
    release = full.named("obs-prometheus")
    grafana = release.inputs["values"]["grafana"]
    assert grafana["admin"] == {
        "existingSecret": "grafana-admin",
        "userKey": "admin-user",
        "passwordKey": "admin-password",
    }
    assert "adminPassword" not in grafana
    assert grafana["persistence"] == {"enabled": False}
    secret = full.named("obs-grafana-admin")
    assert secret.inputs["metadata"] == {"name": "grafana-admin", "namespace": "monitoring"}
    # The password reaches the Secret as a Pulumi secret (encrypted in state), and nowhere else.
    envelope = secret.inputs["stringData"]
    assert envelope[rpc._special_sig_key] == rpc._special_secret_sig
    password = envelope["value"]["admin-password"]
    assert password.startswith("mock-")
    assert password not in json.dumps(release.inputs)
    assert full.named("obs-grafana-password").inputs["length"] >= 32


def test_monitoring_namespace_is_baseline_with_restricted_warnings(full):
    labels = full.named("obs-monitoring-namespace").inputs["metadata"]["labels"]
    assert labels == {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    }
    values = full.named("obs-prometheus").inputs["values"]
    assert values["nodeExporter"] == {"enabled": False}
    assert all(values[c] == {"enabled": False} for c in ("kubeEtcd", "kubeControllerManager", "kubeScheduler"))


def test_otel_collector_is_pinned_restricted_and_exports_to_xray(full):
    release = full.named("obs-otel-collector")
    chart, repo, version = OTEL_CHART
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["namespace"]) == (
        chart,
        version,
        "opentelemetry",
    )
    values = release.inputs["values"]
    assert (values["mode"], values["replicaCount"]) == ("deployment", 2)
    assert values["image"] == {"repository": "otel/opentelemetry-collector-contrib"}
    config = values["alternateConfig"]
    assert config["service"]["pipelines"] == {
        "traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "batch"], "exporters": ["awsxray"]}
    }
    assert set(config["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}
    assert config["exporters"] == {"awsxray": {"region": "us-west-2"}}
    assert values["securityContext"]["readOnlyRootFilesystem"] is True
    assert values["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert values["podSecurityContext"]["runAsUser"] >= 10000
    labels = full.named("obs-tracing-namespace").inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert full.named("obs-otel-identity").urn in release.dependencies


def test_collector_role_may_only_write_traces(full):
    role = full.named("obs-otel-role")
    assert role.inputs["name"] == "acme-prod-usw2-otel-collector"
    assert json.loads(role.inputs["assumeRolePolicy"]) == json.loads(
        pod_identity_trust_policy("acme-prod-usw2", "opentelemetry", "otel-collector")
    )
    (statement,) = json.loads(full.named("obs-otel-role-policy").inputs["policy"])["Statement"]
    assert sorted(statement["Action"]) == [
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    ]
    assert statement["Resource"] == "*"
    assert json.loads(full.named("obs-otel-role-policy").inputs["policy"]) == xray_write_policy()
    association = full.named("obs-otel-identity")
    collector_account = otel_collector_values("us-west-2")["serviceAccount"]["name"]
    assert association.inputs["serviceAccount"] == collector_account == "otel-collector"
    assert association.inputs["namespace"] == "opentelemetry"
    assert association.region == "us-west-2"


def test_outputs_name_the_namespace_and_the_otlp_endpoint(full):
    assert full.outputs["obs"] == {
        "storage": "gp3-encrypted",
        "prometheus": "monitoring",
        "otel": "http://otel-collector.opentelemetry.svc.cluster.local:4317",
    }


def test_every_child_is_parented_and_uses_the_given_providers(full):
    (component,) = full.of_type(COMPONENT)
    provider = full.named("cluster")
    children = full.children_of(component.urn)
    assert {r.name for r in full.resources if r.name.startswith("obs-")} == {r.name for r in children}
    k8s_children = [r for r in children if r.type.startswith("kubernetes:")]
    assert len(k8s_children) == 6
    assert all(r.provider.startswith(provider.urn + "::") for r in k8s_children)
    aws_children = [r for r in children if r.type.startswith("aws:")]
    assert {r.name for r in aws_children} == {
        "obs-ebs-csi-kms",
        "obs-otel-role",
        "obs-otel-role-policy",
        "obs-otel-identity",
    }
    assert all(r.region == "us-west-2" for r in aws_children)


@pytest.mark.parametrize("retention_days, storage_gb", [(0, 50), (15, 5)])
def test_bad_sizes_are_refused(retention_days, storage_gb):
    with pytest.raises(ValueError, match="retention_days"):
        prometheus_values(retention_days, storage_gb)

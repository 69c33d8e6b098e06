"""The Kubernetes side of a cluster program as manifests: strictly schema-valid for Kubernetes 1.35,
compliant with our workload rules, written to disk and read back; and crafted bad objects are caught."""

import copy
import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
import yaml

from components.cluster import EksCluster, EksClusterArgs
from components.keda import Keda, KedaArgs
from components.observability import ClusterObservability, ClusterObservabilityArgs
from components.workload import IngressSpec, QueueScaler, Workload, WorkloadArgs
from infra.offline.harness import run_program
from infra.offline.manifests import (
    REDACTED,
    api_version_and_kind,
    check_workload_objects,
    custom_resource_kinds,
    helm_releases,
    kubernetes_objects,
    validate_manifests,
    write_manifests,
)

KEY = "arn:aws:kms:us-west-2:111122223333:key/eks"
QUEUE_ARN = "arn:aws:sqs:us-west-2:111122223333:acme-jobs"
QUEUE_URL = "https://sqs.us-west-2.amazonaws.com/111122223333/acme-jobs"
VPC = "10.20.0.0/16"
IMAGE = "111122223333.dkr.ecr.us-west-2.amazonaws.com/{}:1.4.2"
POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": QUEUE_ARN}]}
)


def _program():
    provider = aws.Provider("usw2", region="us-west-2")
    opts = pulumi.ResourceOptions(provider=provider)
    cluster = EksCluster(
        "eks",
        EksClusterArgs(
            cluster_name="acme-prod-usw2",
            vpc_id="vpc-123",
            private_subnet_ids=["subnet-a", "subnet-b"],
            availability_zones=["us-west-2a", "us-west-2b"],
            kms_key_arn=KEY,
            account_id="111122223333",
            region="us-west-2",
            admin_role_arns=["arn:aws:iam::111122223333:role/platform-admin"],
        ),
        opts=opts,
    )
    common = {"cluster_name": "acme-prod-usw2", "iam_policy_json": POLICY, "k8s_provider": cluster.k8s_provider}
    keda = Keda(
        "keda",
        KedaArgs(
            cluster_name="acme-prod-usw2",
            k8s_provider=cluster.k8s_provider,
            queue_arns=[QUEUE_ARN],
            depends_on=cluster.platform_ready,
        ),
        opts=opts,
    )
    Workload(
        "api",
        WorkloadArgs(
            app="api",
            namespace="api",
            image=IMAGE.format("api"),
            max_replicas=6,
            ingress=IngressSpec(host="api.acme.example", certificate_arn="arn:aws:acm:us-west-2:1:certificate/c"),
            ingress_cidrs=[VPC],
            egress_cidrs=[VPC],
            config={"DB_HOST": "db.internal"},
            depends_on=cluster.platform_ready,
            **common,
        ),
        opts=opts,
    )
    Workload(
        "worker",
        WorkloadArgs(
            app="worker",
            namespace="worker",
            image=IMAGE.format("worker"),
            max_replicas=20,
            port=None,
            liveness_exec=["/app/healthcheck"],
            queue_scaler=QueueScaler(queue_url=QUEUE_URL, region="us-west-2"),
            egress_cidrs=[VPC],
            depends_on=[*cluster.platform_ready, keda.release],
            **common,
        ),
        opts=opts,
    )
    ClusterObservability(
        "obs",
        ClusterObservabilityArgs(
            cluster_name="acme-prod-usw2",
            k8s_provider=cluster.k8s_provider,
            kms_key_arn=KEY,
            region="us-west-2",
            account_id="111122223333",
            prometheus=True,
            tracing=True,
            depends_on=cluster.platform_ready,
        ),
        opts=opts,
    )


@pytest.fixture(scope="module")
def plan():
    return run_program(_program)


@pytest.fixture(scope="module")
def objects(plan):
    return kubernetes_objects(plan)


def _find(objects, kind, name):
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def test_every_kubernetes_object_becomes_a_manifest_but_no_helm_release(plan, objects):
    expected = [
        r for r in plan.resources if r.type.startswith("kubernetes:") and r.type != "kubernetes:helm.sh/v3:Release"
    ]
    assert len(objects) == len(expected) > 20
    assert {(o["apiVersion"], o["kind"]) for o in objects} >= {
        ("v1", "Namespace"),
        ("apps/v1", "Deployment"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("keda.sh/v1alpha1", "ScaledObject"),
        ("storage.k8s.io/v1", "StorageClass"),
        ("networking.k8s.io/v1", "Ingress"),
        ("v1", "Secret"),
    }
    assert not any(o["kind"] == "Release" for o in objects)
    keys = [(o["metadata"].get("namespace") or "", o["kind"], o["metadata"]["name"]) for o in objects]
    assert keys == sorted(keys)


def test_secrets_are_redacted_and_numbers_are_integers(objects):
    secret = _find(objects, "Secret", "grafana-admin")
    assert secret["stringData"] == {"admin-user": REDACTED, "admin-password": REDACTED}
    scaled = _find(objects, "ScaledObject", "worker")
    assert scaled["spec"]["minReplicaCount"] == 2 and isinstance(scaled["spec"]["minReplicaCount"], int)


def test_all_manifests_validate_strictly_for_kubernetes_1_35(objects):
    assert validate_manifests(objects, "1.35") == []
    assert custom_resource_kinds(objects) == ["keda.sh/v1alpha1 ScaledObject", "keda.sh/v1alpha1 TriggerAuthentication"]


def test_our_workloads_meet_the_workload_rules(objects):
    assert check_workload_objects(objects) == []


def test_manifests_are_written_one_file_per_object_and_read_back(objects, tmp_path):
    paths = write_manifests(objects, tmp_path)
    assert paths == sorted(paths) and len(paths) == len(objects)
    assert tmp_path / "_cluster" / "storageclass-gp3-encrypted.yaml" in paths
    assert tmp_path / "worker" / "scaledobject-worker.yaml" in paths
    assert tmp_path / "api" / "deployment-api.yaml" in paths
    reloaded = sorted((yaml.safe_load(p.read_text()) for p in paths), key=json.dumps)
    assert reloaded == sorted(objects, key=json.dumps)
    assert write_manifests(objects, tmp_path) == paths


def test_helm_releases_are_listed_with_their_pins(plan):
    releases = {r["name"]: r for r in helm_releases(plan)}
    assert set(releases) == {
        "aws-load-balancer-controller",
        "cluster-autoscaler",
        "keda",
        "kube-prometheus-stack",
        "otel-collector",
    }
    assert releases["keda"] == {
        "name": "keda",
        "chart": "keda",
        "version": "2.20.2",
        "repo": "https://kedacore.github.io/charts",
        "namespace": "keda",
    }
    assert all(r["version"] and r["repo"].startswith("https://") for r in releases.values())


@pytest.mark.parametrize(
    "token, expected",
    [
        ("kubernetes:core/v1:Namespace", ("v1", "Namespace")),
        ("kubernetes:apps/v1:Deployment", ("apps/v1", "Deployment")),
        ("kubernetes:keda.sh/v1alpha1:ScaledObject", ("keda.sh/v1alpha1", "ScaledObject")),
        ("kubernetes:networking.k8s.io/v1:Ingress", ("networking.k8s.io/v1", "Ingress")),
    ],
)
def test_api_version_comes_from_the_type_token(token, expected):
    assert api_version_and_kind(token) == expected


def test_unnamed_objects_are_refused():
    def program():
        k8s.core.v1.ConfigMap("auto", data={"a": "b"}, opts=pulumi.ResourceOptions(provider=k8s.Provider("c")))

    with pytest.raises(ValueError, match="auto-name"):
        kubernetes_objects(run_program(program))


def _container(objects, app):
    return _find(objects, "Deployment", app)["spec"]["template"]["spec"]["containers"][0]


def test_privileged_containers_and_missing_probes_are_reported(objects):
    bad = copy.deepcopy(objects)
    api = _container(bad, "api")
    api["securityContext"]["privileged"] = True
    api["securityContext"]["allowPrivilegeEscalation"] = True
    del api["startupProbe"]
    api["image"] = "repo/api:latest"
    worker = _container(bad, "worker")
    del worker["readinessProbe"]
    del worker["resources"]["limits"]
    problems = check_workload_objects(bad)
    assert "Deployment api/api: container 'api' is privileged" in problems
    assert "Deployment api/api: container 'api' does not set allowPrivilegeEscalation: false" in problems
    assert "Deployment api/api: container 'api' no startupProbe" in problems
    assert any("api/api" in p and "pinned" in p for p in problems)
    assert "Deployment worker/worker: container 'worker' no readinessProbe" in problems
    assert "Deployment worker/worker: container 'worker' no memory limit" in problems
    assert len(problems) == 6


def test_weak_autoscaling_and_missing_pdbs_are_reported(objects):
    bad = copy.deepcopy(objects)
    _find(bad, "HorizontalPodAutoscaler", "api")["spec"]["minReplicas"] = 1
    scaled = _find(bad, "ScaledObject", "worker")
    scaled["spec"]["triggers"] = [t for t in scaled["spec"]["triggers"] if t["type"] != "cpu"]
    bad.remove(_find(bad, "PodDisruptionBudget", "worker"))
    assert check_workload_objects(bad) == [
        "Deployment api/api: HorizontalPodAutoscaler api/api minReplicas 1 < 2",
        "Deployment worker/worker: ScaledObject worker/worker has no cpu trigger: CPU must stay a scaling floor",
        "Deployment worker/worker: no PodDisruptionBudget selects its pods",
    ]


def test_two_autoscalers_on_one_deployment_are_reported(objects):
    bad = copy.deepcopy(objects)
    hpa = _find(bad, "HorizontalPodAutoscaler", "api")
    hpa["metadata"]["namespace"] = "worker"
    hpa["spec"]["scaleTargetRef"]["name"] = "worker"
    problems = check_workload_objects(bad)
    assert problems[0] == "Deployment api/api: no HorizontalPodAutoscaler or ScaledObject scales it"
    assert "they would fight" in problems[1] and problems[1].startswith("Deployment worker/worker: 2 autoscalers")


def test_schema_violations_and_unknown_custom_resources_are_reported(objects):
    bad = copy.deepcopy(objects)
    _container(bad, "api")["imagePullPolicy"] = 3
    _find(bad, "Namespace", "api")["metadata"]["labelz"] = {}
    _find(bad, "ScaledObject", "worker")["spec"]["triggers"][0]["metadata"]["queueLength"] = 20
    bad.append({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "api"}})
    _find(bad, "TriggerAuthentication", "worker-keda-aws")["spec"]["podIdentity"]["provider"] = "aws-kiam"
    problems = validate_manifests(bad, "1.35")
    assert any(p.startswith("Deployment api/api: spec.template.spec.containers.0.imagePullPolicy") for p in problems)
    assert any(p.startswith("Namespace api: metadata") and "labelz" in p for p in problems)
    assert "ScaledObject worker/worker: spec.triggers[0].metadata values must be strings" in problems
    assert "Widget api/w: example.com/v1 has no schema and no rules of ours" in problems
    auth = "TriggerAuthentication worker/worker-keda-aws: spec.podIdentity.provider"
    assert any(p.startswith(auth) for p in problems)
    assert len(problems) == 5


def test_unsupported_kubernetes_versions_are_refused(objects):
    with pytest.raises(ValueError, match="no schemas"):
        validate_manifests(objects[:1], "1.99")

"""The Kubernetes side of each phase: strict schemas, autoscaling ranges, platform add-ons per phase."""

from __future__ import annotations

import copy

import pytest
import yaml

from infra.cli import main as cli_main
from infra.config import ConfigError, load_config, raw_namespace
from infra.offline.diff import diff_plans
from infra.offline.harness import stack_config
from infra.offline.manifests import check_workload_objects, objects_by_cluster, validate_manifests
from tests.conftest import PHASES, plan_of
from tests.test_config import _flat

HELM = "kubernetes:helm.sh/v3:Release"


def _clusters(stack):
    return objects_by_cluster(plan_of(stack))


def _find(objects, kind, namespace):
    return [o for o in objects if o["kind"] == kind and o["metadata"].get("namespace") == namespace]


def test_every_manifest_passes_strict_schema_validation_and_workload_rules(phase_plan):
    version = load_config(stack_config(phase_plan.stack)).cluster.kubernetes_version
    clusters = objects_by_cluster(phase_plan)
    assert clusters, "no cluster in the plan"
    for objects in clusters.values():
        assert validate_manifests(objects, version) == []
        assert check_workload_objects(objects) == []


@pytest.mark.parametrize(
    ("stack", "clusters", "api_range"),
    [
        ("phase1", 1, (2, 4)),
        ("phase2", 1, (2, 6)),
        ("phase3", 1, (10, 50)),
        ("phase4", 3, (50, 200)),
    ],
)
def test_api_hpa_range_per_region_follows_the_spec(stack, clusters, api_range):
    found = _clusters(stack)
    assert len(found) == clusters
    for objects in found.values():
        (hpa,) = _find(objects, "HorizontalPodAutoscaler", "api")
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == api_range
        metrics = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in hpa["spec"]["metrics"]}
        assert metrics == {"cpu": 70, "memory": 80}
        assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 60


@pytest.mark.parametrize("stack", ["phase2", "phase3", "phase4"])
def test_workers_scale_on_queue_depth_with_cpu_as_the_floor_from_phase_2(stack):
    clusters = _clusters(stack)
    assert clusters
    for objects in clusters.values():
        assert _find(objects, "HorizontalPodAutoscaler", "worker") == []
        (scaled,) = _find(objects, "ScaledObject", "worker")
        triggers = {t["type"]: t for t in scaled["spec"]["triggers"]}
        assert set(triggers) == {"aws-sqs-queue", "cpu", "memory"}
        # The mocks' queue URL ends in the queue resource's ID, ``<cell>-queues-jobs-<identity>``.
        assert triggers["aws-sqs-queue"]["metadata"]["queueURL"].rsplit("-", 1)[0].endswith("-jobs")
        # KEDA's own role through the aws pod identity provider, not the deprecated identityOwner.
        assert "identityOwner" not in triggers["aws-sqs-queue"]["metadata"]
        (auth,) = _find(objects, "TriggerAuthentication", "worker")
        assert auth["metadata"]["name"] == triggers["aws-sqs-queue"]["authenticationRef"]["name"]
        assert auth["spec"] == {"podIdentity": {"provider": "aws"}}
        assert scaled["spec"]["minReplicaCount"] >= 2


def _hpa_names(plan) -> set[tuple[str, str]]:
    """(namespace, name) of every HPA the plan's objects make exist: plain HPAs and KEDA's."""
    names = set()
    for objects in objects_by_cluster(plan).values():
        for o in objects:
            if o["kind"] == "HorizontalPodAutoscaler":
                names.add((o["metadata"]["namespace"], o["metadata"]["name"]))
            elif o["kind"] == "ScaledObject":
                config = (o["spec"].get("advanced") or {}).get("horizontalPodAutoscalerConfig") or {}
                names.add((o["metadata"]["namespace"], config.get("name") or f"keda-hpa-{o['metadata']['name']}"))
    return names


def _worker_scaling_changes(before: str, after: str) -> dict[str, set[str]]:
    changes = diff_plans(plan_of(before), plan_of(after)).changes
    scaling = ("HorizontalPodAutoscaler", "ScaledObject", "TriggerAuthentication")
    return {
        action: {c.name for c in changes if c.action == action and c.type.endswith(scaling) and "-worker-" in c.name}
        for action in ("create", "delete", "replace")
    }


@pytest.mark.parametrize(("before", "after"), [("phase1", "phase2"), ("phase2", "phase1")])
def test_moving_the_worker_between_hpa_and_keda_never_recreates_a_name_in_use(before, after):
    # pulumi-kubernetes creates objects before it deletes the ones that left the program, and a
    # create of a name that exists fails (AlreadyExists). KEDA's HPA (owned by the ScaledObject,
    # deleted with it) and the plain HPA therefore have distinct names: each direction creates
    # one and deletes the other, and no HPA is retained behind the program's back.
    # (The api's HPA is one resource in both phases: an update, not a create.)
    worker_hpas = [{n for n in _hpa_names(plan_of(stack)) if n[0] == "worker"} for stack in (before, after)]
    assert len(worker_hpas[0]) == len(worker_hpas[1]) == 1 and not (worker_hpas[0] & worker_hpas[1])
    changes = _worker_scaling_changes(before, after)
    keda = {"use1-worker-scaledobject", "use1-worker-keda-auth"}
    plain = {"use1-worker-hpa"}
    created, deleted = (keda, plain) if before == "phase1" else (plain, keda)
    assert changes == {"create": created, "delete": deleted, "replace": set()}
    by_name = {r.name: r for r in plan_of(before).resources}
    assert not any(by_name[name].retain_on_delete for name in deleted)


def test_the_plain_worker_hpa_lets_keda_in_and_keda_adopts_nothing():
    (objects,) = _clusters("phase1").values()
    (hpa,) = _find(objects, "HorizontalPodAutoscaler", "worker")
    # KEDA's webhook skips an HPA annotated so, letting the ScaledObject be created while it exists.
    assert hpa["metadata"]["annotations"] == {"validations.keda.sh/hpa-ownership": "false"}
    (objects,) = _clusters("phase2").values()
    (scaled,) = _find(objects, "ScaledObject", "worker")
    assert "scaledobject.keda.sh/transfer-hpa-ownership" not in (scaled["metadata"].get("annotations") or {})
    assert scaled["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["name"] != hpa["metadata"]["name"]


def test_phase_1_workers_scale_on_cpu():
    (objects,) = _clusters("phase1").values()
    (hpa,) = _find(objects, "HorizontalPodAutoscaler", "worker")
    assert hpa["spec"]["minReplicas"] == 2 and _find(objects, "ScaledObject", "worker") == []


@pytest.mark.parametrize(
    ("stack", "charts"),
    [
        ("phase1", {"cluster-autoscaler", "aws-load-balancer-controller"}),
        ("phase2", {"cluster-autoscaler", "aws-load-balancer-controller", "keda"}),
        ("phase3", {"cluster-autoscaler", "aws-load-balancer-controller", "keda", "kube-prometheus-stack"}),
        (
            "phase4",
            {"cluster-autoscaler", "aws-load-balancer-controller", "keda", "kube-prometheus-stack",
             "opentelemetry-collector"},
        ),
    ],
)  # fmt: skip
def test_platform_charts_per_phase(stack, charts):
    plan = plan_of(stack)
    per_cluster = {}
    for release in plan.of_type(HELM):
        per_cluster.setdefault(release.provider, set()).add(release.inputs["chart"])
    assert per_cluster and all(found == charts for found in per_cluster.values())
    addons = {a.inputs["addonName"] for a in plan.of_type("aws:eks/addon:Addon")}
    assert "amazon-cloudwatch-observability" in addons  # Container Insights in every phase


def test_tracing_endpoint_reaches_the_apps_in_phase_4_only():
    for stack, expected in (("phase3", False), ("phase4", True)):
        clusters = _clusters(stack)
        assert clusters, stack
        for objects in clusters.values():
            for namespace in ("api", "worker"):
                (config_map,) = _find(objects, "ConfigMap", namespace)
                assert ("OTEL_EXPORTER_OTLP_ENDPOINT" in config_map["data"]) is expected


def test_app_config_carries_endpoints_and_secret_references_never_secrets():
    (objects,) = _clusters("phase2").values()
    (config_map,) = _find(objects, "ConfigMap", "api")
    data = config_map["data"]
    assert data["DB_WRITER_ENDPOINT"].endswith(".rds.amazonaws.com")
    assert data["DB_READER_ENDPOINTS"].count(".rds.amazonaws.com") == 1
    assert data["CACHE_ENDPOINT"] == plan_of("phase2").outputs["regions"]["us-east-1"]["cacheEndpoint"]
    assert data["QUEUE_URL_JOBS"].startswith("https://sqs.")
    assert data["CDN_DOMAIN"] == "cdn.acme.example" and data["ASSETS_BUCKET"] == "acme-prod-assets-use1"
    # The public key CloudFront checks upload signatures with; the private key is the app team's.
    assert data["CDN_SIGNING_KEY_ID"] == plan_of("phase2").outputs["edge"]["cdnSigningKeyId"]
    # Apps sign in with IAM as the app and reader roles: no database secret, never the master user.
    assert (data["DB_USER"], data["DB_READER_USER"]) == ("app", "app_reader")
    assert data["DB_WRITER_REGION"] == data["DB_READER_REGION"] == "us-east-1"
    assert data["CACHE_AUTH_SECRET_ARN"].startswith("arn:aws:secretsmanager:")
    assert not any(key.startswith("DB_") and key.endswith("SECRET_ARN") for key in data)
    assert not any("password" in key.lower() or "token" in key.lower() for key in data)


def test_apps_in_remote_regions_sign_writer_tokens_for_the_primarys_region():
    clusters = _clusters("phase4")
    assert len(clusters) == 3
    for objects in clusters.values():
        (config_map,) = _find(objects, "ConfigMap", "api")
        data = config_map["data"]
        assert data["DB_WRITER_REGION"] == "us-east-1"
        assert data["DB_WRITER_ENDPOINT"].endswith(".us-east-1.rds.amazonaws.com")
        assert data["DB_READER_ENDPOINTS"].endswith(f".{data['DB_READER_REGION']}.rds.amazonaws.com")
        assert data["DB_READER_ENDPOINTS"].count(",") == 3


def test_every_kubernetes_resource_uses_its_cells_cluster_provider(phase_plan):
    kubernetes = [r for r in phase_plan.resources if r.custom and r.type.startswith("kubernetes:")]
    assert len(kubernetes) > 20
    for resource in kubernetes:
        cell = resource.name.split("-", 1)[0]
        assert f"pulumi:providers:kubernetes::{cell}-cluster-k8s::" in resource.provider, resource.urn


def test_node_groups_too_small_for_the_hpa_maxima_are_refused():
    raw = raw_namespace(stack_config("phase4"))
    raw = copy.deepcopy(raw)
    raw["cluster"]["nodes"]["maxPerAz"] = 3
    with pytest.raises(ConfigError) as caught:
        load_config(_flat(raw))
    assert caught.value.path == "platform:cluster.nodes.maxPerAz"
    assert "maxReplicas" in str(caught.value)


@pytest.mark.usefixtures("cached_cli_stacks")
def test_plan_writes_manifests_per_cluster(tmp_path, capsys):
    assert cli_main(["plan", "phase4", "--manifests", str(tmp_path)]) == 0
    for cell in ("use1", "usw2", "euw1"):
        deployment = yaml.safe_load((tmp_path / f"{cell}-cluster-k8s" / "api" / "deployment-api.yaml").read_text())
        assert deployment["kind"] == "Deployment" and deployment["metadata"]["namespace"] == "api"
    out = capsys.readouterr().out
    assert "manifests for use1-cluster-k8s" in out
    assert (
        out.count(
            "custom resources (no public schema, checked by our own rules): keda.sh/v1alpha1 ScaledObject, "
            "keda.sh/v1alpha1 TriggerAuthentication"
        )
        == 3
    )
    assert out.count("helm release kube-system/cluster-autoscaler: cluster-autoscaler 9.59.0") == 3


def test_apps_in_active_regions_may_reach_the_primary_vpc_and_only_it():
    clusters = _clusters("phase4")
    assert sorted(cluster.split("-")[0] for cluster in clusters) == ["euw1", "use1", "usw2"]
    for cluster, objects in clusters.items():
        (policy,) = [
            o for o in _find(objects, "NetworkPolicy", "api") if o["metadata"]["name"].endswith("allow-egress")
        ]
        cidrs = {peer["ipBlock"]["cidr"] for rule in policy["spec"]["egress"] for peer in rule.get("to", [])
                 if "ipBlock" in peer}  # fmt: skip
        own = {"use1": "10.10.0.0/16", "usw2": "10.20.0.0/16", "euw1": "10.30.0.0/16"}[cluster.split("-")[0]]
        assert {own, "10.10.0.0/16"} <= cidrs
        assert not ({"10.20.0.0/16", "10.30.0.0/16"} - {own}) & cidrs


def _k8s_identity(resource) -> tuple[str, str, str] | None:
    """(kind, namespace, name) a Kubernetes object occupies in its cluster; None for auto-named ones."""
    if not resource.type.startswith("kubernetes:"):
        return None
    metadata = resource.inputs.get("metadata") or {}
    if "name" not in metadata:
        return None
    cell = resource.name.split("-", 1)[0]
    return (cell, resource.type, metadata.get("namespace", ""), metadata["name"])


@pytest.mark.parametrize(
    ("before", "after"),
    [(a, b) for a, b in zip(PHASES, PHASES[1:], strict=False)]
    + [(b, a) for a, b in zip(PHASES, PHASES[1:], strict=False)],
)
def test_no_move_between_phases_creates_a_kubernetes_name_the_other_phase_still_holds(before, after):
    """pulumi-kubernetes creates before it deletes and refuses an existing name (AlreadyExists):
    in either direction, no object may be created under a name that the move deletes."""
    old, new = plan_of(before), plan_of(after)
    changes = diff_plans(old, new).changes
    old_by_urn, new_by_urn = old.by_urn(), new.by_urn()
    deleted = {_k8s_identity(old_by_urn[c.old_urn or c.urn]) for c in changes if c.action == "delete"} - {None}
    created = {_k8s_identity(new_by_urn[c.urn]) for c in changes if c.action == "create"} - {None}
    assert created or deleted  # every move adds or removes Kubernetes objects
    assert not created & deleted


def test_phase_4_apps_use_their_regions_bucket_key_and_images():
    plan = plan_of("phase4")
    regions = {"use1": "us-east-1", "usw2": "us-west-2", "euw1": "eu-west-1"}
    for cluster, objects in _clusters("phase4").items():
        code = cluster.split("-")[0]
        region = regions[code]
        (config_map,) = _find(objects, "ConfigMap", "api")
        assert config_map["data"]["ASSETS_BUCKET"] == f"acme-prod-assets-{code}"
        assert plan.outputs["edge"]["assetsBuckets"][region] == f"acme-prod-assets-{code}"
        (deployment,) = _find(objects, "Deployment", "api")
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        # Replicated by ECR from the primary's registry: nodes pull from their own region.
        assert container["image"] == f"123456789012.dkr.ecr.{region}.amazonaws.com/acme/api:1.0.0"

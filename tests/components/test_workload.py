"""Workload on its own: restricted pods, probes, HPA/PDB, default-deny networking, Pod Identity,
an ALB with strict TLS, and no secret value anywhere in Kubernetes."""

import dataclasses
import hashlib
import json
import math

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.workload import (
    POD_IDENTITY_AGENT,
    IngressSpec,
    QueueScaler,
    Workload,
    WorkloadArgs,
    drain_timings,
    hpa_names,
    pdb_min_available,
    validate_image,
)
from tests.readable import run_program

IMAGE = "111122223333.dkr.ecr.us-west-2.amazonaws.com/api:1.4.2"
SECRET = "arn:aws:secretsmanager:us-west-2:111122223333:secret:acme/db-AbCdEf"
VPC = "10.20.0.0/16"
POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:q"}]}
)
INGRESS = IngressSpec(
    host="api.acme.example",
    certificate_arn="arn:aws:acm:us-west-2:111122223333:certificate/abc",
    web_acl_arn="arn:aws:wafv2:us-west-2:111122223333:regional/webacl/acme/1",
    alb_log_bucket="acme-alb-logs",
)


def _args(provider, **overrides) -> WorkloadArgs:
    values = {
        "app": "api",
        "namespace": "api",
        "image": IMAGE,
        "max_replicas": 6,
        "cluster_name": "acme-prod-usw2",
        "iam_policy_json": POLICY,
        "k8s_provider": provider,
        "config": {"DB_HOST": "db.internal", "CACHE_HOST": "cache.internal"},
        "secret_arns": {"DB_CREDENTIALS": SECRET},
        "ingress": INGRESS,
        "ingress_cidrs": [VPC],
        "egress_cidrs": [VPC],
        "allowed_ingress_namespaces": ["monitoring"],
        "tags": {"Team": "platform"},
        **overrides,
    }
    return WorkloadArgs(**values)


def _program(**overrides):
    def program():
        aws_provider = aws.Provider("usw2", region="us-west-2")
        k8s_provider = k8s.Provider("cluster", kubeconfig="{}")
        gate = k8s.core.v1.ConfigMap(
            "addons-ready", metadata={"name": "gate"}, opts=pulumi.ResourceOptions(provider=k8s_provider)
        )
        workload = Workload(
            "api",
            _args(k8s_provider, depends_on=[gate], **overrides),
            opts=pulumi.ResourceOptions(provider=aws_provider),
        )
        pulumi.export(
            "workload",
            {"namespace": workload.namespace, "service": workload.service_name, "hostname": workload.ingress_hostname},
        )

    return program


@pytest.fixture(scope="module")
def api():
    return run_program(_program())


WORKER = {
    "app": "worker",
    "namespace": "worker",
    "port": None,
    "liveness_exec": ["/app/healthcheck"],
    "ingress": None,
    "ingress_cidrs": [],
}
QUEUE_URL = "https://sqs.us-west-2.amazonaws.com/111122223333/acme-jobs"


@pytest.fixture(scope="module")
def worker():
    return run_program(_program(**WORKER))


@pytest.fixture(scope="module")
def queue_worker():
    scaler = QueueScaler(queue_url=QUEUE_URL, region="us-west-2", messages_per_pod=10)
    return run_program(_program(**WORKER, queue_scaler=scaler, max_replicas=12, min_replicas=3))


def _one(plan, type_token):
    (resource,) = plan.of_type(type_token)
    return resource


def _pod(plan) -> dict:
    return _one(plan, "kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]


def test_namespace_enforces_the_restricted_pod_security_standard(api):
    namespace = _one(api, "kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["name"] == "api"
    labels = namespace.inputs["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
    assert api.named("addons-ready").urn in namespace.dependencies


def test_pods_run_unprivileged_with_a_read_only_root(api):
    pod = _pod(api)
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "fsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    (container,) = pod["containers"]
    assert container["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "512Mi"}}]
    assert pod["automountServiceAccountToken"] is True
    assert pod["serviceAccountName"] == "api"


def test_deployment_rolls_safely_spreads_and_leaves_replicas_to_the_hpa(api):
    deployment = _one(api, "kubernetes:apps/v1:Deployment")
    spec = deployment.inputs["spec"]
    assert "replicas" not in spec
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}}
    assert spec["revisionHistoryLimit"] == 5
    spread = spec["template"]["spec"]["topologySpreadConstraints"]
    assert [c["topologyKey"] for c in spread] == ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]
    assert all(c["maxSkew"] == 1 and c["whenUnsatisfiable"] == "ScheduleAnyway" for c in spread)
    # A digest of the ConfigMap's data: any config change rolls the pods, which read it only at start.
    config = api.named("api-config").inputs["data"]
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
    assert spec["template"]["metadata"]["annotations"]["checksum/config"] == digest


def test_requests_and_memory_limit_but_no_cpu_limit(api):
    (container,) = _pod(api)["containers"]
    assert container["resources"] == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"memory": "1024Mi"},
    }
    assert container["image"] == IMAGE
    assert container["imagePullPolicy"] == "Always"


def test_http_probes_on_the_named_port(api):
    (container,) = _pod(api)["containers"]
    assert container["ports"] == [{"name": "http", "containerPort": 8080}]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["failureThreshold"] * container["startupProbe"]["periodSeconds"] == 150


def test_worker_uses_exec_probes_and_gets_no_service_or_ingress(worker):
    (container,) = _pod(worker)["containers"]
    assert container["ports"] == []
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["exec"] == {"command": ["/app/healthcheck"]}
    assert not worker.of_type("kubernetes:core/v1:Service")
    assert not worker.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    policies = {p.name for p in worker.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    assert policies == {"api-deny-all", "api-allow-egress"}
    assert worker.outputs["workload"] == {"namespace": "worker", "service": "", "hostname": ""}


def test_hpa_scales_on_cpu_and_memory_with_a_slow_scale_down(api):
    hpa = _one(api, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    spec = hpa.inputs["spec"]
    assert hpa.inputs["apiVersion"] == "autoscaling/v2"
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 6)
    targets = {m["resource"]["name"]: m["resource"]["target"] for m in spec["metrics"]}
    assert targets == {
        "cpu": {"type": "Utilization", "averageUtilization": 70},
        "memory": {"type": "Utilization", "averageUtilization": 80},
    }
    assert spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300


def test_queue_scaler_replaces_the_hpa_with_a_keda_scaled_object(queue_worker):
    assert not queue_worker.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    scaled = _one(queue_worker, "kubernetes:keda.sh/v1alpha1:ScaledObject")
    assert scaled.inputs["apiVersion"] == "keda.sh/v1alpha1" and scaled.inputs["kind"] == "ScaledObject"
    assert scaled.inputs["metadata"]["namespace"] == "worker"
    spec = scaled.inputs["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "worker"}
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (3, 12)
    # Both only act at zero replicas, which min >= 2 never reaches: left out, not pretended.
    assert "pollingInterval" not in spec and "cooldownPeriod" not in spec
    hpa_config = spec["advanced"]["horizontalPodAutoscalerConfig"]
    assert hpa_config["name"] == "worker-keda" != hpa_names("worker")[0]
    assert hpa_config["behavior"]["scaleDown"]["policies"] == [{"type": "Percent", "value": 50, "periodSeconds": 60}]
    assert "annotations" not in scaled.inputs["metadata"]  # no adoption of the plain HPA
    assert (
        spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300
    )
    sqs, cpu, memory = spec["triggers"]
    assert sqs == {
        "type": "aws-sqs-queue",
        "authenticationRef": {"name": "worker-keda-aws"},
        "metadata": {
            "queueURL": QUEUE_URL,
            "queueLength": "10",
            "activationQueueLength": "0",
            "awsRegion": "us-west-2",
        },
    }
    assert cpu == {"type": "cpu", "metricType": "Utilization", "metadata": {"value": "70"}}
    assert memory == {"type": "memory", "metricType": "Utilization", "metadata": {"value": "80"}}
    # The keda.sh CRD only exists once the KEDA release (passed through depends_on) is installed.
    assert queue_worker.named("addons-ready").urn in scaled.dependencies


def test_sqs_trigger_authenticates_with_the_aws_pod_identity_provider_not_identity_owner(queue_worker):
    auth = _one(queue_worker, "kubernetes:keda.sh/v1alpha1:TriggerAuthentication")
    assert auth.inputs["metadata"]["name"] == "worker-keda-aws"
    assert auth.inputs["metadata"]["namespace"] == "worker"  # a TriggerAuthentication is namespaced
    # No roleArn, no identityOwner: workload -> KEDA's own (operator) Pod Identity role.
    assert auth.inputs["spec"] == {"podIdentity": {"provider": "aws"}}
    scaled = _one(queue_worker, "kubernetes:keda.sh/v1alpha1:ScaledObject")
    assert auth.urn in scaled.dependencies
    assert queue_worker.named("addons-ready").urn in auth.dependencies
    assert all("identityOwner" not in t["metadata"] for t in scaled.inputs["spec"]["triggers"])


def test_plain_hpa_is_named_apart_from_kedas_deleted_normally_and_lets_keda_in(worker):
    hpa = _one(worker, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    assert hpa.inputs["metadata"]["name"] == hpa_names("worker")[0] == "worker"
    assert hpa.inputs["metadata"]["annotations"] == {"validations.keda.sh/hpa-ownership": "false"}
    # Not retained: after a move to KEDA nothing else would ever delete it, and two HPAs freeze scaling.
    assert hpa.retain_on_delete is False


def test_api_behind_an_alb_gets_readiness_gates_and_drains_before_it_stops(api):
    labels = _one(api, "kubernetes:core/v1:Namespace").inputs["metadata"]["labels"]
    assert labels["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"
    notes = _one(api, "kubernetes:networking.k8s.io/v1:Ingress").inputs["metadata"]["annotations"]
    attributes = dict(a.split("=") for a in notes["alb.ingress.kubernetes.io/target-group-attributes"].split(","))
    delay = int(attributes["deregistration_delay.timeout_seconds"])
    assert delay == INGRESS.deregistration_delay_seconds == 30
    pod = _pod(api)
    (container,) = pod["containers"]
    # The sleep action needs no shell in the image (stable since Kubernetes 1.34).
    sleep = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert delay < sleep <= delay + 10
    assert pod["terminationGracePeriodSeconds"] >= sleep + 15  # + the app's drain_seconds


def test_workers_without_an_alb_have_no_readiness_gate_nor_prestop(worker):
    labels = _one(worker, "kubernetes:core/v1:Namespace").inputs["metadata"]["labels"]
    assert "elbv2.k8s.aws/pod-readiness-gate-inject" not in labels
    (container,) = _pod(worker)["containers"]
    assert "lifecycle" not in container and "terminationGracePeriodSeconds" not in _pod(worker)


@given(st.integers(min_value=0, max_value=3600), st.integers(min_value=1, max_value=600))
def test_drain_timings_outlast_the_deregistration_delay(delay, drain):
    sleep, grace = drain_timings(delay, drain)
    assert delay < sleep and grace >= sleep + drain


def test_queue_scaled_worker_keeps_its_pdb_and_the_rest(queue_worker):
    pdb = _one(queue_worker, "kubernetes:policy/v1:PodDisruptionBudget")
    assert pdb.inputs["spec"]["minAvailable"] == "50%"
    assert pdb.inputs["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": "worker"}}
    assert "replicas" not in _one(queue_worker, "kubernetes:apps/v1:Deployment").inputs["spec"]


def test_pdb_keeps_half_and_lets_one_go(api):
    pdb = _one(api, "kubernetes:policy/v1:PodDisruptionBudget")
    assert pdb.inputs["spec"]["minAvailable"] == "50%"
    assert pdb.inputs["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": "api"}}
    assert pdb.inputs["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


@given(st.integers(min_value=2, max_value=1000), st.integers(min_value=0, max_value=1000))
def test_pdb_percentage_never_blocks_drains_nor_drops_below_half(min_replicas, extra):
    percent = int(pdb_min_available(min_replicas).rstrip("%"))
    replicas = min_replicas + extra
    kept = math.ceil(replicas * percent / 100)  # Kubernetes rounds minAvailable percentages up.
    assert kept >= replicas / 2
    assert replicas - kept >= 1


def test_network_policies_deny_by_default_and_allow_only_what_is_needed(api):
    policies = {p.name: p.inputs["spec"] for p in api.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    assert policies["api-deny-all"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    (ingress_rule,) = policies["api-allow-ingress"]["ingress"]
    assert ingress_rule["ports"] == [{"protocol": "TCP", "port": 8080}]
    assert ingress_rule["from"][0] == {"ipBlock": {"cidr": VPC}}
    assert ingress_rule["from"][1]["namespaceSelector"]["matchExpressions"][0]["values"] == ["monitoring"]
    egress = policies["api-allow-egress"]["egress"]
    dns, agent, vpc, https = egress
    assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert agent == {"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT}}], "ports": [{"protocol": "TCP", "port": 80}]}
    assert vpc == {"to": [{"ipBlock": {"cidr": VPC}}]}
    assert https == {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]}


def test_alb_ingress_enforces_tls_waf_and_logs(api):
    ingress = _one(api, "kubernetes:networking.k8s.io/v1:Ingress")
    notes = {
        k.removeprefix("alb.ingress.kubernetes.io/"): v for k, v in ingress.inputs["metadata"]["annotations"].items()
    }
    assert notes["scheme"] == "internet-facing"
    assert notes["target-type"] == "ip"
    assert json.loads(notes["listen-ports"]) == [{"HTTP": 80}, {"HTTPS": 443}]
    assert notes["ssl-redirect"] == "443"
    assert notes["certificate-arn"] == INGRESS.certificate_arn
    assert notes["ssl-policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert notes["healthcheck-path"] == "/healthz"
    assert notes["wafv2-acl-arn"] == INGRESS.web_acl_arn
    attributes = notes["load-balancer-attributes"].split(",")
    assert "routing.http.drop_invalid_header_fields.enabled=true" in attributes
    assert {"access_logs.s3.enabled=true", "access_logs.s3.bucket=acme-alb-logs"} <= set(attributes)
    spec = ingress.inputs["spec"]
    assert spec["ingressClassName"] == "alb"
    (rule,) = spec["rules"]
    assert rule["host"] == "api.acme.example"
    assert rule["http"]["paths"][0]["backend"] == {"service": {"name": "api", "port": {"name": "http"}}}


def test_ingress_without_waf_or_logs_omits_them():
    plan = run_program(_program(ingress=IngressSpec(host="h.example", certificate_arn="arn:c", scheme="internal")))
    notes = _one(plan, "kubernetes:networking.k8s.io/v1:Ingress").inputs["metadata"]["annotations"]
    assert "alb.ingress.kubernetes.io/wafv2-acl-arn" not in notes
    assert notes["alb.ingress.kubernetes.io/scheme"] == "internal"
    assert (
        notes["alb.ingress.kubernetes.io/load-balancer-attributes"]
        == "routing.http.drop_invalid_header_fields.enabled=true"
    )


def test_pod_identity_role_is_bound_to_this_service_account(api):
    role = api.named("api-role")
    assert role.inputs["name"] == "acme-prod-usw2-api-api"
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Condition"]["StringEquals"] == {
        "aws:RequestTag/eks-cluster-name": "acme-prod-usw2",
        "aws:RequestTag/kubernetes-namespace": "api",
        "aws:RequestTag/kubernetes-service-account": "api",
    }
    assert api.named("api-role-policy").inputs["policy"] == POLICY
    association = _one(api, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert association.inputs == {
        "clusterName": "acme-prod-usw2",
        "namespace": "api",
        "serviceAccount": "api",
        "roleArn": "arn:aws:iam:us-west-2:123456789012:api-role",
        "tags": {"ManagedBy": "pulumi", "Team": "platform", "Name": "acme-prod-usw2-api-api"},
    }
    assert association.region == role.region == "us-west-2"
    assert association.urn in api.named("api-sa").dependencies
    assert api.named("addons-ready").urn in association.dependencies


def test_no_secret_value_reaches_kubernetes(api):
    config = next(c for c in api.of_type("kubernetes:core/v1:ConfigMap") if c.name == "api-config")
    assert config.inputs["data"] == {
        "DB_HOST": "db.internal",
        "CACHE_HOST": "cache.internal",
        "DB_CREDENTIALS_SECRET_ARN": SECRET,
    }
    (container,) = _pod(api)["containers"]
    assert "env" not in container
    assert container["envFrom"] == [{"configMapRef": {"name": "api-config"}}]
    assert not api.of_type("kubernetes:core/v1:Secret")


def test_every_kubernetes_resource_uses_the_given_provider(api):
    provider = next(p for p in api.of_type("pulumi:providers:kubernetes") if p.name == "cluster")
    (component,) = api.of_type("platform:k8s:Workload")
    children = api.children_of(component.urn)
    k8s_children = [r for r in children if r.type.startswith("kubernetes:")]
    assert len(k8s_children) == 11
    assert all(r.provider.startswith(provider.urn + "::") for r in k8s_children)
    aws_children = [r for r in children if r.type.startswith("aws:")]
    assert aws_children and all(r.region == "us-west-2" for r in aws_children)


@pytest.mark.parametrize(
    "image",
    ["repo/api", "repo/api:latest", "repo/api:LATEST", "registry:5000/api", "api:", "", "repo/api@sha256:abc"],
)
def test_unpinned_images_are_refused(image):
    with pytest.raises(ValueError, match="pinned"):
        validate_image(image)


@given(
    st.from_regex(r"[a-z0-9]{1,20}(/[a-z0-9]{1,20}){0,2}", fullmatch=True),
    st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
)
def test_digests_and_version_tags_are_accepted(repository, digest):
    for image in (f"{repository}@sha256:{digest}", f"registry.example:5000/{repository}:v1.2.3"):
        assert validate_image(image) == image


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"min_replicas": 1}, ">= 2"),
        ({"max_replicas": 1}, "max_replicas"),
        ({"image": "api:latest"}, "pinned"),
        ({"secret_arns": {"DB_PASSWORD": "hunter2"}}, "never a secret value"),
        ({"config": {"db_host": "x"}}, "env var names"),
        ({"config": {"DB_CREDENTIALS_SECRET_ARN": "x"}}, "distinct"),
        ({"ingress_cidrs": ["0.0.0.0/0"]}, "every address"),
        ({"ingress_cidrs": []}, "ingress_cidrs"),
        ({"liveness_exec": ["true"]}, "exactly one health check"),
        ({"port": None, "ingress": None, "ingress_cidrs": []}, "exactly one health check"),
        ({"memory_limit_mib": 256}, "memory_limit_mib"),
        ({"app": "API"}, "DNS label"),
        ({"cluster_name": "c" * 60}, "64 characters"),
        ({"queue_scaler": QueueScaler(QUEUE_URL, "us-west-2", messages_per_pod=0)}, "messages_per_pod"),
        ({"queue_scaler": QueueScaler(QUEUE_URL, "us-west-2", activation_messages=-1)}, "activation_messages"),
        ({"ingress": dataclasses.replace(INGRESS, deregistration_delay_seconds=4000)}, "deregistration delay"),
        ({"drain_seconds": 0}, "drain_seconds"),
        ({"queue_scaler": QueueScaler(QUEUE_URL, "")}, "region"),
    ],
)
def test_invalid_args_are_refused_before_anything_is_registered(overrides, message):
    with pytest.raises(ValueError, match=message):
        Workload("api", _args(None, **overrides))


def test_outputs_name_the_workloads_objects(api):
    assert api.outputs["workload"] == {"namespace": "api", "service": "api", "hostname": ""}
